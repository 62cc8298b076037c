"""Documents and the face check during a call: a pure sub-machine of the booth engine.

:class:`~booth_client.session.BoothSession` owns one :class:`Assist` per call
and routes to it the ``document.*`` and ``face.check.*`` frames of that call,
the adapter's results (:class:`CaptureResult`, :class:`UploadDone`,
:class:`UploadFailed`, frames uploaded) and the resident's intents. Like the
engine it does no I/O and reads no clock; it returns effects
(:mod:`booth_client.effects`). The video call keeps running underneath: what
this module decides is drawn as an overlay of the in-call screen.

A requested document (protocol ``document.requested``)::

    ready      --resident "ready", or the countdown ends-->  capturing
    capturing  --page ok-->                                 uploading --stored--> submitted
    capturing  --quality / busy, attempts left-->           retrying --timer--> capturing
    capturing  --scanner error, or no attempts left-->      failed
    uploading  --refused, or unreachable after retries-->   failed
    submitted  --document.reviewed accepted-->              accepted
    submitted  --document.reviewed rescan-->                ready (the agent's reason shown)
    ready .. uploading  --resident "cancel"-->              failed (code cancelled)
    submitted, accepted, failed: shown for a while (or until dismissed), then gone

The booth reports ``document.status`` on the way: ``capturing`` when an
attempt starts, ``retrying`` (``code`` quality or busy), ``uploading``,
``failed`` (the scanner's code, ``quality``, ``upload`` or ``cancelled``).

A face check (protocol ``face.check.started``)::

    steps (baseline, challenge 1 … n; each on a timer) ──► sending (last uploads)
      ──face.check.submit──► judging ──► retry (hint) | done ──► decided (shown briefly)
    face.check.status cancelled: gone at once.   A new face.check.started replaces the old.

One thing at a time, in the order the agent asked: while a document is being
captured or uploaded (``ready`` … ``uploading``) or a face check is taking
frames (``steps``, ``sending``), a new request waits in a queue and starts as
soon as the current one is done. A face check therefore never interrupts a
document capture (a half-scanned page would be lost and the resident would not
know which to follow); it starts the moment the upload ends. Only the newest
face check waits: a later one replaces an earlier one in the queue.

Ids: a ``document.requested`` whose ``request_id`` is running, queued or
already finished in this call is a replay and is ignored; a ``rescan`` opens
its request again. Results, statuses and reviews for ids the booth does not
know (another call's, an attempt that was cancelled) are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, get_args

from booth_client.effects import (
    CancelCapture,
    CancelFaceCapture,
    Effect,
    FacePlan,
    FaceStep,
    FinishFaceCapture,
    Send,
    StartCapture,
    StartFaceCapture,
    StopAssist,
    UploadDocument,
)
from signaling import protocol as p

__all__ = [
    "AssistConfig", "Assist", "DocPhase", "FacePhase", "DocumentView", "FaceView",
    "CaptureResult", "UploadDone", "UploadFailed", "face_plan",
    "FAILURE_CODES", "RETRYABLE", "QUALITY_ISSUES", "FACE_HINTS", "FACE_STEPS",
]

log = logging.getLogger(__name__)

FAILURE_CODES: frozenset[str] = frozenset(get_args(p.DocumentFailure))
RETRYABLE: frozenset[str] = frozenset({"quality", "busy"})
"""Capture failures worth another attempt: the resident can fix them (adjust the
document) or they pass by themselves (another program holds the scanner)."""
QUALITY_ISSUES = ("blurry", "too_dark", "glare", "no_page")  # scanner_drivers.QualityIssue
FACE_HINTS = ("no_face", "many_faces", "too_small", "not_frontal", "blurry", "liveness")
FACE_STEPS = ("baseline", *get_args(p.Challenge))

Front = Literal["document", "face"]


@dataclass(frozen=True)
class AssistConfig:
    """Timers (seconds) and the retry budget. Tests shrink them instead of sleeping."""

    document_attempts: int = 3  # capture attempts per request, the first included
    document_ready_s: float = 20.0  # instruction shown this long, then capture starts
    document_retry_s: float = 3.0  # the reason of a failed attempt shown before the next
    document_result_s: float = 5.0  # "submitted" / "accepted" / "cancelled" shown
    document_failed_s: float = 15.0  # a failure shown (the resident may dismiss it)
    face_result_s: float = 6.0  # "verification complete" shown

    def __post_init__(self) -> None:
        if self.document_attempts < 1:
            raise ValueError("document_attempts must be >= 1")
        for name in ("document_ready_s", "document_retry_s", "document_result_s",
                     "document_failed_s", "face_result_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")


# ----------------------------------------------------------------------------- events in


@dataclass(frozen=True)
class CaptureResult:
    """How attempt ``attempt`` of ``request_id`` went (the adapter's answer to StartCapture).

    ``ok``: the page is scanned, good enough and encoded (kept by the adapter).
    Otherwise ``code`` is a ``document.status`` code (``quality``, ``busy``,
    ``jammed`` …), ``message`` the detail for the agent and ``issues`` the
    failed quality checks (``blurry``, ``too_dark``, ``glare``, ``no_page``).
    """

    request_id: str
    attempt: int
    ok: bool
    code: str | None = None
    message: str | None = None
    issues: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.ok and self.code is None:
            raise ValueError("a failed capture needs a code")


@dataclass(frozen=True)
class UploadDone:
    request_id: str
    document_id: str


@dataclass(frozen=True)
class UploadFailed:
    request_id: str
    message: str
    status: int | None = None  # HTTP status, None for a network failure


# ----------------------------------------------------------------------------- views


class DocPhase(StrEnum):
    READY = "ready"
    CAPTURING = "capturing"
    RETRYING = "retrying"
    UPLOADING = "uploading"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    FAILED = "failed"


_DOC_ACTIVE = frozenset({DocPhase.READY, DocPhase.CAPTURING, DocPhase.RETRYING,
                         DocPhase.UPLOADING})
_DOC_MOVES: dict[DocPhase, frozenset[DocPhase]] = {
    DocPhase.READY: frozenset({DocPhase.CAPTURING, DocPhase.FAILED}),
    DocPhase.CAPTURING: frozenset({DocPhase.UPLOADING, DocPhase.RETRYING, DocPhase.FAILED}),
    DocPhase.RETRYING: frozenset({DocPhase.CAPTURING, DocPhase.FAILED}),
    DocPhase.UPLOADING: frozenset({DocPhase.SUBMITTED, DocPhase.FAILED}),
    DocPhase.SUBMITTED: frozenset({DocPhase.ACCEPTED}),
    DocPhase.ACCEPTED: frozenset(),
    DocPhase.FAILED: frozenset(),
}


class FacePhase(StrEnum):
    STEPS = "steps"
    SENDING = "sending"
    JUDGING = "judging"
    RETRY = "retry"
    DONE = "done"
    DECIDED = "decided"
    FAILED = "failed"


_FACE_CAPTURING = frozenset({FacePhase.STEPS, FacePhase.SENDING})
_FACE_MOVES: dict[FacePhase, frozenset[FacePhase]] = {
    FacePhase.STEPS: frozenset({FacePhase.SENDING, FacePhase.JUDGING, FacePhase.RETRY,
                                FacePhase.DONE, FacePhase.DECIDED}),
    FacePhase.SENDING: frozenset({FacePhase.JUDGING, FacePhase.FAILED, FacePhase.RETRY,
                                  FacePhase.DONE, FacePhase.DECIDED}),
    FacePhase.JUDGING: frozenset({FacePhase.RETRY, FacePhase.DONE, FacePhase.DECIDED,
                                  FacePhase.FAILED}),
    FacePhase.RETRY: frozenset({FacePhase.DONE, FacePhase.DECIDED}),
    FacePhase.DONE: frozenset({FacePhase.DECIDED, FacePhase.RETRY}),
    FacePhase.DECIDED: frozenset(),
    FacePhase.FAILED: frozenset({FacePhase.RETRY, FacePhase.DONE, FacePhase.DECIDED}),
}
_FACE_STATUS = {"judging": FacePhase.JUDGING, "retry": FacePhase.RETRY,
                "done": FacePhase.DONE, "decided": FacePhase.DECIDED}


@dataclass(frozen=True)
class DocumentView:
    """The document overlay. ``message`` is an i18n key (what to tell the resident)."""

    request_id: str
    kind: str
    instruction: str | None  # the agent's words; None: the kiosk's default for ``kind``
    phase: DocPhase
    attempt: int  # 0 before the first attempt
    attempts: int  # the most the booth makes
    message: str | None
    code: str | None  # the document.status code of a retry or failure
    agent_reason: str | None  # the agent's reason for a rescan
    rescan: bool
    until: float | None  # when this phase ends by itself (countdown), if it does


@dataclass(frozen=True)
class FaceView:
    """The face-check overlay. ``message`` is an i18n key for anything but a prompt."""

    check_id: str
    phase: FacePhase
    steps: tuple[str, ...]  # "baseline", then the challenges
    index: int  # the step on screen (len(steps) once capturing is over)
    step_started_at: float | None
    step_ends_at: float | None
    hint: str | None  # the hub's hint on ``retry``
    message: str | None

    @property
    def step(self) -> str | None:
        return self.steps[self.index] if self.phase is FacePhase.STEPS else None


def face_plan(f: p.FaceCheckStarted) -> FacePlan:
    """The booth's schedule for a check: the steps, and frames spaced to fit ``max_frames``."""
    steps = ("baseline", *f.challenges)
    durations = (float(f.baseline_s), *([float(f.step_s)] * len(f.challenges)))
    interval = max(1.0 / f.fps, sum(durations) / f.max_frames)
    return FacePlan(f.call_id, f.check_id, steps, durations, interval, f.max_frames,
                    f.upload_url)


# ----------------------------------------------------------------------------- state


@dataclass(frozen=True)
class _DocOrder:
    call_id: str
    request_id: str
    kind: str
    instruction: str | None
    rescan_reason: str | None = None
    rescan: bool = False


@dataclass
class _Doc:
    call_id: str
    request_id: str
    kind: str
    instruction: str | None
    phase: DocPhase = DocPhase.READY
    attempt: int = 0
    message: str | None = None
    code: str | None = None
    agent_reason: str | None = None
    rescan: bool = False
    document_id: str | None = None
    until: float | None = None


@dataclass
class _Face:
    plan: FacePlan
    phase: FacePhase = FacePhase.STEPS
    index: int = 0
    started: float = 0.0
    ends: float = 0.0
    hint: str | None = None
    message: str | None = None
    until: float | None = None
    submit_id: str | None = None


Request = Callable[[str, p._Data], Send]


@dataclass
class Assist:
    """Documents and face checks of one call. Every method returns effects.

    ``request`` makes a ``Send`` with a fresh id that the engine tracks (its
    reply or ``error`` comes back through :meth:`refused`).
    """

    config: AssistConfig
    request: Request
    doc: _Doc | None = None
    face: _Face | None = None
    front: Front | None = None
    _queue: list[_DocOrder | p.FaceCheckStarted] = field(default_factory=list)
    _finished: set[str] = field(default_factory=set)  # request ids done with in this call
    _instructions: dict[str, str | None] = field(default_factory=dict)

    # ------------------------------------------------------------------ state helpers

    def busy(self) -> bool:
        """The resident is doing something: a new request has to wait its turn."""
        return self._doc_busy() or (self.face is not None and self.face.phase in _FACE_CAPTURING)

    def _doc_busy(self) -> bool:
        return self.doc is not None and self.doc.phase in _DOC_ACTIVE

    def _move_doc(self, doc: _Doc, to: DocPhase) -> bool:
        """The one guarded move of a document's phase; illegal moves are logged and refused."""
        if to is doc.phase:
            return True
        if to not in _DOC_MOVES[doc.phase]:
            log.warning("booth: refused document move %s -> %s (%s)", doc.phase, to,
                        doc.request_id)
            return False
        log.debug("booth: document %s %s -> %s", doc.request_id, doc.phase, to)
        doc.phase = to
        return True

    def _move_face(self, face: _Face, to: FacePhase) -> bool:
        if to is face.phase:
            return True
        if to not in _FACE_MOVES[face.phase]:
            log.warning("booth: refused face check move %s -> %s (%s)", face.phase, to,
                        face.plan.check_id)
            return False
        log.debug("booth: face check %s %s -> %s", face.plan.check_id, face.phase, to)
        face.phase = to
        return True

    def _refront(self) -> None:
        if self._doc_busy():
            self.front = "document"
        elif self.face is not None and self.face.phase in _FACE_CAPTURING:
            self.front = "face"
        elif self.front == "document" and self.doc is None:
            self.front = "face" if self.face is not None else None
        elif self.front == "face" and self.face is None:
            self.front = "document" if self.doc is not None else None
        elif self.front is None:
            self.front = ("document" if self.doc is not None
                          else "face" if self.face is not None else None)

    def _status(self, doc: _Doc, state: str, code: str | None = None,
                message: str | None = None) -> Send:
        return self.request("document.status", p.DocumentStatus.model_validate({
            "call_id": doc.call_id, "request_id": doc.request_id, "state": state,
            "code": code, "message": None if message is None else message[:200]}))

    def _order(self, order: _DocOrder | p.FaceCheckStarted, now: float) -> list[Effect]:
        if self.busy():
            if isinstance(order, p.FaceCheckStarted):
                self._queue = [o for o in self._queue if not isinstance(o, p.FaceCheckStarted)]
            log.info("booth: %s waits for the current capture", _order_name(order))
            self._queue.append(order)
            return []
        return self._begin(order, now)

    def _begin(self, order: _DocOrder | p.FaceCheckStarted, now: float) -> list[Effect]:
        if isinstance(order, p.FaceCheckStarted):
            return self._begin_face(order, now)
        self.doc = _Doc(order.call_id, order.request_id, order.kind, order.instruction,
                        agent_reason=order.rescan_reason, rescan=order.rescan,
                        until=now + self.config.document_ready_s)
        self.front = "document"
        return []

    def _next(self, now: float) -> list[Effect]:
        """Start the next waiting request if the resident is free."""
        effects: list[Effect] = []
        while self._queue and not self.busy():
            effects += self._begin(self._queue.pop(0), now)
        self._refront()
        return effects

    # ------------------------------------------------------------------ documents

    def requested(self, d: p.DocumentRequested, now: float) -> list[Effect]:
        if self._known(d.request_id):
            log.info("booth: document request %s again: ignored", d.request_id)
            return []
        self._instructions[d.request_id] = d.instruction
        return self._order(_DocOrder(d.call_id, d.request_id, d.kind, d.instruction), now)

    def _known(self, request_id: str) -> bool:
        if request_id in self._finished:
            return True
        if self.doc is not None and self.doc.request_id == request_id:
            return True
        return any(isinstance(o, _DocOrder) and o.request_id == request_id
                   for o in self._queue)

    def ready(self, now: float) -> list[Effect]:
        """The resident has put the document down (or the countdown ran out)."""
        doc = self.doc
        if doc is None or doc.phase is not DocPhase.READY:
            return []
        return self._capture(doc)

    def _capture(self, doc: _Doc) -> list[Effect]:
        if not self._move_doc(doc, DocPhase.CAPTURING):
            return []
        doc.attempt += 1
        doc.until = None
        return [self._status(doc, "capturing"),
                StartCapture(doc.call_id, doc.request_id, doc.kind, doc.attempt)]

    def capture_result(self, r: CaptureResult, now: float) -> list[Effect]:
        doc = self.doc
        if (doc is None or doc.request_id != r.request_id or doc.attempt != r.attempt
                or doc.phase is not DocPhase.CAPTURING):
            log.info("booth: stale capture result %s #%d ignored", r.request_id, r.attempt)
            return []
        if r.ok:
            self._move_doc(doc, DocPhase.UPLOADING)
            doc.message, doc.code = None, None
            return [self._status(doc, "uploading"),
                    UploadDocument(doc.call_id, doc.request_id, doc.kind, doc.attempt)]
        code = r.code if r.code in FAILURE_CODES else "error"
        if code in RETRYABLE and doc.attempt < self.config.document_attempts:
            self._move_doc(doc, DocPhase.RETRYING)
            doc.code = code
            doc.message = _quality_key(r.issues) if code == "quality" else "doc.retry.busy"
            doc.until = now + self.config.document_retry_s
            return [self._status(doc, "retrying", code, r.message)]
        return self._fail(doc, code, r.message, now)

    def _fail(self, doc: _Doc, code: str, message: str | None, now: float) -> list[Effect]:
        if not self._move_doc(doc, DocPhase.FAILED):
            return []
        doc.code = code
        doc.message = f"doc.error.{code}"
        doc.until = now + (self.config.document_result_s if code == "cancelled"
                           else self.config.document_failed_s)
        self._finished.add(doc.request_id)
        return [self._status(doc, "failed", code, message), *self._next(now)]

    def upload_done(self, r: UploadDone, now: float) -> list[Effect]:
        doc = self.doc
        if doc is None or doc.request_id != r.request_id or doc.phase is not DocPhase.UPLOADING:
            return []
        self._move_doc(doc, DocPhase.SUBMITTED)
        doc.document_id = r.document_id
        doc.message = "doc.submitted"
        doc.until = now + self.config.document_result_s
        self._finished.add(doc.request_id)
        return self._next(now)

    def upload_failed(self, r: UploadFailed, now: float) -> list[Effect]:
        doc = self.doc
        if doc is None or doc.request_id != r.request_id or doc.phase is not DocPhase.UPLOADING:
            return []
        return self._fail(doc, "upload", r.message, now)

    def cancel(self, now: float) -> list[Effect]:
        """The resident gave up on the capture on screen."""
        doc = self.doc
        if doc is None or doc.phase not in _DOC_ACTIVE:
            return []
        stop = CancelCapture(doc.call_id, doc.request_id)
        return [stop, *self._fail(doc, "cancelled", "the resident cancelled", now)]

    def dismiss(self, now: float) -> list[Effect]:
        """The resident closed a result (submitted, accepted, failed)."""
        if self.doc is None or self.doc.phase in _DOC_ACTIVE:
            return []
        self.doc = None
        self._refront()
        return []

    def reviewed(self, r: p.DocumentReviewed, now: float) -> list[Effect]:
        doc = self.doc
        mine = doc is not None and (doc.request_id == r.request_id
                                    or doc.document_id == r.document_id)
        if r.decision == "accepted":
            if doc is not None and mine and doc.phase is DocPhase.SUBMITTED:
                self._move_doc(doc, DocPhase.ACCEPTED)
            elif not self.busy():  # the overlay had gone: show the good news again
                self.doc = _Doc(r.call_id, r.request_id or r.document_id, r.kind, None,
                                phase=DocPhase.ACCEPTED, document_id=r.document_id)
            else:
                return []
            assert self.doc is not None
            self.doc.message = "doc.accepted"
            self.doc.until = now + self.config.document_result_s
            if self._doc_busy() or self.face is None or self.face.phase not in _FACE_CAPTURING:
                self.front = "document"
            return []
        if r.request_id is None:  # nothing to capture again against
            log.warning("booth: rescan of %s without a request id ignored", r.document_id)
            return []
        if doc is not None and doc.request_id == r.request_id and doc.phase in _DOC_ACTIVE:
            return []  # already at it
        if any(isinstance(o, _DocOrder) and o.request_id == r.request_id for o in self._queue):
            return []
        self._finished.discard(r.request_id)
        order = _DocOrder(r.call_id, r.request_id, r.kind,
                          self._instructions.get(r.request_id), r.reason, True)
        return self._order(order, now)

    # ------------------------------------------------------------------ face check

    def face_started(self, f: p.FaceCheckStarted, now: float) -> list[Effect]:
        if self.face is not None and self.face.plan.check_id == f.check_id:
            return []  # a replay
        if any(isinstance(o, p.FaceCheckStarted) and o.check_id == f.check_id
               for o in self._queue):
            return []
        effects: list[Effect] = []
        if self.face is not None:  # the agent started again: the old check is over
            if self.face.phase in _FACE_CAPTURING:
                effects.append(CancelFaceCapture(self.face.plan.check_id))
            self.face = None
            self._refront()
        return effects + self._order(f, now)

    def _begin_face(self, f: p.FaceCheckStarted, now: float) -> list[Effect]:
        plan = face_plan(f)
        self.face = _Face(plan, started=now, ends=now + plan.durations_s[0])
        self.front = "face"
        return [StartFaceCapture(plan), FaceStep(plan.check_id, plan.steps[0], 0)]

    def face_capture_done(self, check_id: str, frames: int, now: float) -> list[Effect]:
        """Every frame upload of ``check_id`` has ended; ``frames`` were stored."""
        face = self.face
        if face is None or face.plan.check_id != check_id or face.phase is not FacePhase.SENDING:
            return []
        if frames < 1:
            self._move_face(face, FacePhase.FAILED)
            face.message = "face.failed"
            return self._next(now)
        self._move_face(face, FacePhase.JUDGING)
        face.message = "face.judging"
        submit = self.request("face.check.submit", p.FaceCheckSubmit(
            call_id=face.plan.call_id, check_id=check_id,
            frames=min(frames, face.plan.max_frames, 60)))
        face.submit_id = submit.id
        return [submit, *self._next(now)]

    def face_status(self, s: p.FaceCheckStatus, now: float) -> list[Effect]:
        face = self.face
        if face is None or face.plan.check_id != s.check_id:
            return []
        effects: list[Effect] = []
        capturing = face.phase in _FACE_CAPTURING
        if s.state == "cancelled":
            if capturing:
                effects.append(CancelFaceCapture(s.check_id))
            self.face = None
            return effects + self._next(now)
        to = _FACE_STATUS[s.state]
        if to is face.phase and s.hint == face.hint:
            return []
        if not self._move_face(face, to):
            return []
        if capturing:  # the hub has moved on: the frames still being taken are not wanted
            effects.append(CancelFaceCapture(s.check_id))
        face.hint = s.hint
        face.message = _face_key(to, s.hint)
        face.until = now + self.config.face_result_s if to is FacePhase.DECIDED else None
        if not self._doc_busy():
            self.front = "face"
        return effects + (self._next(now) if capturing else [])

    def refused(self, re: str, code: str, now: float) -> list[Effect]:
        """The hub answered a request of ours with ``error``."""
        face = self.face
        if face is not None and face.submit_id == re and face.phase is FacePhase.JUDGING:
            log.warning("booth: face check %s submit refused: %s", face.plan.check_id, code)
            self._move_face(face, FacePhase.FAILED)
            face.message = "face.failed"
        return []

    # ------------------------------------------------------------------ time

    def next_deadline(self) -> float | None:
        times = []
        if self.doc is not None and self.doc.until is not None:
            times.append(self.doc.until)
        if self.face is not None:
            if self.face.phase is FacePhase.STEPS:
                times.append(self.face.ends)
            elif self.face.until is not None:
                times.append(self.face.until)
        return min(times, default=None)

    def tick(self, now: float) -> list[Effect]:
        effects: list[Effect] = []
        doc = self.doc
        if doc is not None and doc.until is not None and now >= doc.until:
            if doc.phase in (DocPhase.READY, DocPhase.RETRYING):
                effects += self._capture(doc)
            else:  # a result has been shown long enough
                self.doc = None
                self._refront()
        face = self.face
        if face is not None and face.phase is FacePhase.STEPS:
            while face.phase is FacePhase.STEPS and now >= face.ends:
                face.index += 1
                if face.index < len(face.plan.steps):
                    face.started = face.ends
                    face.ends += face.plan.durations_s[face.index]
                    effects.append(FaceStep(face.plan.check_id, face.plan.steps[face.index],
                                            face.index))
                else:
                    self._move_face(face, FacePhase.SENDING)
                    face.message = "face.sending"
                    effects.append(FinishFaceCapture(face.plan.check_id))
        elif face is not None and face.until is not None and now >= face.until:
            self.face = None
            effects += self._next(now)
        return effects

    # ------------------------------------------------------------------ the end

    def stop(self, call_id: str) -> list[Effect]:
        """The call is over: forget everything and cancel whatever still runs."""
        self.doc = None
        self.face = None
        self.front = None
        self._queue.clear()
        self._finished.clear()
        self._instructions.clear()
        return [StopAssist(call_id)]

    # ------------------------------------------------------------------ view

    def document_view(self) -> DocumentView | None:
        doc = self.doc
        if doc is None:
            return None
        return DocumentView(
            request_id=doc.request_id, kind=doc.kind, instruction=doc.instruction,
            phase=doc.phase, attempt=doc.attempt, attempts=self.config.document_attempts,
            message=doc.message, code=doc.code, agent_reason=doc.agent_reason,
            rescan=doc.rescan, until=doc.until)

    def face_view(self) -> FaceView | None:
        face = self.face
        if face is None:
            return None
        steps = face.plan.steps
        capturing = face.phase is FacePhase.STEPS
        return FaceView(
            check_id=face.plan.check_id, phase=face.phase, steps=steps,
            index=face.index if capturing else len(steps),
            step_started_at=face.started if capturing else None,
            step_ends_at=face.ends if capturing else None,
            hint=face.hint, message=face.message)


def _order_name(order: _DocOrder | p.FaceCheckStarted) -> str:
    if isinstance(order, p.FaceCheckStarted):
        return f"face check {order.check_id}"
    return f"document request {order.request_id}"


def _quality_key(issues: tuple[str, ...]) -> str:
    first = next((i for i in issues if i in QUALITY_ISSUES), None)
    return f"doc.quality.{first}" if first is not None else "doc.quality.other"


def _face_key(phase: FacePhase, hint: str | None) -> str:
    if phase is FacePhase.RETRY:
        return f"face.hint.{hint}" if hint in FACE_HINTS else "face.hint.other"
    return {FacePhase.JUDGING: "face.judging", FacePhase.DONE: "face.done",
            FacePhase.DECIDED: "face.decided"}.get(phase, "face.failed")
