"""Remote assist in a call (issue 7): consent, pointer, annotations, forms, guidance and
remote control, relayed between the call's agent and booth over the WebSocket.

Why through the hub rather than only over a WebRTC data channel: the hub
authorizes every message against the call (only its agent sends agent messages,
only its booth booth messages), it keeps working while the media path is being
rebuilt (aiortc has no ICE restart), and on loopback a relayed frame costs a few
milliseconds. ``assist.pointer`` and ``assist.annotate`` take the hub's lock-free
path (like ``call.ice``): no store on the steady path, only the call book and the
call's in-memory board.

- Consent: the agent asks (``assist.consent.request``), the resident grants or
  revokes at any time (``assist.consent``). Every decision is a store row and an
  audit row. ``control`` needs ``screen``; revoking ``screen`` revokes ``control``.
  The hub cannot see the media, so the booth enforces screen sharing itself; the
  hub enforces remote control (``assist.control`` without a live ``control``
  grant is ``forbidden``) and audits every injected action before relaying it.
- Annotations: the hub keeps each call's :class:`~signaling.annotations.AnnotationBoard`
  in memory, so a booth that reconnects gets the drawings back (``assist.board``).
- Forms: definitions are stored when pushed; progress is relayed to the agent with
  ``sensitive`` values masked; the signed submission comes over HTTP
  (:meth:`AssistDesk.submit`), is validated against the pushed definition and
  stored with the sha256 of its canonical JSON.

The call ending drops the call's assist state and cancels its unsigned forms.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from signaling import images
from signaling import protocol as p
from signaling.annotations import AnnotationBoard, AnnotationError, AnnotationOp
from signaling.calls import Call, CallNotFound
from signaling.documents import DocumentError, Handler, can_read
from signaling.files import BlobMissing
from signaling.forms import (
    FieldError,
    FormDefinition,
    Submission,
    SubmissionInvalid,
    check_progress,
    mask_values,
    submission_document,
    validate_submission,
)
from signaling.store import FormRecord, Identity
from signaling.store import errors as store_errors
from signaling.store.audit import canonical_json

if TYPE_CHECKING:
    from signaling.hub import Conn, Hub
    from signaling.sessions import Session

__all__ = ["AssistDesk", "FormRejected", "SUBMISSION_MAX_BYTES"]

log = logging.getLogger(__name__)

SUBMISSION_MAX_BYTES: Final = 2 * 1024 * 1024
_SIGNATURE_MAX_PIXELS: Final = 4_000_000
_MAX_OPEN_FORMS: Final = 10  # per call: a runaway console cannot grow the table
_FORM_ID_LEN: Final = len("frm_") + 20  # store.credentials.new_id("frm")


class FormRejected(DocumentError):
    """A submission whose values do not fit the pushed definition: one error a field."""

    def __init__(self, errors: dict[str, FieldError]) -> None:
        first = "; ".join(f"{k}: {v.message}" for k, v in list(errors.items())[:3])
        super().__init__("bad_message", f"{len(errors)} field(s) refused: {first}")
        self.fields = errors


@dataclass
class _Form:
    form_id: str
    definition: FormDefinition
    state: str  # pushed | submitted | cancelled


@dataclass
class _CallAssist:
    """One call's assist state. ``consent`` and ``forms`` are read from the store the
    first time they are needed (so they survive a hub restart); the board does not."""

    call_id: str
    booth_id: str
    agent_id: str
    consent: dict[str, bool] | None = None
    forms: dict[str, _Form] | None = None
    board: AnnotationBoard = field(default_factory=AnnotationBoard)
    surfaces: set[str] = field(default_factory=lambda: {"screen"})  # verified for the call


def _err(code: p.ErrorCode, message: str) -> p.ProtocolError:
    return p.ProtocolError(code, message)


def _field_errors(exc: SubmissionInvalid) -> str:
    return "; ".join(f"values.{k}: {v.message}" for k, v in list(exc.errors.items())[:3])


class AssistDesk:
    """The hub's assist feature: WebSocket handlers (``handlers`` under the hub lock,
    ``relays`` on the lock-free path), the call-end and welcome hooks, the HTTP parts."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.calls: dict[str, _CallAssist] = {}
        self.handlers: dict[str, Handler] = {
            "assist.consent.request": self._on_consent_request,
            "assist.consent": self._on_consent,
            "assist.board.get": self._on_board_get,
            "assist.form.push": self._on_form_push,
            "assist.form.progress": self._on_form_progress,
            "assist.guide": self._on_guide,
            "assist.control": self._on_control,
        }
        self.relays: dict[str, Handler] = {
            "assist.pointer": self._on_pointer,
            "assist.annotate": self._on_annotate,
        }

    # ------------------------------------------------------------------ state

    def _state(self, call: Call) -> _CallAssist:
        st = self.calls.get(call.call_id)
        if st is None:
            st = self.calls[call.call_id] = _CallAssist(call.call_id, call.booth_id,
                                                        call.agent_id)
        return st

    async def _consent(self, st: _CallAssist) -> dict[str, bool]:
        if st.consent is None:
            loaded = await self.hub.store.consent_state(st.call_id)
            if st.consent is None:  # a decision may have landed during the read
                st.consent = loaded
        return st.consent

    async def _forms(self, st: _CallAssist) -> dict[str, _Form]:
        if st.forms is None:
            loaded = {r.id: _Form(r.id, FormDefinition.model_validate(r.definition), r.state)
                      for r in await self.hub.store.call_forms(st.call_id)}
            if st.forms is None:
                st.forms = loaded
        return st.forms

    def _party_call(self, call_id: str, kind: str, subject_id: str) -> Call:
        call = self.hub.calls.get(call_id)
        call.party_of(kind, subject_id)
        return call

    async def _check_surface(self, call: Call, surface: str) -> Call:
        """A ``document:<id>`` surface must be a document of the call (checked once per
        call, then remembered). Returns the call, looked up again after any wait."""
        if surface in self._state(call).surfaces:
            return call
        document_id = surface.split(":", 1)[1]
        try:
            doc = await self.hub.store.get_document(document_id)
        except store_errors.NotFound as exc:
            raise _err(p.ErrorCode.NOT_FOUND, f"no document {document_id}") from exc
        if doc.call_id != call.call_id:
            raise _err(p.ErrorCode.FORBIDDEN, "not a document of this call")
        call = self.hub.calls.get(call.call_id)  # it may have ended meanwhile
        self._state(call).surfaces.add(surface)
        return call

    # ------------------------------------------------------------------ consent

    async def _on_consent_request(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistConsentRequest)
        call = self._party_call(data.call_id, "agent", session.subject_id)
        consent = await self._consent(self._state(call))
        if data.scope == "control" and not consent.get("screen"):
            raise _err(p.ErrorCode.CONFLICT, "remote control needs the screen shared first")
        await self.hub.store.audit(f"agent:{session.subject_id}", "assist.consent.request",
                                   call.call_id, {"scope": data.scope})
        event = p.AssistConsentRequested(call_id=call.call_id, scope=data.scope)
        self.hub.reply(conn, frame, "assist.consent.requested", event)
        self.hub.push("booth", call.booth_id, "assist.consent.requested", event)

    async def _on_consent(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistConsent)
        call = self._party_call(data.call_id, "booth", session.subject_id)
        consent = await self._consent(self._state(call))
        if data.granted and data.scope == "control" and not consent.get("screen"):
            raise _err(p.ErrorCode.CONFLICT, "remote control needs the screen shared first")
        decisions = [(data.scope, data.granted, "resident")]
        if data.scope == "screen" and not data.granted and consent.get("control"):
            decisions.append(("control", False, "screen_revoked"))
        events = []
        for scope, granted, reason in decisions:
            rec = await self.hub.store.record_consent(call.call_id, call.booth_id, scope,
                                                      granted, reason)
            consent[scope] = granted
            await self.hub.store.audit(f"booth:{session.subject_id}", "assist.consent",
                                       call.call_id, {"scope": scope, "granted": granted,
                                                      "reason": reason, "consent_id": rec.id})
            events.append(p.AssistConsentEvent(call_id=call.call_id, scope=scope,
                                               granted=granted, at=rec.at.timestamp()))
        self.hub.reply(conn, frame, "ok")
        for event in events:
            self.hub.push("agent", call.agent_id, "assist.consent", event)

    # ------------------------------------------------------------------ pointer, drawings

    async def _on_pointer(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistPointer)
        call = self._party_call(data.call_id, "agent", session.subject_id)
        if data.surface != "screen":
            call = await self._check_surface(call, data.surface)
        self.hub.push("booth", call.booth_id, "assist.pointer", data)
        self.hub.reply(conn, frame, "ok")

    async def _on_annotate(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistAnnotate)
        call = self._party_call(data.call_id, "agent", session.subject_id)
        if data.surface != "screen":
            call = await self._check_surface(call, data.surface)
        st = self._state(call)
        op = AnnotationOp(surface=data.surface, op=data.op, shape=data.shape)
        try:
            st.board = st.board.apply(op)
        except AnnotationError as exc:
            raise _err(p.ErrorCode(exc.code), exc.message) from exc
        self.hub.push("booth", call.booth_id, "assist.annotate", data)
        self.hub.reply(conn, frame, "ok")

    def _board(self, st: _CallAssist, surface: str) -> p.AssistBoard:
        return p.AssistBoard(call_id=st.call_id, surface=surface,
                             shapes=list(st.board.shapes(surface)))

    async def _on_board_get(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistBoardGet)
        call = self._party_call(data.call_id, session.kind, session.subject_id)
        self.hub.reply(conn, frame, "assist.board", self._board(self._state(call),
                                                                data.surface))

    # ------------------------------------------------------------------ forms

    async def _on_form_push(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistFormPush)
        call = self._party_call(data.call_id, "agent", session.subject_id)
        forms = await self._forms(self._state(call))
        if sum(f.state == "pushed" for f in forms.values()) >= _MAX_OPEN_FORMS:
            raise _err(p.ErrorCode.CONFLICT, f"{_MAX_OPEN_FORMS} forms are open in this call")
        probe = p.encode("assist.form", p.AssistForm(call_id=call.call_id,
                                                     form_id="f" * _FORM_ID_LEN,
                                                     form=data.form))
        if len(probe.encode("utf-8")) > p.MAX_FRAME_BYTES:
            raise _err(p.ErrorCode.TOO_LARGE, "the form does not fit in one frame to the booth")
        definition = data.form.model_dump(mode="json")
        rec = await self.hub.store.create_form(call.call_id, call.booth_id, call.agent_id,
                                               data.form.title.zh, definition)
        forms[rec.id] = _Form(rec.id, data.form, "pushed")
        await self.hub.store.audit(f"agent:{session.subject_id}", "assist.form.push", rec.id, {
            "call_id": call.call_id, "title": data.form.title.zh,
            "template": data.form.template, "fields": len(data.form.fields),
            "definition_sha256": hashlib.sha256(
                canonical_json(definition).encode("utf-8")).hexdigest()})
        self.hub.metrics.inc("xiaowu_assist_forms_total", state="pushed")
        self.hub.reply(conn, frame, "assist.form.pushed",
                       p.AssistFormPushed(call_id=call.call_id, form_id=rec.id))
        self.hub.push("booth", call.booth_id, "assist.form",
                      p.AssistForm(call_id=call.call_id, form_id=rec.id, form=data.form))

    async def _open_form(self, st: _CallAssist, form_id: str) -> _Form:
        form = (await self._forms(st)).get(form_id)
        if form is None:
            raise DocumentError("not_found", f"no form {form_id} in this call")
        if form.state != "pushed":
            raise DocumentError("conflict", f"form {form_id} is {form.state}")
        return form

    async def _on_form_progress(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistFormProgress)
        call = self._party_call(data.call_id, "booth", session.subject_id)
        try:
            form = await self._open_form(self._state(call), data.form_id)
            values = check_progress(form.definition, data.values)
        except DocumentError as exc:
            raise _err(p.ErrorCode(exc.code), exc.message) from exc
        except SubmissionInvalid as exc:
            raise _err(p.ErrorCode.BAD_MESSAGE, _field_errors(exc)) from exc
        shown, masked = mask_values(form.definition, values)
        self.hub.push("agent", call.agent_id, "assist.form.progress",
                      p.AssistFormProgressEvent(call_id=call.call_id, form_id=form.form_id,
                                                values=shown, masked=masked))
        self.hub.reply(conn, frame, "ok")

    # ------------------------------------------------------------------ guidance, control

    async def _on_guide(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistGuide)
        call = self._party_call(data.call_id, "agent", session.subject_id)
        if data.document_id is not None:
            await self._check_surface(call, f"document:{data.document_id}")
        self.hub.push("booth", call.booth_id, "assist.guide", data)
        self.hub.reply(conn, frame, "ok")

    async def _on_control(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AssistControl)
        call = self._party_call(data.call_id, "agent", session.subject_id)
        consent = await self._consent(self._state(call))
        if not consent.get("control"):
            raise _err(p.ErrorCode.FORBIDDEN, "the resident has not granted remote control")
        # audited before it is relayed: no injected action without its record
        await self.hub.store.audit(f"agent:{session.subject_id}", "assist.control",
                                   call.call_id, {"action": data.action, "x": data.x,
                                                  "y": data.y})
        self.hub.metrics.inc("xiaowu_assist_controls_total", action=data.action)
        self.hub.push("booth", call.booth_id, "assist.control", data)
        self.hub.reply(conn, frame, "ok")

    # ------------------------------------------------------------------ hooks

    async def call_ended(self, call: Call) -> None:
        """Drop the call's assist state; its unsigned forms are cancelled."""
        st = self.calls.pop(call.call_id, None)
        if st is not None and st.forms is not None and \
                not any(f.state == "pushed" for f in st.forms.values()):
            return  # the forms this node knows are all of the call's: none is open
        if not await self.hub.store.call_forms(call.call_id, states=("pushed",)):
            return
        cancelled = await self.hub.store.cancel_open_forms(call.call_id)
        if cancelled:
            await self.hub.store.audit("hub", "assist.form.cancel", call.call_id,
                                       {"forms": cancelled, "why": "call_ended"})

    async def welcomed(self, session: Session) -> None:
        """A party of a live call (re)connected: give it the call's assist state back.
        Both get the consent decisions; the booth gets its drawings and unsigned forms,
        the agent its drawings."""
        kind, sid = session.key
        call = self.hub.calls.of(kind, sid) if kind in ("booth", "agent") else None
        if call is None:
            return
        st = self._state(call)
        consent = await self._consent(st)
        now = self.hub.clock()
        for scope, granted in sorted(consent.items()):
            self.hub.push(kind, sid, "assist.consent", p.AssistConsentEvent(
                call_id=call.call_id, scope=scope, granted=granted, at=now))
        for surface in sorted(st.board.surfaces):
            self.hub.push(kind, sid, "assist.board", self._board(st, surface))
        if kind == "booth":
            for form in (await self._forms(st)).values():
                if form.state == "pushed":
                    self.hub.push("booth", sid, "assist.form", p.AssistForm(
                        call_id=call.call_id, form_id=form.form_id, form=form.definition))

    # ------------------------------------------------------------------ HTTP

    async def submit(self, ident: Identity, call_id: str, form_id: str, body: bytes
                     ) -> p.AssistFormSubmitted:
        """The resident's signed submission (booth bearer): validated against the pushed
        definition, the signature PNG checked and stored 0600, the whole hashed, stored
        once, audited, and pushed to the agent. Raises :class:`DocumentError` (and
        :class:`FormRejected` with per-field errors)."""
        call = self.hub.documents.live_call_of_booth(ident, call_id)
        sub = _parse_submission(body)
        if not sub.reviewed:
            raise DocumentError("bad_message", "reviewed must be true: the resident reviews "
                                               "the form before signing")
        st = self._state(call)
        forms = await self._forms(st)
        if form_id in forms and forms[form_id].state == "submitted":
            receipt = await self._same_submission(call_id, form_id, sub.values,
                                                  sub.signature.strokes, sub.signature.png)
            if receipt is not None:
                return receipt  # a retry whose first reply was lost: the stored receipt
        form = await self._open_form(st, form_id)
        try:
            values = validate_submission(form.definition, sub.values)
        except SubmissionInvalid as exc:
            raise FormRejected(exc.errors) from exc
        png = _decode_png(sub.signature.png)
        try:
            clean = await asyncio.to_thread(images.clean_image, png, _SIGNATURE_MAX_PIXELS)
        except images.ImageRejected as exc:
            raise DocumentError(exc.code, f"signature.png: {exc.message}") from exc
        sig_sha, fresh = await asyncio.to_thread(self.hub.files.add, clean.data)
        at = datetime.fromtimestamp(self.hub.clock(), UTC)
        strokes = sub.signature.strokes
        doc = submission_document(
            form_id=form_id, call_id=call_id, booth_id=call.booth_id,
            form=form.definition, values=values, strokes=strokes,
            signature_sha256=sig_sha, submitted_at=at.isoformat(timespec="microseconds"))
        digest = hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()
        async with self.hub.lock:
            try:
                rec = await self.hub.store.submit_form(
                    form_id, values=values, strokes=strokes, signature_sha256=sig_sha,
                    sha256=digest, submitted_at=at)
            except store_errors.Conflict as exc:  # signed twice, or the call ended
                if fresh:
                    await asyncio.to_thread(self.hub.files.delete, sig_sha)
                raise DocumentError("conflict", str(exc)) from exc
            form.state = "submitted"
            await self.hub.store.audit(f"booth:{ident.subject_id}", "assist.form.submit",
                                       form_id, {
                                           "call_id": call_id, "sha256": digest,
                                           "signature_sha256": sig_sha,
                                           "fields": len(values), "strokes": len(strokes),
                                           "points": sum(len(s) for s in strokes)})
            self.hub.metrics.inc("xiaowu_assist_forms_total", state="submitted")
            event = p.AssistFormSubmitted(
                call_id=call_id, form_id=form_id, values=values, sha256=digest,
                signature_sha256=sig_sha, signature_url=f"/api/forms/{form_id}/signature",
                submitted_at=at.timestamp())
            self.hub.push("agent", rec.agent_id, "assist.form.submitted", event)
        return event

    async def _same_submission(self, call_id: str, form_id: str, values: Any,
                               strokes: Any, png_b64: str) -> p.AssistFormSubmitted | None:
        """The stored submission when ``values``, ``strokes`` and the signature are those
        already signed (an idempotent retry), else ``None``."""
        rec = await self.hub.store.get_form(form_id)
        if rec.state != "submitted" or rec.sha256 is None or rec.submitted_at is None:
            return None
        try:
            png = _decode_png(png_b64)
            clean = await asyncio.to_thread(images.clean_image, png, _SIGNATURE_MAX_PIXELS)
            values = validate_submission(FormDefinition.model_validate(rec.definition), values)
        except (DocumentError, images.ImageRejected, SubmissionInvalid):
            return None
        if (hashlib.sha256(clean.data).hexdigest() != rec.signature_sha256
                or canonical_json(values) != canonical_json(rec.values)
                or canonical_json(strokes) != canonical_json(rec.strokes)):
            return None
        return p.AssistFormSubmitted(
            call_id=call_id, form_id=form_id, values=rec.values or {}, sha256=rec.sha256,
            signature_sha256=rec.signature_sha256, signature_url=f"/api/forms/{form_id}/signature",
            submitted_at=rec.submitted_at.timestamp())

    async def _readable_form(self, ident: Identity, form_id: str, what: str) -> FormRecord:
        try:
            rec = await self.hub.store.get_form(form_id)
        except store_errors.NotFound as exc:
            raise DocumentError("not_found", f"no form {form_id}") from exc
        if not can_read(ident, rec.agent_id):
            await self.hub.store.audit(f"{ident.role}:{ident.subject_id}", "assist.form.denied",
                                       rec.id, {"what": what})
            raise DocumentError("forbidden", "only the call's agent and admins may read it")
        return rec

    async def read_signature(self, ident: Identity, form_id: str) -> bytes:
        """The signature PNG for the call's agent or an admin; audited."""
        rec = await self._readable_form(ident, form_id, "signature")
        if rec.signature_sha256 is None:
            raise DocumentError("not_found", f"form {form_id} is not signed")
        try:
            data = await asyncio.to_thread(self.hub.files.get, rec.signature_sha256)
        except BlobMissing as exc:
            raise DocumentError("gone", "the file is no longer stored") from exc
        await self.hub.store.audit(f"{ident.role}:{ident.subject_id}", "assist.signature.read",
                                   rec.id, {"call_id": rec.call_id})
        return data

    async def read_form(self, ident: Identity, form_id: str) -> dict[str, Any]:
        """The form and, once signed, the whole submission; audited."""
        rec = await self._readable_form(ident, form_id, "form")
        await self.hub.store.audit(f"{ident.role}:{ident.subject_id}", "assist.form.read",
                                   rec.id, {"call_id": rec.call_id})
        return {**_summary(rec), "form": rec.definition, "values": rec.values,
                "strokes": rec.strokes, "booth_id": rec.booth_id, "agent_id": rec.agent_id}

    async def list_forms(self, ident: Identity, call_id: str) -> list[dict[str, Any]]:
        try:
            agent_id = self.hub.calls.get(call_id).agent_id
        except CallNotFound:
            try:
                agent_id = (await self.hub.store.get_call(call_id)).agent_id
            except store_errors.NotFound as exc:
                raise DocumentError("not_found", f"no call {call_id}") from exc
        if not can_read(ident, agent_id):
            raise DocumentError("forbidden", "only the call's agent and admins may list it")
        return [_summary(r) for r in await self.hub.store.call_forms(call_id)]


def _summary(rec: FormRecord) -> dict[str, Any]:
    return {
        "form_id": rec.id, "call_id": rec.call_id, "title": rec.title, "state": rec.state,
        "created_at": rec.created_at.timestamp(),
        "submitted_at": rec.submitted_at.timestamp() if rec.submitted_at else None,
        "submitted_at_iso": rec.submitted_at.isoformat(timespec="microseconds")
        if rec.submitted_at else None,
        "sha256": rec.sha256, "signature_sha256": rec.signature_sha256,
        "signature_url": f"/api/forms/{rec.id}/signature" if rec.signature_sha256 else None,
    }


def _parse_submission(body: bytes) -> Submission:
    try:
        return Submission.model_validate_json(body, strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "body"
        code = "bad_json" if err["type"] == "json_invalid" else "bad_message"
        raise DocumentError(code, f"{where}: {err['msg']}"[:300]) from exc


def _decode_png(text: str) -> bytes:
    try:
        png = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DocumentError("bad_message", "signature.png is not base64") from exc
    if images.sniff(png) != "PNG":
        raise DocumentError("bad_message", "signature.png must be a PNG image")
    return png
