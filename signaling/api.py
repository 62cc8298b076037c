"""REST API (DESIGN.md §4 "HTTP API core"): login, enrollment, catalog, admin.

Every error is ``{"error": {"code", "message"}}`` with the protocol's codes.
Handlers are thin: they check the caller, call the store, audit, and tell the
hub when live connections are affected (a revoked booth is closed at once).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from signaling import __version__
from signaling.metrics import render
from signaling.store import Identity
from signaling.store import errors as se
from signaling.throttle import LoginThrottle
from signaling.ws import HUB_KEY

__all__ = ["routes", "error_middleware", "THROTTLE_KEY", "HttpError"]

log = logging.getLogger(__name__)

THROTTLE_KEY: web.AppKey[LoginThrottle] = web.AppKey("login_throttle", LoginThrottle)
routes = web.RouteTableDef()

_STATUS = {
    "bad_json": 400, "bad_message": 400, "unauthenticated": 401, "forbidden": 403,
    "not_found": 404, "conflict": 409, "too_large": 413, "rate_limited": 429, "internal": 500,
}


class HttpError(Exception):
    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.headers = code, message, headers or {}
        self.status = status


def _error_response(code: str, message: str, headers: dict[str, str] | None = None,
                    status: int | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}},
                             status=status or _STATUS.get(code, 400), headers=headers)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except HttpError as exc:
        return _error_response(exc.code, exc.message, exc.headers, exc.status)
    except se.NotFound as exc:
        return _error_response("not_found", str(exc))
    except se.Conflict as exc:
        return _error_response("conflict", str(exc))
    except (se.InvalidCredentials, se.Expired, se.Revoked) as exc:
        return _error_response("unauthenticated", str(exc))
    except web.HTTPRequestEntityTooLarge:
        return _error_response("too_large", "request body too large")
    except web.HTTPException as exc:
        if exc.status == 404:
            return _error_response("not_found", f"no route {request.path}")
        if exc.status == 405:
            return _error_response("bad_message", f"method {request.method} not allowed")
        raise
    except Exception:
        log.exception("internal error on %s %s", request.method, request.path)
        return _error_response("internal", "internal error")


# ---------------------------------------------------------------- request bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class EnrollBody(_Body):
    code: str = Field(min_length=4, max_length=64)
    device: dict[str, Any] = Field(default_factory=dict)


_M = TypeVar("_M", bound=BaseModel)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


async def _body(request: web.Request, model: type[_M]) -> _M:
    raw = await request.read()
    try:
        data = json.loads(raw.decode("utf-8") if raw else "{}", parse_constant=_refuse_constant)
        # An escape such as "\ud800" decodes to a lone surrogate: it cannot be stored,
        # audited (the hash is over UTF-8) or sent back, so it is not JSON text here
        # either (same rule as protocol frames). UnicodeEncodeError is a ValueError.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError) as exc:
        raise HttpError("bad_json", f"body is not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(data, dict):
        raise HttpError("bad_message", "body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "body"
        raise HttpError("bad_message", f"{where}: {err['msg']}") from exc


# ---------------------------------------------------------------- auth helpers


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) > 600:
        raise HttpError("unauthenticated", "missing bearer token")
    token = header[7:].strip()
    # Tokens are URL-safe base64. aiohttp hands over other header bytes as lone
    # surrogates, which could not even be hashed: refuse them as a bad token.
    if not token.isascii() or not token.isprintable():
        raise HttpError("unauthenticated", "invalid, expired or revoked token")
    return token


async def _identity(request: web.Request, *roles: str) -> Identity:
    hub = request.app[HUB_KEY]
    ident = await hub.store.resolve_token(_bearer(request))
    if ident is None:
        raise HttpError("unauthenticated", "invalid, expired or revoked token")
    if roles and ident.role not in roles:
        raise HttpError("forbidden", f"this needs the role {' or '.join(roles)}")
    return ident


@contextlib.contextmanager
def _store_input() -> Iterator[None]:
    """The store refuses values it cannot keep with ``ValueError`` (its documented
    contract, e.g. a service id not shaped ``dept.name``): that is a bad request."""
    try:
        yield
    except ValueError as exc:
        raise HttpError("bad_message", str(exc)[:300]) from exc


def _client_ip(request: web.Request) -> str:
    """The client's address: the peer, or behind a proxy in ``trusted_proxies`` the
    address it forwards (:mod:`signaling.forwarded`)."""
    from signaling.forwarded import client_address, networks

    trusted = networks(request.app[HUB_KEY].settings.trusted_proxies)
    return client_address(request.remote or "?",
                          request.headers.getall("X-Forwarded-For", ()), trusted)


# ---------------------------------------------------------------- public


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    try:
        await hub.store.revision()
        db = "ok"
    except Exception as exc:  # the probe reports, it does not fail
        db = f"error: {type(exc).__name__}"
    status = "ok" if db == "ok" else "degraded"
    return web.json_response({
        "status": status, "version": __version__, "database": db,
        "connections": len(hub.conns), "calls": len(hub.calls),
        "uptime_s": round(time.time() - hub._started_at, 1),
    }, status=200 if status == "ok" else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    return web.Response(text=render(hub.metrics, hub.gauges()),
                        content_type="text/plain", charset="utf-8")


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    throttle = request.app[THROTTLE_KEY]
    body = await _body(request, LoginBody)
    now = time.monotonic()
    keys = (f"user:{body.username.lower()}", f"ip:{_client_ip(request)}")
    wait = max(throttle.retry_after(k, now) for k in keys)
    if wait > 0:
        hub.metrics.inc("xiaowu_logins_total", result="throttled")
        raise HttpError("rate_limited", "too many failed logins; try again later",
                        {"Retry-After": str(int(wait) + 1)})
    try:
        user = await hub.store.authenticate(body.username, body.password)
    except se.InvalidCredentials as exc:
        for k in keys:
            throttle.failed(k, now)
        hub.metrics.inc("xiaowu_logins_total", result="failed")
        await hub.store.audit(f"ip:{_client_ip(request)}", "login.failed", body.username, {})
        raise HttpError("unauthenticated", "wrong username or password") from exc
    for k in keys:
        throttle.succeeded(k)
    token, expires = await hub.store.issue_session(user.id, hub.settings.session_ttl_s)
    hub.metrics.inc("xiaowu_logins_total", result="ok")
    await hub.store.audit(f"{user.role}:{user.id}", "login", user.id,
                          {"ip": _client_ip(request)})
    return web.json_response({"token": token, "role": user.role, "user_id": user.id,
                              "name": user.display_name or user.username,
                              "expires_at": expires.isoformat()})


@routes.post("/api/logout")
async def logout(request: web.Request) -> web.Response:
    ident = await _identity(request, "agent", "admin")
    hub = request.app[HUB_KEY]
    await hub.store.revoke_session(_bearer(request))
    await hub.store.audit(f"{ident.role}:{ident.subject_id}", "logout", ident.subject_id, {})
    return web.json_response({})


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    ident = await _identity(request)
    return web.json_response({"id": ident.subject_id, "role": ident.role, "name": ident.name,
                              "skills": sorted(ident.skills)})


@routes.post("/api/enroll")
async def enroll(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    throttle = request.app[THROTTLE_KEY]
    body = await _body(request, EnrollBody)
    if len(json.dumps(body.device)) > 4096:
        raise HttpError("too_large", "device description over 4 KiB")
    key = f"enroll:{_client_ip(request)}"
    now = time.monotonic()
    if throttle.retry_after(key, now) > 0:
        raise HttpError("rate_limited", "too many failed enrollments; try again later")
    try:
        with _store_input():
            booth_id, token = await hub.store.enroll(body.code, body.device)
    except (se.InvalidCredentials, se.Expired, se.Revoked) as exc:
        throttle.failed(key, now)
        await hub.store.audit(f"ip:{_client_ip(request)}", "enroll.failed", None,
                              {"reason": type(exc).__name__})
        raise HttpError("unauthenticated", f"enrollment refused: {exc}") from exc
    booth = await hub.store.get_booth(booth_id)
    await hub.store.audit(f"booth:{booth_id}", "booth.enroll", booth_id,
                          {"ip": _client_ip(request), "device": body.device})
    return web.json_response({"booth_id": booth_id, "token": token, "name": booth.name,
                              "region_code": booth.region_code,
                              "region_name": booth.region_name})


@routes.post("/api/device/rotate")
async def rotate(request: web.Request) -> web.Response:
    ident = await _identity(request, "booth")
    hub = request.app[HUB_KEY]
    token = await hub.store.rotate_booth_token(ident.subject_id)
    await hub.store.audit(f"booth:{ident.subject_id}", "booth.rotate", ident.subject_id, {})
    return web.json_response({"token": token})


@routes.get("/api/catalog")
async def catalog(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    depts = await hub.store.get_catalog()
    return web.json_response({"departments": [_dept_json(d) for d in depts]})


def _dept_json(d: Any) -> dict[str, Any]:
    return {
        "id": d.id, "name": d.name, "name_en": d.name_en, "ticket_prefix": d.ticket_prefix,
        "services": [{"id": s.id, "name": s.name, "name_en": s.name_en,
                      "description": s.description,
                      "materials": [m.to_json() for m in s.materials]}
                     for s in d.services],
    }
