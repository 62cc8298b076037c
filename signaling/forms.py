"""Forms the agent pushes to the booth (issue 7): the definition and the validation of
what the resident enters. Pure: no I/O, no clock; the hub, the booth and test tools
import it as protocol-level data (``assist.form.push`` carries a
:class:`FormDefinition`).

A definition is a list of fields and a signature section. Each field has an
``id``, a ``type`` (:data:`FIELD_TYPES`), a label in Chinese (and optionally
English), and may be ``required``, ``readonly`` (filled by the agent: its
``value`` is shown and cannot be changed by the resident), ``sensitive`` (masked
on the agent's side until submitted, see :func:`mask_values`), have ``options``
(choice types) and length or value limits. Bad definitions are refused when
parsed (pydantic ``ValidationError``, or :class:`DefinitionInvalid` from
:func:`parse_definition`).

Values on the wire are JSON: text-like fields a string (``text``, ``textarea``,
``date`` as ``YYYY-MM-DD``, ``id_number``, ``phone``, ``choice``), ``number`` a
number, ``checkbox`` a boolean, ``multi_choice`` a list of option values; an
empty optional field is ``null`` (or absent).

:func:`validate_submission` checks a whole submission and returns normalized
values, or raises :class:`SubmissionInvalid` with one :class:`FieldError` per
field at fault. :func:`check_progress` checks a partial one (while typing, only
the shape of each value).

Exception tree::

    FormError
     ├── DefinitionInvalid    -- a definition that cannot be used
     └── SubmissionInvalid    -- .errors: field id -> FieldError
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

__all__ = [
    "FIELD_TYPES",
    "FieldType",
    "FieldValue",
    "FieldValues",
    "FIELD_ID",
    "MAX_FIELDS",
    "MAX_VALUE_CHARS",
    "MASK",
    "Label",
    "FormOption",
    "FormField",
    "SignatureSpec",
    "FormDefinition",
    "Signature",
    "Submission",
    "MAX_STROKES",
    "MAX_STROKE_POINTS",
    "MAX_SIGNATURE_POINTS",
    "FieldError",
    "FormError",
    "DefinitionInvalid",
    "SubmissionInvalid",
    "parse_definition",
    "validate_submission",
    "check_progress",
    "check_field_ids",
    "mask_values",
    "id_number_ok",
    "phone_ok",
    "submission_document",
]

FieldType = Literal[
    "text", "number", "date", "choice", "multi_choice", "checkbox", "id_number", "phone",
    "textarea",
]
FIELD_TYPES: Final[tuple[str, ...]] = get_args(FieldType)
FIELD_ID: Final = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS: Final = 50
MAX_OPTIONS: Final = 50
# Every value of a form together, in characters: the agent's ``assist.form.submitted``
# carries them all in one frame of at most 64 KiB (4 UTF-8 bytes a character at most).
MAX_VALUE_CHARS: Final = 10_000
MASK: Final = "••••"

_TEXT_MAX = {"text": 500, "textarea": 2000}
_TEXT_DEFAULT = {"text": 100, "textarea": 1000}
_FIXED_CHARS = {"id_number": 18, "phone": 11, "date": 10, "number": 32, "checkbox": 5}
_NUMBER_ABS_MAX: Final = 1e15  # beyond this a float loses whole units
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
_ID_SHAPE: Final = re.compile(r"^[1-9]\d{16}[\dX]$")
_PHONE: Final = re.compile(r"^1[3-9]\d{9}$")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FieldValue = (
    Annotated[str, Field(max_length=_TEXT_MAX["textarea"])]
    | int
    | float
    | bool
    | Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=MAX_OPTIONS)]
    | None
)
FieldValues = Annotated[dict[str, FieldValue], Field(max_length=MAX_FIELDS)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Label(_Model):
    """A text shown to the resident: Chinese, and English for the booth's language switch."""

    zh: Annotated[str, Field(min_length=1, max_length=500)]
    en: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class FormOption(_Model):
    value: Annotated[str, Field(min_length=1, max_length=64)]
    label: Label


class FormField(_Model):
    id: Annotated[str, Field(min_length=1, max_length=40, pattern=FIELD_ID.pattern)]
    type: FieldType
    label: Label
    help: Label | None = None
    required: bool = False
    readonly: bool = False
    value: FieldValue = None
    sensitive: bool = False
    options: Annotated[list[FormOption], Field(min_length=1, max_length=MAX_OPTIONS)] | None = None
    min_length: Annotated[int, Field(ge=0, le=2000)] | None = None
    max_length: Annotated[int, Field(ge=1, le=2000)] | None = None
    min_value: int | float | None = None
    max_value: int | float | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _rules(self) -> FormField:
        t = self.type
        if t in ("choice", "multi_choice"):
            if not self.options:
                raise ValueError(f"field {self.id}: a {t} field needs options")
            values = [o.value for o in self.options]
            if len(set(values)) != len(values):
                raise ValueError(f"field {self.id}: option values must be unique")
        elif self.options is not None:
            raise ValueError(f"field {self.id}: options apply to choice fields only")
        if (self.min_length is not None or self.max_length is not None) and t not in (
                "text", "textarea", "multi_choice"):
            raise ValueError(f"field {self.id}: min/max_length apply to text, textarea "
                             "and multi_choice fields")
        if t in _TEXT_MAX and self.max_length is not None and self.max_length > _TEXT_MAX[t]:
            raise ValueError(f"field {self.id}: max_length of a {t} is at most {_TEXT_MAX[t]}")
        if t == "multi_choice" and self.max_length is not None and self.options and \
                self.max_length > len(self.options):
            raise ValueError(f"field {self.id}: max_length is more than the options")
        lo, hi = self.min_length, self.max_length
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"field {self.id}: min_length is above max_length")
        if (self.min_value is not None or self.max_value is not None or self.integer) and \
                t != "number":
            raise ValueError(f"field {self.id}: min/max_value and integer apply to number "
                             "fields only")
        for bound in (self.min_value, self.max_value):
            if isinstance(bound, bool) or (bound is not None and abs(bound) > _NUMBER_ABS_MAX):
                raise ValueError(f"field {self.id}: min/max_value must be numbers within "
                                 "±1e15")
        if self.min_value is not None and self.max_value is not None and \
                self.min_value > self.max_value:
            raise ValueError(f"field {self.id}: min_value is above max_value")
        if self.readonly and _empty(self.value):
            raise ValueError(f"field {self.id}: a readonly field needs the agent's value")
        if not _empty(self.value):
            err = _check(self, self.value, partial=False)
            if isinstance(err, FieldError):
                raise ValueError(f"field {self.id}: value: {err.message}")
        return self

    @property
    def text_max(self) -> int:
        """Most characters of a text or textarea value."""
        return self.max_length or _TEXT_DEFAULT.get(self.type, 0)

    def value_chars(self) -> int:
        """Most characters a value of this field can take (for the frame budget)."""
        if self.type in _TEXT_MAX:
            return self.text_max
        if self.options:
            sizes = [len(o.value) for o in self.options]
            return sum(sizes) if self.type == "multi_choice" else max(sizes)
        return _FIXED_CHARS[self.type]


class SignatureSpec(_Model):
    """The signature section every form ends with: a statement and the signature pad."""

    label: Label = Label(zh="签名", en="Signature")
    statement: Label | None = None


class FormDefinition(_Model):
    title: Label
    description: Label | None = None
    template: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    fields: Annotated[list[FormField], Field(min_length=1, max_length=MAX_FIELDS)]
    signature: SignatureSpec

    @model_validator(mode="after")
    def _unique(self) -> FormDefinition:
        ids = [f.id for f in self.fields]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"field ids must be unique: {', '.join(dup[:5])}")
        chars = sum(f.value_chars() for f in self.fields)
        if chars > MAX_VALUE_CHARS:
            raise ValueError(f"the fields' values could reach {chars} characters; at most "
                             f"{MAX_VALUE_CHARS} fit in one frame (lower max_length)")
        return self

    def field(self, field_id: str) -> FormField | None:
        for f in self.fields:
            if f.id == field_id:
                return f
        return None


MAX_STROKES: Final = 100
MAX_STROKE_POINTS: Final = 2000
MAX_SIGNATURE_POINTS: Final = 20_000
MAX_SIGNING_MS: Final = 600_000
MAX_PNG_BASE64: Final = 1_500_000


class Signature(_Model):
    """The handwritten signature: strokes of ``[x, y, t_ms]`` points (x, y normalized
    0..1 over the signature pad, ``t_ms`` from the first touch, never going back) and
    the PNG the booth rendered from them, base64."""

    strokes: Annotated[list[Annotated[list[Annotated[list[int | float], Field(
        min_length=3, max_length=3)]], Field(min_length=1, max_length=MAX_STROKE_POINTS)]],
        Field(min_length=1, max_length=MAX_STROKES)]
    png: Annotated[str, Field(min_length=8, max_length=MAX_PNG_BASE64)]

    @field_validator("strokes")
    @classmethod
    def _strokes(cls, strokes: list[list[list[int | float]]]) -> list[list[list[int | float]]]:
        total = sum(len(s) for s in strokes)
        if total > MAX_SIGNATURE_POINTS:
            raise ValueError(f"{total} points; at most {MAX_SIGNATURE_POINTS}")
        if total < 2:
            raise ValueError("a signature needs at least two points")
        out: list[list[list[int | float]]] = []
        last = 0
        for stroke in strokes:
            norm: list[list[int | float]] = []
            for x, y, t in stroke:
                if not (0 <= x <= 1 and 0 <= y <= 1):
                    raise ValueError("x and y must be within 0..1")
                if not float(t).is_integer() or not last <= t <= MAX_SIGNING_MS:
                    raise ValueError(f"t_ms must be whole milliseconds, 0..{MAX_SIGNING_MS}, "
                                     "never going back")
                last = int(t)
                norm.append([round(float(x), 4), round(float(y), 4), last])
            out.append(norm)
        return out


class Submission(_Model):
    """Body of ``POST /api/calls/{call_id}/forms/{form_id}/submission``."""

    values: FieldValues
    signature: Signature
    reviewed: bool


# ---------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class FieldError:
    """Why one field's value was refused. ``code`` is one of ``required``, ``type``,
    ``too_short``, ``too_long``, ``choice``, ``id_number``, ``phone``, ``date``,
    ``range``, ``integer``, ``control_char``, ``readonly``, ``unknown``; ``message``
    is English for logs and tools; booths show their own text per code."""

    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class FormError(Exception):
    """Base of this module's errors."""


class DefinitionInvalid(FormError):
    pass


class SubmissionInvalid(FormError):
    def __init__(self, errors: Mapping[str, FieldError]) -> None:
        self.errors = dict(errors)
        first = ", ".join(f"{k}: {v.code}" for k, v in list(self.errors.items())[:5])
        super().__init__(f"{len(self.errors)} field(s) refused: {first}")


def parse_definition(obj: Any) -> FormDefinition:
    """A definition from JSON-shaped data; :class:`DefinitionInvalid` says what is wrong."""
    try:
        return FormDefinition.model_validate(obj, strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "form"
        raise DefinitionInvalid(f"{where}: {err['msg']}") from exc


# ---------------------------------------------------------------------------
# Checks of one value


def id_number_ok(text: str) -> bool:
    """An 18-digit 居民身份证号码 (GB 11643-1999): shape, a real birth date, check digit."""
    if not _ID_SHAPE.match(text):
        return False
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    if born.year < 1900:
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == text[17]


def phone_ok(text: str) -> bool:
    """A mainland China mobile number: 11 digits starting 13–19."""
    return bool(_PHONE.match(text))


def _empty(value: object) -> bool:
    return value is None or value == "" or value == []


def _has_control(text: str, newlines: bool) -> bool:
    return any(unicodedata.category(c) == "Cc" and not (newlines and c in "\n\t")
               for c in text)


def _normal_phone(text: str) -> str:
    digits = re.sub(r"[\s\-]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def _check(f: FormField, value: object, *, partial: bool) -> FieldError | object:
    """The normalized value, or a :class:`FieldError`. ``value`` is not empty.

    ``partial``: the resident is still typing, so only the value's type and the
    upper limits are checked (a half-typed phone number is fine)."""
    t = f.type
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return FieldError("type", "must be a number")
        if partial:
            return value
        if f.integer and not (isinstance(value, int) or float(value).is_integer()):
            return FieldError("integer", "must be a whole number")
        if abs(value) > _NUMBER_ABS_MAX or \
                (f.min_value is not None and value < f.min_value) or \
                (f.max_value is not None and value > f.max_value):
            return FieldError("range", f"must be within {f.min_value}..{f.max_value}")
        return int(value) if f.integer else value
    if t == "checkbox":
        if not isinstance(value, bool):
            return FieldError("type", "must be true or false")
        return value
    if t == "multi_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return FieldError("type", "must be a list of option values")
        allowed = [o.value for o in f.options or ()]
        if any(v not in allowed for v in value) or len(set(value)) != len(value):
            return FieldError("choice", "must be distinct values of the options")
        if f.max_length is not None and len(value) > f.max_length:
            return FieldError("too_long", f"at most {f.max_length} choices")
        if not partial and f.min_length is not None and len(value) < f.min_length:
            return FieldError("too_short", f"at least {f.min_length} choices")
        return sorted(value, key=allowed.index)
    if not isinstance(value, str):
        return FieldError("type", "must be a string")
    if _has_control(value, newlines=(t == "textarea")):
        return FieldError("control_char", "must not hold control characters")
    if t in ("text", "textarea"):
        text = value if partial else value.strip()
        if len(text) > f.text_max:
            return FieldError("too_long", f"at most {f.text_max} characters")
        if not partial and f.min_length is not None and len(text) < f.min_length:
            return FieldError("too_short", f"at least {f.min_length} characters")
        return text
    if t == "choice":
        if value not in [o.value for o in f.options or ()]:
            return FieldError("choice", "must be one of the options")
        return value
    if t == "id_number":
        text = value.strip().upper()
        if len(text) > 18:
            return FieldError("too_long", "an ID number has 18 characters")
        if partial or id_number_ok(text):
            return text
        return FieldError("id_number", "not a valid 18-digit resident ID number")
    if t == "phone":
        text = _normal_phone(value.strip())
        if len(text) > 11 and not partial:
            return FieldError("phone", "not a mainland China mobile number")
        if partial:
            return value if len(value) <= 20 else FieldError("too_long", "too long")
        return text if phone_ok(text) else FieldError("phone", "not a mainland China mobile "
                                                               "number")
    # date
    if partial:
        return value if len(value) <= 10 else FieldError("too_long", "a date is YYYY-MM-DD")
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        return FieldError("date", "must be a real date as YYYY-MM-DD")
    return value


# ---------------------------------------------------------------------------
# Submissions


def check_field_ids(form: FormDefinition, keys: Iterable[str]) -> dict[str, FieldError]:
    """Errors for keys that are not fields of ``form``."""
    known = {f.id for f in form.fields}
    return {k[:40]: FieldError("unknown", "not a field of this form")
            for k in keys if k not in known}


def validate_submission(form: FormDefinition, values: Mapping[str, object]) -> dict[str, Any]:
    """Check a whole submission against ``form``; return every field's normalized value
    (``None`` for an empty optional field, ``False`` for an unticked checkbox, the
    agent's value for a readonly field). Raises :class:`SubmissionInvalid`."""
    errors = check_field_ids(form, values.keys())
    out: dict[str, Any] = {}
    for f in form.fields:
        given = values.get(f.id)
        if f.readonly:
            agent = _check(f, f.value, partial=False)
            if not _empty(given) and _check(f, given, partial=False) != agent:
                errors[f.id] = FieldError("readonly", "filled by the agent; cannot be changed")
            out[f.id] = agent
            continue
        if given is False and f.type == "checkbox" and f.required:
            errors[f.id] = FieldError("required", "must be ticked")
            continue
        if _empty(given) or (isinstance(given, str) and not given.strip()):
            if f.required:
                errors[f.id] = FieldError("required", "required")
            out[f.id] = False if f.type == "checkbox" else None
            continue
        result = _check(f, given, partial=False)
        if isinstance(result, FieldError):
            errors[f.id] = result
        else:
            out[f.id] = result
    if errors:
        raise SubmissionInvalid(errors)
    return out


def check_progress(form: FormDefinition, values: Mapping[str, object]) -> dict[str, Any]:
    """Check values the resident is still typing (any subset of the fields): known
    fields, the right JSON types, upper limits, readonly fields unchanged. Returns them
    as given; raises :class:`SubmissionInvalid`."""
    errors = check_field_ids(form, values.keys())
    out: dict[str, Any] = {}
    for key, value in values.items():
        f = form.field(key)
        if f is None:
            continue
        if _empty(value):
            out[key] = value
            continue
        if f.readonly:
            if _check(f, value, partial=False) != _check(f, f.value, partial=False):
                errors[key] = FieldError("readonly", "filled by the agent; cannot be changed")
            out[key] = value
            continue
        result = _check(f, value, partial=True)
        if isinstance(result, FieldError):
            errors[key] = result
        else:
            out[key] = value
    if errors:
        raise SubmissionInvalid(errors)
    return out


def _mask(value: object) -> object:
    if _empty(value):
        return value
    if isinstance(value, str) and len(value) >= 8:
        return MASK + value[-4:]
    return MASK


def mask_values(form: FormDefinition, values: Mapping[str, Any]) -> tuple[dict[str, Any],
                                                                          list[str]]:
    """Values for the agent's eyes before submission: each non-empty ``sensitive`` value
    becomes ``"••••"`` (``"••••1234"`` for strings of 8 characters or more, so the agent
    can confirm the last digits of an ID or phone number). Returns the values and the
    ids of the masked fields."""
    out: dict[str, Any] = {}
    masked: list[str] = []
    for key, value in values.items():
        f = form.field(key)
        if f is not None and f.sensitive and not _empty(value):
            out[key] = _mask(value)
            masked.append(key)
        else:
            out[key] = value
    return out, masked


def submission_document(
    *, form_id: str, call_id: str, booth_id: str, form: FormDefinition,
    values: Mapping[str, Any], strokes: Any, signature_sha256: str, submitted_at: str,
) -> dict[str, Any]:
    """The whole of a submission as one JSON value, for hashing: ``sha256`` of its
    canonical JSON (sorted keys, no spaces, UTF-8) is the submission's digest, and
    anyone holding the stored form row can compute it again."""
    return {
        "v": 1,
        "form_id": form_id,
        "call_id": call_id,
        "booth_id": booth_id,
        "form": form.model_dump(mode="json"),
        "values": dict(values),
        "signature": {"png_sha256": signature_sha256, "strokes": strokes},
        "reviewed": True,
        "submitted_at": submitted_at,
    }
