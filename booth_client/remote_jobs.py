"""Carries out the engine's remote-assist effects: the adapter's half of
:mod:`booth_client.remote`.

:meth:`RemoteJobs.handle` runs on the event loop, synchronously, for every
:data:`booth_client.effects.RemoteEffect` the moment the engine returns it, so
``ShareScreen(on=False)`` and ``StopRemote`` take effect before anything else
runs: the screen track sends nothing more from that instant.

- ``ShareScreen``: the booth's :class:`~booth_client.screen_track.ScreenSource`
  starts or stops (the call's second video track).
- ``InjectTap``: ``on_tap(x, y, seq)`` presses the kiosk there (the kiosk sets it;
  without a window the tap is only logged).
- ``SubmitForm``: ``POST …/forms/{form_id}/submission`` in a task; the result
  goes back through :meth:`BoothSession.form_result`.
- ``StopRemote``: stop sharing, cancel the call's submissions, forget its images.

It also keeps the booth's own copy of each document it uploaded in the call
(:meth:`keep_document`, fed by :class:`~booth_client.assist_jobs.AssistJobs`),
so a ``document:<id>`` drawing surface shows the very image the agent sees.

Events (headless mode prints them as JSON lines)::

    screen.share          {call_id, on}
    assist.control.tap    {call_id, x, y, seq, target}   target: what was pressed, or
                          "blocked:<name>" (a resident-only control), or null (no window)
    assist.form.submit    {call_id, form_id, ok, status, code, sha256, signature_sha256,
                           fields, tries, upload_ms}
    assist.remote.stopped {call_id, cancelled}
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from booth_client._guard import guarded
from booth_client.capture import EncodedImage
from booth_client.effects import (
    Effect,
    InjectTap,
    RemoteEffect,
    ShareScreen,
    StopRemote,
    SubmitForm,
)
from booth_client.remote_forms import FormResult
from booth_client.screen_track import ScreenSource
from booth_client.uploads import Uploader, UploadError
from signaling.forms import FieldError

if TYPE_CHECKING:
    from booth_client.session import BoothSession

__all__ = ["RemoteJobs", "TapHandler", "MAX_KEPT_DOCUMENTS"]

log = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]
TapHandler = Callable[[float, float, int], str | None]  # (x, y, seq) -> what was pressed
MAX_KEPT_DOCUMENTS = 24  # per booth; the oldest goes first


class RemoteJobs:
    """One per runner."""

    def __init__(self, engine: BoothSession, apply: Callable[[list[Effect]], None],
                 uploader: Uploader, screen: ScreenSource, *,
                 on_event: EventSink | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._apply = apply
        self._uploader = uploader
        self.screen = screen
        self.on_tap: TapHandler | None = None
        self._on_event = on_event
        self._clock = clock
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}  # call id -> submissions
        self._documents: OrderedDict[str, tuple[str, EncodedImage]] = OrderedDict()

    # ------------------------------------------------------------------ effects

    def handle(self, eff: RemoteEffect) -> None:
        """Carry out one effect (on the loop; returns at once)."""
        if isinstance(eff, ShareScreen):
            if eff.on:
                self.screen.start()
            else:
                self.screen.stop()
            self._event({"event": "screen.share", "call_id": eff.call_id, "on": eff.on})
        elif isinstance(eff, InjectTap):
            target = self.on_tap(eff.x, eff.y, eff.seq) if self.on_tap is not None else None
            self._event({"event": "assist.control.tap", "call_id": eff.call_id, "x": eff.x,
                         "y": eff.y, "seq": eff.seq, "target": target})
        elif isinstance(eff, SubmitForm):
            task = asyncio.create_task(guarded(self._submit(eff), log, "form submission"),
                                       name=f"form-{eff.form_id}")
            tasks = self._tasks.setdefault(eff.call_id, set())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        elif isinstance(eff, StopRemote):
            self._stop(eff.call_id)

    def _stop(self, call_id: str) -> None:
        if self.screen.sharing:
            self.screen.stop()
            self._event({"event": "screen.share", "call_id": call_id, "on": False})
        tasks = self._tasks.pop(call_id, set())
        for task in tasks:
            task.cancel()
        for doc_id in [k for k, (owner, _) in self._documents.items() if owner == call_id]:
            del self._documents[doc_id]
        self._event({"event": "assist.remote.stopped", "call_id": call_id,
                     "cancelled": len(tasks)})

    async def _submit(self, eff: SubmitForm) -> None:
        base = {"event": "assist.form.submit", "call_id": eff.call_id, "form_id": eff.form_id}
        try:
            receipt = await self._uploader.form(eff.call_id, eff.form_id, eff.body)
        except UploadError as exc:
            fields = _fields(exc.answer) if exc.status == 400 else {}
            self._event({**base, "ok": False, "status": exc.status, "code": exc.code,
                         "message": exc.message,
                         "fields": {k: v.code for k, v in fields.items()}})
            result = FormResult(eff.form_id, False, status=exc.status, code=exc.code,
                                message=exc.message, fields=fields)
        else:
            self._event({**base, "ok": True, "status": 201, "sha256": receipt.sha256,
                         "signature_sha256": receipt.signature_sha256,
                         "tries": receipt.attempts, "upload_ms": receipt.upload_ms})
            result = FormResult(eff.form_id, True, sha256=receipt.sha256,
                                signature_sha256=receipt.signature_sha256,
                                submitted_at=receipt.submitted_at)
        call = self._engine.call
        if call is not None and call.call_id == eff.call_id:
            self._apply(self._engine.form_result(result, self._clock()))

    # ------------------------------------------------------------------ documents

    def keep_document(self, call_id: str, document_id: str, image: EncodedImage) -> None:
        """The booth uploaded ``image`` as ``document_id``: keep it for drawing surfaces."""
        self._documents[document_id] = (call_id, image)
        self._documents.move_to_end(document_id)
        while len(self._documents) > MAX_KEPT_DOCUMENTS:
            self._documents.popitem(last=False)

    def document_image(self, document_id: str) -> EncodedImage | None:
        entry = self._documents.get(document_id)
        return entry[1] if entry is not None else None

    def forget_documents(self) -> None:
        """The resident left: no picture of theirs stays in memory."""
        self._documents.clear()

    # ------------------------------------------------------------------ lifecycle

    def running(self) -> int:
        return sum(len(t) for t in self._tasks.values())

    async def close(self) -> None:
        self.screen.stop()
        tasks = [t for ts in self._tasks.values() for t in ts]
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._documents.clear()

    def _event(self, ev: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(ev)


def _fields(answer: Any) -> dict[str, FieldError]:
    """``error.fields`` of the hub's 400 (docs/protocol.md, "Remote assist forms")."""
    err = answer.get("error") if isinstance(answer, dict) else None
    raw = err.get("fields") if isinstance(err, dict) else None
    if not isinstance(raw, dict):
        return {}
    out: dict[str, FieldError] = {}
    for key, value in raw.items():
        if isinstance(key, str) and isinstance(value, dict):
            out[key] = FieldError(str(value.get("code", "type")),
                                  str(value.get("message", "")))
    return out
