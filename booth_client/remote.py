"""Remote assist during a call (issue 7): a pure sub-machine of the booth engine.

:class:`~booth_client.session.BoothSession` owns one :class:`Remote` per call and
routes to it the hub's ``assist.*`` frames of that call (docs/protocol.md,
"assist.*" in both directions), the replies to its requests, the resident's
intents (``BoothSession.user_remote``) and the adapter's form results. Like the
engine it does no I/O and reads no clock: it returns effects
(:class:`~booth_client.effects.ShareScreen`, :class:`~booth_client.effects.InjectTap`,
:class:`~booth_client.effects.SubmitForm`, :class:`~booth_client.effects.StopRemote`
and ``Send``).

Consent, per scope (``screen``, ``control``)::

    off --agent asks--> (the question on screen) --resident 同意--> granting --hub ok--> on
    off --agent asks--> --resident 不同意, or no answer in consent_timeout_s--> off (refusal sent)
    granting | on --resident 停止共享 / 收回控制--> off at once (revocation sent)
    granting --hub error--> off

The screen is sent (``ShareScreen(on=True)``) only once the hub has recorded the
grant, so no pixel of the kiosk leaves the booth without its record; a
revocation stops it at once, before the hub hears of it. Revoking ``screen``
revokes ``control`` too (as the hub does). ``control`` is asked only while the
screen is shared. Remote taps (``assist.control``) are injected only while
``control`` is ``on`` here; otherwise they are dropped, whatever the hub said.
On a (re)connection the hub pushes its record (``assist.consent``): a grant the
booth has revoked in the meantime is revoked again, and a grant the hub does
not hold is switched off.

Drawings: one :class:`~signaling.annotations.AnnotationBoard` for the call,
changed by ``assist.annotate`` exactly as the hub changes its own, replaced per
surface by ``assist.board``; after a resume the booth asks for each surface
again (``assist.board.get``), so drawings cleared while it was away go away.
An operation the board refuses means the copies differ: the booth asks for
that surface's board.

Forms (:mod:`booth_client.remote_forms`): one at a time, oldest first; what the
resident enters goes to the agent as ``assist.form.progress`` (the changed
fields, at most every ``progress_interval_s``); the signed form is submitted
over HTTP by the adapter.

In front of the call (``front``): the form, the guidance (``assist.guide``) or a
frozen document surface (``document:<id>``, shown when the agent points or
draws on it), whichever the agent last brought up; closing one shows the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from booth_client.effects import Effect, InjectTap, Send, ShareScreen, StopRemote, SubmitForm
from booth_client.remote_forms import FormFill, FormPhase, FormResult, FormView, SignatureData
from signaling import protocol as p
from signaling.annotations import AnnotationBoard, AnnotationError, AnnotationOp, SurfaceBoard

__all__ = [
    "RemoteConfig", "Remote", "RemoteView", "Scope", "Consent", "PointerView", "TapView",
    "Front", "ACTIONS",
]

log = logging.getLogger(__name__)

Front = Literal["form", "guide", "document"]
Request = Callable[[str, p._Data], Send]


class Scope(StrEnum):
    SCREEN = "screen"
    CONTROL = "control"


class Consent(StrEnum):
    OFF = "off"
    GRANTING = "granting"  # the resident said yes; the hub has not recorded it yet
    ON = "on"


@dataclass(frozen=True)
class RemoteConfig:
    """Timers, in seconds. Tests shrink them instead of sleeping."""

    progress_interval_s: float = 0.25  # at most 4 progress frames a second
    consent_timeout_s: float = 60.0  # an unanswered question counts as "no"

    def __post_init__(self) -> None:
        for name in ("progress_interval_s", "consent_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")


@dataclass(frozen=True)
class PointerView:
    """The agent's laser pointer; ``seq`` grows with every move (the overlay's trail)."""

    surface: str
    x: float
    y: float
    visible: bool
    seq: int


@dataclass(frozen=True)
class TapView:
    """The last remote tap injected into the kiosk (the overlay shows a ripple there)."""

    x: float
    y: float
    seq: int


@dataclass(frozen=True)
class RemoteView:
    """Everything the kiosk draws of remote assist."""

    screen: Consent
    control: Consent
    asking: Scope | None  # the consent question on screen
    asking_until: float | None
    pointer: PointerView | None
    board: AnnotationBoard
    front: Front | None
    form: FormView | None
    guide: p.AssistGuide | None
    document_id: str | None  # the frozen document shown large (surface document:<id>)
    tap: TapView | None

    @property
    def sharing(self) -> bool:
        """The agent sees the screen (or is about to): the frame and 停止共享 show."""
        return self.screen is not Consent.OFF


# Resident intents: ``BoothSession.user_remote(action, *args)`` -> Remote.<method>.
ACTIONS = {
    "consent": "answer", "stop_share": "stop_share", "revoke_control": "revoke_control",
    "fill": "fill", "review": "review", "edit": "edit", "confirm": "confirm",
    "back": "back", "sign": "sign", "retry": "retry", "close_form": "close_form",
    "close_guide": "close_guide", "close_document": "close_document",
}


@dataclass
class Remote:
    """Remote assist of one call (``call_id``). Every method returns effects."""

    config: RemoteConfig
    request: Request
    call_id: str
    consent: dict[Scope, Consent] = field(
        default_factory=lambda: {Scope.SCREEN: Consent.OFF, Scope.CONTROL: Consent.OFF})
    pointer: PointerView | None = None
    board: AnnotationBoard = field(default_factory=AnnotationBoard)
    forms: dict[str, FormFill] = field(default_factory=dict)  # in the order pushed
    guide: p.AssistGuide | None = None
    document_id: str | None = None
    front: Front | None = None
    tap: TapView | None = None
    _grants: dict[str, Scope] = field(default_factory=dict)  # request id -> scope granted
    _asking: list[Scope] = field(default_factory=list)
    _asking_until: float | None = None
    _closed: set[str] = field(default_factory=set)  # forms the resident put away
    _seq: int = 0
    _taps: int = 0
    _progress_at: float | None = None  # when the last progress frame went
    _boards: dict[str, str] = field(default_factory=dict)  # board.get id -> surface

    # ------------------------------------------------------------------ frames

    def frame(self, frame: p.Frame, now: float) -> list[Effect]:
        """One ``assist.*`` frame of this call from the hub."""
        handler = _HANDLERS.get(frame.type)
        if handler is None:
            return []
        if frame.type == "assist.board" and frame.re is not None:
            self._boards.pop(frame.re, None)
        return handler(self, frame.data, now)

    def ok(self, re: str) -> list[Effect]:
        """The hub answered ``ok`` to request ``re``."""
        scope = self._grants.pop(re, None)
        if scope is None or self.consent[scope] is not Consent.GRANTING:
            return []  # revoked meanwhile: the revocation is on its way
        self.consent[scope] = Consent.ON
        log.info("booth: %s consent recorded by the hub", scope)
        return [ShareScreen(self.call_id, True)] if scope is Scope.SCREEN else []

    def refused(self, re: str, code: str) -> list[Effect]:
        """The hub answered ``error`` to request ``re``."""
        scope = self._grants.pop(re, None)
        if scope is not None and self.consent[scope] is Consent.GRANTING:
            log.warning("booth: the hub refused the %s grant: %s", scope, code)
            self.consent[scope] = Consent.OFF
        surface = self._boards.pop(re, None)
        if surface is not None:
            log.info("booth: board of %s unavailable: %s", surface, code)
        return []

    # ------------------------------------------------------------------ consent

    def _send_consent(self, scope: Scope, granted: bool) -> Send:
        send = self.request("assist.consent", p.AssistConsent(
            call_id=self.call_id, scope=scope.value, granted=granted))
        if granted:
            assert send.id is not None
            self._grants[send.id] = scope
        return send

    def _on_requested(self, data: p.AssistConsentRequested, now: float) -> list[Effect]:
        scope = Scope(data.scope)
        state = self.consent[scope]
        if state is Consent.ON:  # asked again (a console reloaded): the answer stands
            return [self._send_consent(scope, True)]
        if state is Consent.GRANTING or scope in self._asking:
            return []
        if scope is Scope.CONTROL and self.consent[Scope.SCREEN] is not Consent.ON:
            return [self._send_consent(scope, False)]  # the screen was stopped meanwhile
        self._asking.append(scope)
        if self._asking_until is None:
            self._asking_until = now + self.config.consent_timeout_s
        return []

    def answer(self, scope: str, granted: bool, now: float) -> list[Effect]:
        """The resident answered the question on screen (同意 / 不同意)."""
        sc = Scope(scope)
        if not self._asking or self._asking[0] is not sc:
            return []
        self._next_question(now)
        if granted and sc is Scope.CONTROL and self.consent[Scope.SCREEN] is not Consent.ON:
            granted = False
        if not granted:
            return [self._send_consent(sc, False)]
        self.consent[sc] = Consent.GRANTING
        return [self._send_consent(sc, True)]

    def _next_question(self, now: float) -> None:
        self._asking.pop(0)
        self._asking_until = now + self.config.consent_timeout_s if self._asking else None

    def _revoke(self, scope: Scope, *, tell_hub: bool = True) -> list[Effect]:
        """Switch ``scope`` off now (``screen`` takes ``control`` with it, as at the hub)."""
        if scope is Scope.SCREEN:
            self.consent[Scope.CONTROL] = Consent.OFF
            self._asking = [s for s in self._asking if s is not Scope.CONTROL]
            if not self._asking:
                self._asking_until = None
        was = self.consent[scope]
        self.consent[scope] = Consent.OFF
        self._grants = {k: v for k, v in self._grants.items()
                        if v is not scope and scope is not Scope.SCREEN}
        effects: list[Effect] = []
        if scope is Scope.SCREEN and was is Consent.ON:
            effects.append(ShareScreen(self.call_id, False))
        if was is not Consent.OFF and tell_hub:
            effects.append(self._send_consent(scope, False))
        return effects

    def stop_share(self, now: float) -> list[Effect]:
        """停止共享: the agent stops seeing the screen (and controlling it) at once."""
        return self._revoke(Scope.SCREEN)

    def revoke_control(self, now: float) -> list[Effect]:
        """收回控制: no more remote taps, at once; the screen stays shared."""
        return self._revoke(Scope.CONTROL)

    def _on_consent(self, data: p.AssistConsentEvent, now: float) -> list[Effect]:
        """The hub's record (pushed after a (re)connection): reconcile with ours."""
        scope = Scope(data.scope)
        state = self.consent[scope]
        if data.granted and state is Consent.OFF:
            log.info("booth: the hub still holds a %s grant the resident revoked", scope)
            return [self._send_consent(scope, False)]
        if data.granted and state is Consent.GRANTING:
            self._grants = {k: v for k, v in self._grants.items() if v is not scope}
            self.consent[scope] = Consent.ON
            return [ShareScreen(self.call_id, True)] if scope is Scope.SCREEN else []
        if not data.granted and state is Consent.ON:
            log.warning("booth: the hub holds no %s grant: switched off", scope)
            return self._revoke(scope, tell_hub=False)  # nothing to send: the hub agrees
        return []

    # ------------------------------------------------------------------ pointer, drawings

    def _on_pointer(self, data: p.AssistPointer, now: float) -> list[Effect]:
        self._seq += 1
        self.pointer = PointerView(data.surface, data.x, data.y, data.visible, self._seq)
        if data.visible and data.surface.startswith("document:"):
            doc = data.surface.split(":", 1)[1]
            if doc != self.document_id:
                self.document_id = doc
                self.front = "document"
        return []

    def _on_annotate(self, data: p.AssistAnnotate, now: float) -> list[Effect]:
        op = AnnotationOp(surface=data.surface, op=data.op, shape=data.shape)
        try:
            self.board = self.board.apply(op)
        except AnnotationError as exc:
            log.warning("booth: drawing on %s refused (%s): asking for the board",
                        data.surface, exc.message)
            return [self._ask_board(data.surface)]
        if data.op == "add" and data.surface.startswith("document:"):
            self.document_id = data.surface.split(":", 1)[1]
            self.front = "document"
        return []

    def _ask_board(self, surface: str) -> Send:
        send = self.request("assist.board.get", p.AssistBoardGet(call_id=self.call_id,
                                                                 surface=surface))
        assert send.id is not None
        self._boards[send.id] = surface
        return send

    def _on_board(self, data: p.AssistBoard, now: float) -> list[Effect]:
        surfaces = dict(self.board.surfaces)
        if data.shapes:
            shapes = tuple(data.shapes)
            surfaces[data.surface] = SurfaceBoard(shapes, sum(s.size() for s in shapes))
        else:
            surfaces.pop(data.surface, None)
        self.board = AnnotationBoard(surfaces)
        return []

    def close_document(self, now: float) -> list[Effect]:
        if self.document_id is None:
            return []
        self.document_id = None
        self._refront()
        return []

    # ------------------------------------------------------------------ guidance, control

    def _on_guide(self, data: p.AssistGuide, now: float) -> list[Effect]:
        self.guide = data
        self.front = "guide"
        return []

    def close_guide(self, now: float) -> list[Effect]:
        if self.guide is None:
            return []
        self.guide = None
        self._refront()
        return []

    def _on_control(self, data: p.AssistControl, now: float) -> list[Effect]:
        if self.consent[Scope.CONTROL] is not Consent.ON:
            log.warning("booth: a remote tap without the resident's consent: dropped")
            return []
        self._taps += 1
        self.tap = TapView(data.x, data.y, self._taps)
        return [InjectTap(self.call_id, data.x, data.y, self._taps)]

    # ------------------------------------------------------------------ forms

    def _on_form(self, data: p.AssistForm, now: float) -> list[Effect]:
        if data.form_id in self.forms:
            return []  # pushed again after a reconnection: keep what the resident entered
        self.forms[data.form_id] = FormFill(self.call_id, data.form_id, data.form)
        if self._front_form() is self.forms[data.form_id]:
            self.front = "form"
        return self._progress(now)

    def _front_form(self) -> FormFill | None:
        """The form on screen: the oldest the resident has not put away."""
        return next((f for k, f in self.forms.items() if k not in self._closed), None)

    def _form(self, form_id: str) -> FormFill | None:
        form = self._front_form()
        if form is None or form.form_id != form_id:
            log.info("booth: form %s is not the one on screen", form_id)
            return None
        return form

    def fill(self, form_id: str, field_id: str, value: object, now: float) -> list[Effect]:
        """The resident entered ``value`` (ValueError if the field cannot take it)."""
        form = self._form(form_id)
        if form is None or not form.enter(field_id, value):
            return []
        return self._progress(now)

    def review(self, form_id: str, now: float) -> list[Effect]:
        form = self._form(form_id)
        if form is not None:
            form.review()
        return []

    def edit(self, form_id: str, now: float) -> list[Effect]:
        form = self._form(form_id)
        if form is not None:
            form.edit()
        return []

    def confirm(self, form_id: str, now: float) -> list[Effect]:
        form = self._form(form_id)
        if form is not None:
            form.confirm()
        return []

    def back(self, form_id: str, now: float) -> list[Effect]:
        form = self._form(form_id)
        if form is not None:
            form.back_to_review()
        return []

    def sign(self, form_id: str, signature: SignatureData, now: float) -> list[Effect]:
        """The resident signed on the pad: submit (over HTTP, by the adapter)."""
        form = self._form(form_id)
        if form is None:
            return []
        body = form.sign(signature)
        return [SubmitForm(self.call_id, form_id, body)] if body is not None else []

    def retry(self, form_id: str, now: float) -> list[Effect]:
        form = self._form(form_id)
        body = form.retry() if form is not None else None
        return [SubmitForm(self.call_id, form_id, body)] if body is not None else []

    def close_form(self, form_id: str, now: float) -> list[Effect]:
        """Put away a form that is signed (or can no longer be): the next one shows."""
        form = self._form(form_id)
        if form is None or form.phase not in (FormPhase.SUBMITTED, FormPhase.FAILED):
            return []
        self._closed.add(form_id)
        self._refront()
        return []

    def form_result(self, r: FormResult, now: float) -> list[Effect]:
        form = self.forms.get(r.form_id)
        if form is not None:
            form.result(r)
        return []

    def _progress(self, now: float) -> list[Effect]:
        """Send what changed, unless the last progress went less than the interval ago."""
        if self._progress_at is not None and \
                now < self._progress_at + self.config.progress_interval_s:
            return []
        effects: list[Effect] = []
        for form in self.forms.values():
            if form.open and form.dirty:
                effects.append(Send("assist.form.progress", p.AssistFormProgress(
                    call_id=self.call_id, form_id=form.form_id,
                    values=form.take_progress())))
        if effects:
            self._progress_at = now
        return effects

    def _progress_due(self) -> float | None:
        if not any(f.open and f.dirty for f in self.forms.values()):
            return None
        return (self._progress_at or 0.0) + self.config.progress_interval_s

    # ------------------------------------------------------------------ front

    def _refront(self) -> None:
        form = self._front_form()
        if self.front == "form" and form is not None:
            return
        if self.front == "guide" and self.guide is not None:
            return
        if self.front == "document" and self.document_id is not None:
            return
        self.front = ("form" if form is not None else "guide" if self.guide is not None
                      else "document" if self.document_id is not None else None)

    # ------------------------------------------------------------------ intents, time

    def act(self, action: str, args: tuple[Any, ...], now: float) -> list[Effect]:
        """A resident intent by name (:data:`ACTIONS`); unknown names raise ValueError."""
        name = ACTIONS.get(action)
        if name is None:
            raise ValueError(f"no remote-assist action {action!r}")
        method: Callable[..., list[Effect]] = getattr(self, name)
        return method(*args, now=now)

    def next_deadline(self) -> float | None:
        times = [t for t in (self._asking_until, self._progress_due()) if t is not None]
        return min(times, default=None)

    def tick(self, now: float) -> list[Effect]:
        effects: list[Effect] = []
        if self._asking_until is not None and now >= self._asking_until and self._asking:
            scope = self._asking[0]
            log.info("booth: no answer to the %s question: taken as no", scope)
            self._next_question(now)
            effects.append(self._send_consent(scope, False))
        due = self._progress_due()
        if due is not None and now >= due:
            effects += self._progress(now)
        return effects

    def resumed(self, now: float) -> list[Effect]:
        """The hub connection came back and the call with it: send again what may be lost."""
        effects: list[Effect] = []
        self._grants.clear()
        for scope, state in self.consent.items():
            if state is Consent.GRANTING:  # the grant may never have reached the hub
                effects.append(self._send_consent(scope, True))
        self._boards.clear()
        surfaces = {"screen", *self.board.surfaces}
        if self.document_id is not None:
            surfaces.add(f"document:{self.document_id}")
        effects += [self._ask_board(s) for s in sorted(surfaces)]
        for form in self.forms.values():
            if form.open:  # the agent may have missed some progress: all of it again
                form.dirty = {f.id for f in form.definition.fields if not f.readonly}
        self._progress_at = None
        return effects + self._progress(now)

    def stop(self) -> list[Effect]:
        """The call is over: stop sharing, forget the forms, drawings and images."""
        return [StopRemote(self.call_id)]

    # ------------------------------------------------------------------ view

    def view(self) -> RemoteView:
        form = self._front_form()
        waiting = sum(1 for k, f in self.forms.items()
                      if k not in self._closed and f is not form)
        return RemoteView(
            screen=self.consent[Scope.SCREEN], control=self.consent[Scope.CONTROL],
            asking=self._asking[0] if self._asking else None,
            asking_until=self._asking_until, pointer=self.pointer, board=self.board,
            front=self.front, form=form.view(waiting) if form is not None else None,
            guide=self.guide, document_id=self.document_id, tap=self.tap)


_Handler = Callable[[Remote, Any, float], list[Effect]]
_HANDLERS: dict[str, _Handler] = {
    "assist.consent.requested": Remote._on_requested,
    "assist.consent": Remote._on_consent,
    "assist.pointer": Remote._on_pointer,
    "assist.annotate": Remote._on_annotate,
    "assist.board": Remote._on_board,
    "assist.form": Remote._on_form,
    "assist.guide": Remote._on_guide,
    "assist.control": Remote._on_control,
}
