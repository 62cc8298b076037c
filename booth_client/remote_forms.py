"""A form the agent pushed, as the resident fills it: a pure sub-machine of
:mod:`booth_client.remote` (docs/protocol.md ``assist.form`` and "Remote assist forms").

The definition and its checks are ``signaling.forms`` (protocol-level, shared
with the hub): what the booth refuses locally is exactly what the hub would
refuse, so the resident learns of a mistake at the field, not after signing.

Phases::

    filling  --review, every field valid-->            review
    filling  --review, errors-->                       filling (errors shown at their fields)
    review   --edit-->  filling        review --confirm-->  signing
    signing  --sign (strokes + PNG)-->                 submitting   (SubmitForm)
    signing  --back-->  review
    submitting --201-->                                submitted
    submitting --400 with field errors-->              filling (errors shown, signature dropped)
    submitting --409 / other 4xx-->                    failed (final: tell the agent)
    submitting --network / 5xx-->                      failed (retry offered)
    failed (retryable) --retry-->                      submitting

The resident must pass ``review`` before signing: ``reviewed: true`` in the
submission is only ever sent from a signature taken on the signing page,
which only the review page leads to. Any change of a value after the review
sends the resident back to ``filling``.

Values are kept as entered (:attr:`FormFill.entries`): a ``number`` field may
hold the digits typed so far as text; :meth:`FormFill.wire_values` turns them
into protocol values (docs/protocol.md ``assist.form.push``: value types).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from pydantic import ValidationError

from signaling.forms import (
    FieldError,
    FormDefinition,
    FormField,
    Signature,
    SubmissionInvalid,
    validate_submission,
)

__all__ = [
    "FormPhase", "FormFill", "FormView", "FieldView", "SignatureData", "FormResult",
    "Entry", "coerce", "entry_text", "MAX_ENTRY_CHARS",
]

log = logging.getLogger(__name__)

Entry = str | int | float | bool | tuple[str, ...] | None
"""A value as the resident entered it (``multi_choice`` as a tuple, so views stay hashable)."""

# Most characters the keyboard lets into a field of these types (partial values the
# hub accepts while typing: docs/protocol.md ``assist.form.progress``).
MAX_ENTRY_CHARS: Final = {"id_number": 18, "phone": 20, "date": 10, "number": 32}
_INT: Final = re.compile(r"^-?\d{1,16}$")
_FLOAT: Final = re.compile(r"^-?\d{1,16}\.\d{1,8}$")


class FormPhase(StrEnum):
    FILLING = "filling"
    REVIEW = "review"
    SIGNING = "signing"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    FAILED = "failed"


_MOVES: dict[FormPhase, frozenset[FormPhase]] = {
    FormPhase.FILLING: frozenset({FormPhase.REVIEW}),
    FormPhase.REVIEW: frozenset({FormPhase.FILLING, FormPhase.SIGNING}),
    FormPhase.SIGNING: frozenset({FormPhase.REVIEW, FormPhase.FILLING, FormPhase.SUBMITTING}),
    FormPhase.SUBMITTING: frozenset({FormPhase.SUBMITTED, FormPhase.FAILED,
                                     FormPhase.FILLING}),
    FormPhase.FAILED: frozenset({FormPhase.SUBMITTING, FormPhase.FILLING}),
    FormPhase.SUBMITTED: frozenset(),
}
_EDITABLE = frozenset({FormPhase.FILLING, FormPhase.REVIEW, FormPhase.SIGNING})


@dataclass(frozen=True)
class SignatureData:
    """What the signature pad captured: strokes of ``(x, y, t_ms)`` (x, y 0..1 of the
    pad, ``t_ms`` from the first touch, never going back) and the PNG rendered from them."""

    strokes: tuple[tuple[tuple[float, float, int], ...], ...]
    png: bytes

    def to_json(self) -> dict[str, Any]:
        return {"strokes": [[[x, y, t] for x, y, t in stroke] for stroke in self.strokes],
                "png": base64.b64encode(self.png).decode("ascii")}


@dataclass(frozen=True)
class FormResult:
    """How ``POST /api/calls/{call_id}/forms/{form_id}/submission`` went (the adapter's
    answer to :class:`~booth_client.effects.SubmitForm`). ``status`` is None for a
    network failure; ``fields`` are the hub's per-field errors of a 400."""

    form_id: str
    ok: bool
    sha256: str | None = None
    signature_sha256: str | None = None
    submitted_at: float | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    fields: Mapping[str, FieldError] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldView:
    """One field as drawn: its definition, what is entered, and the error to show."""

    field: FormField
    entry: Entry
    error: str | None  # a ``FieldError.code`` (the kiosk has words for each)


@dataclass(frozen=True)
class FormView:
    form_id: str
    definition: FormDefinition
    phase: FormPhase
    fields: tuple[FieldView, ...]
    has_signature: bool
    failure: str | None  # i18n key of a failed submission
    retryable: bool
    sha256: str | None  # the hub's digest once submitted
    waiting: int  # other open forms after this one


def coerce(f: FormField, value: object) -> Entry:
    """A value from the kiosk, in the shape kept for ``f``'s type (ValueError if it
    cannot be one): text types take strings (clipped to what the field can hold),
    ``number`` numbers or the text typed so far, ``checkbox`` booleans, ``choice`` one
    of the options (or None), ``multi_choice`` option values."""
    t = f.type
    if value is None:
        return None
    if t == "checkbox":
        if not isinstance(value, bool):
            raise ValueError(f"{f.id}: a checkbox takes true or false")
        return value
    if t == "multi_choice":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{f.id}: a multi_choice takes option values")
        allowed = [o.value for o in f.options or ()]
        chosen = [v for v in allowed if v in value]  # option order, no repeats
        if len(chosen) != len(set(value)):
            raise ValueError(f"{f.id}: not an option")
        return tuple(chosen)
    if t == "choice":
        if value not in [o.value for o in f.options or ()]:
            raise ValueError(f"{f.id}: not an option")
        return str(value)
    if t == "number":
        if isinstance(value, bool):
            raise ValueError(f"{f.id}: a number field takes a number")
        if isinstance(value, int | float):
            return value
    if not isinstance(value, str):
        raise ValueError(f"{f.id}: a {t} field takes text")
    limit = f.text_max if t in ("text", "textarea") else MAX_ENTRY_CHARS.get(t, 64)
    text = value[:limit]
    if t == "id_number":
        text = text.upper()
    return text


def entry_text(f: FormField, entry: Entry, lang: str = "zh") -> str:
    """The entry in words: option labels for choices, 是 / 否 for a checkbox."""
    if entry is None or entry == "" or entry == ():
        return ""
    labels = {o.value: (o.label.en if lang == "en" and o.label.en else o.label.zh)
              for o in f.options or ()}
    if f.type == "checkbox":
        return ("Yes" if entry else "No") if lang == "en" else ("是" if entry else "否")
    if f.type == "choice":
        return labels.get(str(entry), str(entry))
    if f.type == "multi_choice" and isinstance(entry, tuple):
        return ("、" if lang == "zh" else ", ").join(labels.get(v, v) for v in entry)
    if isinstance(entry, float) and entry.is_integer():
        return str(int(entry))
    return str(entry)


def _wire(f: FormField, entry: Entry) -> Any:
    """The protocol value of an entry (None when empty, or when a number is unreadable)."""
    if entry is None or entry == "" or entry == ():
        return None
    if isinstance(entry, tuple):
        return list(entry)
    if f.type == "number" and isinstance(entry, str):
        text = entry.strip()
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        return None
    return entry


def _unreadable_number(f: FormField, entry: Entry) -> bool:
    return (f.type == "number" and isinstance(entry, str) and entry.strip() != ""
            and _wire(f, entry) is None)


@dataclass
class FormFill:
    """One pushed form on the booth. Methods return True when something changed."""

    call_id: str
    form_id: str
    definition: FormDefinition
    entries: dict[str, Entry] = field(default_factory=dict)
    errors: dict[str, FieldError] = field(default_factory=dict)
    phase: FormPhase = FormPhase.FILLING
    signature: SignatureData | None = None
    dirty: set[str] = field(default_factory=set)  # changed since the last progress
    failure: str | None = None
    retryable: bool = False
    sha256: str | None = None
    body: dict[str, Any] | None = None  # the submission being sent (kept for a retry)

    def __post_init__(self) -> None:
        for f in self.definition.fields:  # the agent's values: fixed, or suggestions
            if f.id not in self.entries and f.value is not None:
                value = f.value
                self.entries[f.id] = tuple(value) if isinstance(value, list) else value
        self.dirty = {f.id for f in self.definition.fields
                      if not f.readonly and self.entries.get(f.id) is not None}

    # ------------------------------------------------------------------ phases

    def _move(self, to: FormPhase) -> bool:
        """The one guarded phase move; illegal moves are logged and refused."""
        if to is self.phase:
            return True
        if to not in _MOVES[self.phase]:
            log.warning("booth: refused form move %s -> %s (%s)", self.phase, to, self.form_id)
            return False
        log.debug("booth: form %s %s -> %s", self.form_id, self.phase, to)
        self.phase = to
        return True

    @property
    def open(self) -> bool:
        """Not signed yet (the hub still takes progress for it)."""
        return self.phase is not FormPhase.SUBMITTED

    # ------------------------------------------------------------------ filling

    def enter(self, field_id: str, value: object) -> bool:
        """The resident entered ``value`` into ``field_id`` (ValueError for a value that
        field cannot take). After the review, a change sends the resident back to it."""
        f = self.definition.field(field_id)
        if f is None:
            raise ValueError(f"no field {field_id} in form {self.form_id}")
        if f.readonly or self.phase not in _EDITABLE:
            return False
        entry = coerce(f, value)
        if self.entries.get(field_id) == entry:
            return False
        self.entries[field_id] = entry
        self.dirty.add(field_id)
        if self.phase is not FormPhase.FILLING:  # changed after the review: review again
            self.signature = None
            self._move(FormPhase.FILLING)
        if field_id in self.errors:  # re-judge a field that showed an error
            now = self.check().get(field_id)
            if now is None:
                del self.errors[field_id]
            else:
                self.errors[field_id] = now
        return True

    def wire_values(self, only: set[str] | None = None) -> dict[str, Any]:
        """The resident's values as the protocol carries them (readonly fields left out:
        the hub fills in the agent's value)."""
        return {f.id: _wire(f, self.entries.get(f.id)) for f in self.definition.fields
                if not f.readonly and (only is None or f.id in only)}

    def take_progress(self) -> dict[str, Any]:
        """The values changed since the last call (for ``assist.form.progress``)."""
        values = self.wire_values(self.dirty)
        self.dirty.clear()
        return values

    def check(self) -> dict[str, FieldError]:
        """Every field judged as the hub will judge the submission."""
        errors: dict[str, FieldError] = {}
        try:
            validate_submission(self.definition, self.wire_values())
        except SubmissionInvalid as exc:
            errors.update(exc.errors)
        for f in self.definition.fields:
            if _unreadable_number(f, self.entries.get(f.id)):
                errors[f.id] = FieldError("type", "must be a number")
        return errors

    # ------------------------------------------------------------------ review, signature

    def review(self) -> bool:
        """Go to the review page if every field is valid; else show the errors."""
        if self.phase is not FormPhase.FILLING:
            return False
        self.failure = None
        self.errors = self.check()
        if self.errors:
            return True
        return self._move(FormPhase.REVIEW)

    def edit(self) -> bool:
        """Back to the fields (from the review or the signature page)."""
        if self.phase not in (FormPhase.REVIEW, FormPhase.SIGNING):
            return False
        self.signature = None
        return self._move(FormPhase.FILLING)

    def confirm(self) -> bool:
        """The resident read every value and confirms: on to the signature pad."""
        if self.phase is not FormPhase.REVIEW:
            return False
        return self._move(FormPhase.SIGNING)

    def back_to_review(self) -> bool:
        if self.phase is not FormPhase.SIGNING:
            return False
        self.signature = None
        return self._move(FormPhase.REVIEW)

    def sign(self, signature: SignatureData) -> dict[str, Any] | None:
        """The resident signed: the submission body to send, or None when the strokes
        are not a signature the hub would take (too few points, out of range …)."""
        if self.phase is not FormPhase.SIGNING:
            return None
        sig = signature.to_json()
        try:
            Signature.model_validate(sig)
        except ValidationError as exc:
            log.info("booth: signature for %s refused: %s", self.form_id,
                     exc.errors()[0]["msg"])
            return None
        self.signature = signature
        self.body = {"values": self.wire_values(), "signature": sig, "reviewed": True}
        self._move(FormPhase.SUBMITTING)
        self.failure, self.retryable = None, False
        return self.body

    def retry(self) -> dict[str, Any] | None:
        """Send the same signed submission again (after a network failure)."""
        if self.phase is not FormPhase.FAILED or not self.retryable or self.body is None:
            return None
        self._move(FormPhase.SUBMITTING)
        self.failure, self.retryable = None, False
        return self.body

    # ------------------------------------------------------------------ results

    def result(self, r: FormResult) -> bool:
        if self.phase is not FormPhase.SUBMITTING:
            return False
        if r.ok:
            self.sha256 = r.sha256
            self.body = None
            return self._move(FormPhase.SUBMITTED)
        if r.status == 400 and r.fields:
            # the hub judged some values otherwise: back to them, sign again afterwards
            self.errors = {k: v for k, v in r.fields.items()
                           if self.definition.field(k) is not None}
            self.signature, self.body = None, None
            self.failure = "form.failed.fields"
            return self._move(FormPhase.FILLING)
        self._move(FormPhase.FAILED)
        if r.status is None or r.status >= 500 or r.status == 429:
            self.failure, self.retryable = "form.failed.network", True
        elif r.status == 409:
            self.failure = "form.failed.closed"  # signed already, or the call ended
        else:
            self.failure = "form.failed.refused"
        return True

    # ------------------------------------------------------------------ view

    def view(self, waiting: int) -> FormView:
        fields: Sequence[FormField] = self.definition.fields
        out = []
        for f in fields:
            err = self.errors.get(f.id)
            out.append(FieldView(f, self.entries.get(f.id),
                                 err.code if err is not None else None))
        return FormView(
            form_id=self.form_id, definition=self.definition, phase=self.phase,
            fields=tuple(out), has_signature=self.signature is not None,
            failure=self.failure, retryable=self.retryable, sha256=self.sha256,
            waiting=waiting)
