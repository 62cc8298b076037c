"""HTTP uploads to the hub: documents and face-check frames (docs/protocol.md,
"Call documents and face checks") and signed forms ("Remote assist forms").

``POST {server}/api/calls/{call_id}/documents?kind=&request_id=`` with the
image bytes, and ``POST {server}{upload_url}?seq=&t_ms=&step=`` with one JPEG
frame, and ``POST {server}/api/calls/{call_id}/forms/{form_id}/submission`` with
the signed form as JSON, all with the booth's device token as ``Authorization: Bearer``.

Transient failures (connection errors, timeouts, HTTP 5xx) are retried with
exponential backoff a few times; a 4xx is the hub's answer and is not
retried. Exceptions::

    UploadError(message, status, code, transient, answer)
        -- after the retries, or at once for 4xx; ``answer`` is the hub's JSON error body

The token only ever goes to the hub's own origin: an ``upload_url`` that
names another host is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

__all__ = ["DocumentReceipt", "FormReceipt", "UploadError", "Uploader"]

log = logging.getLogger(__name__)


class UploadError(Exception):
    """The upload did not succeed. ``status`` is the HTTP status (None: no answer)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 transient: bool = False, answer: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.transient = transient
        self.answer = answer


@dataclass(frozen=True)
class DocumentReceipt:
    """The hub's 201 answer (the ``document.added`` data) and what the upload took."""

    document_id: str
    sha256: str
    width: int
    height: int
    size: int
    content_type: str
    attempts: int
    upload_ms: int
    body: Mapping[str, Any]


@dataclass(frozen=True)
class FormReceipt:
    """The hub's 201 answer to a signed form: its digests and when it was stored."""

    form_id: str
    sha256: str
    signature_sha256: str
    submitted_at: float
    attempts: int
    upload_ms: int


class Uploader:
    """Posts to one hub with one token. ``session`` is the caller's (closed by the caller).

    ``attempts`` counts the first try; the waits between tries are
    ``backoff_s * 2**i`` (0.5, 1, 2 s by default). ``sleep`` is injectable so
    tests do not wait.
    """

    def __init__(self, session: aiohttp.ClientSession, server: str,
                 token: Callable[[], str], *, attempts: int = 4, backoff_s: float = 0.5,
                 timeout_s: float = 60.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if attempts < 1:
            raise ValueError("attempts must be >= 1")
        self._http = session
        self.server = server.rstrip("/")
        self._origin = urlsplit(self.server)
        self._token = token
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._sleep = sleep

    async def document(self, call_id: str, kind: str, request_id: str, body: bytes,
                       content_type: str) -> DocumentReceipt:
        url = f"{self.server}/api/calls/{quote(call_id, safe='')}/documents"
        t0 = time.perf_counter()
        status, answer, tries = await self._post(
            url, {"kind": kind, "request_id": request_id}, body, content_type)
        if status != 201 or not isinstance(answer, dict):
            raise UploadError(f"unexpected answer from the hub: HTTP {status}", status=status)
        try:
            return DocumentReceipt(
                document_id=str(answer["document_id"]), sha256=str(answer.get("sha256", "")),
                width=int(answer.get("width", 0)), height=int(answer.get("height", 0)),
                size=int(answer.get("size", 0)),
                content_type=str(answer.get("content_type", content_type)), attempts=tries,
                upload_ms=round((time.perf_counter() - t0) * 1000), body=answer)
        except (KeyError, TypeError, ValueError) as exc:
            raise UploadError(f"the hub's answer has no document_id: {exc}",
                              status=status) from exc

    async def form(self, call_id: str, form_id: str, body: Mapping[str, Any]) -> FormReceipt:
        """Submit a signed form (JSON). A 400 with per-field errors raises
        :class:`UploadError` whose ``answer`` holds them (``error.fields``)."""
        url = (f"{self.server}/api/calls/{quote(call_id, safe='')}/forms/"
               f"{quote(form_id, safe='')}/submission")
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        t0 = time.perf_counter()
        status, answer, tries = await self._post(url, {}, raw, "application/json")
        try:
            return FormReceipt(
                form_id=str(answer["form_id"]), sha256=str(answer["sha256"]),
                signature_sha256=str(answer["signature_sha256"]),
                submitted_at=float(answer["submitted_at"]), attempts=tries,
                upload_ms=round((time.perf_counter() - t0) * 1000))
        except (KeyError, TypeError, ValueError) as exc:
            raise UploadError(f"the hub's answer has no digest: {exc}", status=status) from exc

    async def frame(self, upload_url: str, seq: int, t_ms: int, step: str, body: bytes) -> int:
        """Upload one face-check frame (JPEG); returns the number of tries it took."""
        url = self._same_origin(upload_url)
        _, _, tries = await self._post(url, {"seq": str(seq), "t_ms": str(t_ms), "step": step},
                                       body, "image/jpeg")
        return tries

    def _same_origin(self, upload_url: str) -> str:
        if upload_url.startswith("/") and not upload_url.startswith("//"):
            return self.server + upload_url
        parts = urlsplit(upload_url)
        if (parts.scheme, parts.netloc) == (self._origin.scheme, self._origin.netloc):
            return upload_url
        raise UploadError(f"refusing to send the booth's token to {upload_url[:100]!r}")

    async def _post(self, url: str, params: dict[str, str], body: bytes, content_type: str
                    ) -> tuple[int, Any, int]:
        """POST with retries; returns (status, JSON body or None, tries) for a 2xx."""
        last: UploadError | None = None
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                await self._sleep(self._backoff_s * 2 ** (attempt - 2))
            try:
                return (*await self._post_once(url, params, body, content_type), attempt)
            except UploadError as exc:
                if not exc.transient:
                    raise
                last = exc
                log.info("booth: upload to %s failed (try %d of %d): %s", url, attempt,
                         self._attempts, exc.message)
        assert last is not None
        raise last

    async def _post_once(self, url: str, params: dict[str, str], body: bytes,
                         content_type: str) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self._token()}", "Content-Type": content_type}
        try:
            async with self._http.post(url, params=params, data=body, headers=headers,
                                       timeout=self._timeout) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UploadError(f"cannot reach the hub: {type(exc).__name__}: {exc}"[:200],
                              transient=True) from exc
        answer = _json(raw)
        if 200 <= status < 300:
            return status, answer
        code, message = _error(answer, status)
        raise UploadError(message, status=status, code=code, transient=status >= 500,
                          answer=answer)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _error(answer: Any, status: int) -> tuple[str | None, str]:
    """``{"error": {"code", "message"}}`` (docs/protocol.md, HTTP API) or a plain status."""
    err = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(err, dict):
        code = str(err.get("code") or "") or None
        message = str(err.get("message") or "") or f"HTTP {status}"
        return code, f"HTTP {status} {code}: {message}"[:200] if code else message[:200]
    return None, f"HTTP {status}"
