"""HTTP routes of call documents and face-check images (DESIGN.md §4 "uploads under
/api/calls/{call_id}/...").

Thin: authenticate, read the body within its limit, hand over to
:class:`~signaling.documents.DocumentDesk`, map its errors to the API's error
shape.
"""

from __future__ import annotations

from aiohttp import web

from signaling.api import HttpError, _identity
from signaling.documents import DocumentError
from signaling.ws import HUB_KEY

__all__ = ["document_routes", "read_body", "raise_for", "image_response"]

document_routes = web.RouteTableDef()
_CHUNK = 256 * 1024


def raise_for(exc: DocumentError) -> HttpError:
    if exc.code == "gone":
        return HttpError("not_found", exc.message, status=410)
    return HttpError(exc.code, exc.message)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, or ``too_large`` as soon as it passes ``limit`` bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise HttpError("too_large", f"body of {declared} bytes is over the "
                                     f"{limit // (1024 * 1024)} MB limit")
    buf = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        buf += chunk
        if len(buf) > limit:
            raise HttpError("too_large", f"body is over the {limit // (1024 * 1024)} MB limit")
    if not buf:
        raise HttpError("bad_message", "empty body: send the image bytes")
    return bytes(buf)


def image_response(data: bytes, content_type: str) -> web.Response:
    return web.Response(body=data, content_type=content_type, headers={
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    })


@document_routes.post("/api/calls/{call_id}/documents")
async def upload_document(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    ident = await _identity(request, "booth")
    call_id = request.match_info["call_id"]
    kind = request.query.get("kind", "other")
    request_id = request.query.get("request_id") or None
    try:
        hub.documents.live_call_of_booth(ident, call_id)  # refuse before reading 20 MB
        body = await read_body(request, hub.settings.upload_max_bytes)
        event = await hub.documents.upload(ident, call_id, kind, request_id, body)
    except DocumentError as exc:
        raise raise_for(exc) from exc
    return web.json_response(event.model_dump(), status=201)


@document_routes.get("/api/calls/{call_id}/documents")
async def list_documents(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    ident = await _identity(request, "agent", "admin")
    try:
        docs = await hub.documents.list_for(ident, request.match_info["call_id"])
    except DocumentError as exc:
        raise raise_for(exc) from exc
    return web.json_response({"documents": docs})


async def _read(request: web.Request, variant: str) -> web.Response:
    hub = request.app[HUB_KEY]
    ident = await _identity(request, "agent", "admin")
    try:
        data, ctype = await hub.documents.read(ident, request.match_info["document_id"],
                                                variant)
    except DocumentError as exc:
        raise raise_for(exc) from exc
    return image_response(data, ctype)


@document_routes.get("/api/documents/{document_id}")
async def get_document(request: web.Request) -> web.Response:
    return await _read(request, "image")


@document_routes.get("/api/documents/{document_id}/thumb")
async def get_thumb(request: web.Request) -> web.Response:
    return await _read(request, "thumb")


def _int(request: web.Request, name: str) -> int:
    raw = request.query.get(name, "")
    if not raw.isdigit() or len(raw) > 9:
        raise HttpError("bad_message", f"query parameter {name} must be a non-negative integer")
    return int(raw)


@document_routes.post("/api/calls/{call_id}/face-checks/{check_id}/frames")
async def upload_face_frame(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    ident = await _identity(request, "booth")
    seq, t_ms = _int(request, "seq"), _int(request, "t_ms")
    step = request.query.get("step", "")
    try:
        body = await read_body(request, hub.settings.face_frame_max_bytes)
        frames = await hub.faces.add_frame(ident, request.match_info["call_id"],
                                           request.match_info["check_id"], seq, t_ms, step,
                                           body)
    except DocumentError as exc:
        raise raise_for(exc) from exc
    return web.json_response({"seq": seq, "frames": frames}, status=201)


async def _face_image(request: web.Request, which: str) -> web.Response:
    hub = request.app[HUB_KEY]
    ident = await _identity(request, "agent", "admin")
    try:
        data, ctype = await hub.faces.read_image(ident, request.match_info["check_id"], which)
    except DocumentError as exc:
        raise raise_for(exc) from exc
    return image_response(data, ctype)


@document_routes.get("/api/calls/{call_id}/face-checks")
async def list_face_checks(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    ident = await _identity(request, "agent", "admin")
    try:
        checks = await hub.faces.list_for(ident, request.match_info["call_id"])
    except DocumentError as exc:
        raise raise_for(exc) from exc
    return web.json_response({"face_checks": checks})


@document_routes.get("/api/face-checks/{check_id}/portrait")
async def face_portrait(request: web.Request) -> web.Response:
    return await _face_image(request, "portrait")


@document_routes.get("/api/face-checks/{check_id}/live")
async def face_live(request: web.Request) -> web.Response:
    return await _face_image(request, "live")
