"""HTTP routes of remote assist: the signed form submission (too large for a 64 KiB
frame) and the audited reads of forms and signatures.

Thin: authenticate, read the body within its limit, hand over to
:class:`~signaling.assist.AssistDesk`, map its errors to the API's error shape. A
submission refused field by field answers 400 with the usual error object plus
``fields``: ``{"error": {"code": "bad_message", "message": ..., "fields":
{field_id: {code, message}}}}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from signaling.api import _identity
from signaling.api_documents import image_response, raise_for, read_body
from signaling.assist import SUBMISSION_MAX_BYTES, AssistDesk, FormRejected
from signaling.documents import DocumentError
from signaling.store import Identity
from signaling.ws import HUB_KEY

__all__ = ["assist_routes"]

assist_routes = web.RouteTableDef()
_T = TypeVar("_T")


@assist_routes.post("/api/calls/{call_id}/forms/{form_id}/submission")
async def submit_form(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    ident = await _identity(request, "booth")
    call_id, form_id = request.match_info["call_id"], request.match_info["form_id"]
    try:
        hub.documents.live_call_of_booth(ident, call_id)  # refuse before reading 2 MB
        body = await read_body(request, SUBMISSION_MAX_BYTES)
        event = await hub.assist.submit(ident, call_id, form_id, body)
    except FormRejected as exc:
        return web.json_response({"error": {
            "code": exc.code, "message": exc.message,
            "fields": {k: v.to_json() for k, v in exc.fields.items()}}}, status=400)
    except DocumentError as exc:
        raise raise_for(exc) from exc
    return web.json_response({"form_id": event.form_id, "sha256": event.sha256,
                              "signature_sha256": event.signature_sha256,
                              "submitted_at": event.submitted_at}, status=201)


async def _reader(request: web.Request,
                  read: Callable[[AssistDesk, Identity], Awaitable[_T]]) -> _T:
    """Run a read of the call's agent or an admin, mapping the desk's errors."""
    hub = request.app[HUB_KEY]
    ident = await _identity(request, "agent", "admin")
    try:
        return await read(hub.assist, ident)
    except DocumentError as exc:
        raise raise_for(exc) from exc


@assist_routes.get("/api/calls/{call_id}/forms")
async def list_forms(request: web.Request) -> web.Response:
    call_id = request.match_info["call_id"]
    forms = await _reader(request, lambda desk, ident: desk.list_forms(ident, call_id))
    return web.json_response({"forms": forms})


@assist_routes.get("/api/forms/{form_id}")
async def get_form(request: web.Request) -> web.Response:
    form_id = request.match_info["form_id"]
    form = await _reader(request, lambda desk, ident: desk.read_form(ident, form_id))
    return web.json_response(form, headers={"Cache-Control": "private, no-store"})


@assist_routes.get("/api/forms/{form_id}/signature")
async def get_signature(request: web.Request) -> web.Response:
    form_id = request.match_info["form_id"]
    data = await _reader(request, lambda desk, ident: desk.read_signature(ident, form_id))
    return image_response(data, "image/png")
