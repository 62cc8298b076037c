"""The headless agent's remote assist (issue 7; ``docs/protocol.md`` ``assist.*``).

What :class:`~cloud_seat.agent.HeadlessAgent` does with remote assist, apart from
its hub connection and media: ask for the resident's consent, move the pointer,
draw, push forms, follow what the resident types, check the signed form, send
guidance and tap for the resident. Each step is a public method; scripts and
tests set a few options (the ``xiaowu-seat`` flags) and the desk runs them once
the call's media connects, one after the other:

1. ``consent``: ``screen`` asks to see the kiosk screen; ``control`` asks for the
   screen, then for remote control; the script waits up to ``consent_wait_s`` for
   each grant and stops at a refusal;
2. ``pointer_probe``: that many pointer moves a quarter of a second apart, each
   logged with the time it was sent (``assist.pointer.sent``, ``sent_at`` in Unix
   seconds to the microsecond) so a booth's log gives the latency; then a hide;
3. ``push_form``: a form template (a JSON form definition as in
   ``cloud_seat/console/forms/``); ``{service}``, ``{department}``, ``{booth}``,
   ``{ticket}``, ``{agent}`` and ``{date}`` in its readonly values are filled from
   the call;
4. ``guide``: a short text shown large on the booth;
5. ``control_tap``: one tap at (x, y) once ``control`` is granted.

A signed form (``assist.form.submitted``) is then downloaded and checked: the
signature PNG against ``signature_sha256`` (saved 0600 under ``save_dir``), and
the whole submission (``GET /api/forms/{id}``) against ``sha256`` as
docs/protocol.md "Remote assist forms" defines it (``assist.form.verified``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cloud_seat.seat_desk import SeatLink, save_private
from signaling import protocol as p
from signaling.forms import DefinitionInvalid, FormDefinition, parse_definition

__all__ = ["SeatAssist", "SeatForm", "CONSENT_SCOPES", "load_form_template", "fill_template",
           "submission_digest"]

CONSENT_SCOPES = ("screen", "control")
PROBE_INTERVAL_S = 0.25
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load_form_template(path: str | Path) -> dict[str, Any]:
    """A form template from a JSON file, checked as a definition (ValueError otherwise)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        parse_definition(raw)
    except (OSError, ValueError, DefinitionInvalid) as exc:
        raise ValueError(f"form template {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"form template {path}: not a JSON object")
    return raw


def fill_template(template: dict[str, Any], values: dict[str, str]) -> FormDefinition:
    """The definition to push: ``{name}`` in readonly string values replaced from
    ``values`` (unknown names are kept). Raises :class:`DefinitionInvalid`."""
    fields = []
    for f in template["fields"]:
        if f.get("readonly") and isinstance(f.get("value"), str):
            text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), f["value"])
            f = {**f, "value": text.strip() or "—"}
        fields.append(f)
    return parse_definition({**template, "fields": fields})


def submission_digest(form: dict[str, Any]) -> str:
    """The sha256 of a signed form as ``GET /api/forms/{id}`` returns it: the canonical
    JSON (sorted keys, no spaces, UTF-8) of the submission document (docs/protocol.md)."""
    doc = {"v": 1, "form_id": form["form_id"], "call_id": form["call_id"],
           "booth_id": form["booth_id"], "form": form["form"], "values": form["values"],
           "signature": {"png_sha256": form["signature_sha256"], "strokes": form["strokes"]},
           "reviewed": True, "submitted_at": form["submitted_at_iso"]}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SeatForm:
    """A form this seat pushed: the resident's values so far (sensitive ones masked by
    the hub) and, once signed, the submission and what the seat checked of it."""

    form_id: str
    call_id: str
    title: str
    values: dict[str, Any] = field(default_factory=dict)
    masked: set[str] = field(default_factory=set)
    submitted: p.AssistFormSubmitted | None = None
    signature_ok: bool | None = None
    digest_ok: bool | None = None
    signature_path: str | None = None


class SeatAssist:
    """Remote assist of the current call; see the module docstring for the options."""

    def __init__(self, link: SeatLink, *, consent: str | None = None,
                 pointer_probe: int = 0, push_form: str | Path | None = None,
                 guide: str | None = None, control_tap: tuple[float, float] | None = None,
                 save_dir: str | Path | None = None, consent_wait_s: float = 60.0) -> None:
        if consent is not None and consent not in CONSENT_SCOPES:
            raise ValueError(f"consent must be screen or control, not {consent!r}")
        if not 0 <= pointer_probe <= 100:
            raise ValueError("pointer_probe must be 0..100")
        if guide is not None and not 1 <= len(guide) <= 1000:
            raise ValueError("guide must be 1..1000 characters")
        if control_tap is not None:
            if consent != "control":
                raise ValueError("control_tap needs consent 'control'")
            if not all(0 <= v <= 1 for v in control_tap):
                raise ValueError("control_tap is x,y within 0..1")
        self.link = link
        self.consent_scope = consent
        self.pointer_probe = pointer_probe
        self.template = load_form_template(push_form) if push_form is not None else None
        self.guide_text = guide
        self.control_tap = control_tap
        self.save_dir = Path(save_dir) if save_dir is not None else None
        self.consent_wait_s = consent_wait_s
        self.call_id: str | None = None
        self.consent: dict[str, bool] = {}
        self.forms: dict[str, SeatForm] = {}
        self.context: dict[str, str] = {}  # placeholders of the call's forms
        self._changed = asyncio.Event()
        self._scripted = False

    @property
    def scripted(self) -> bool:
        return bool(self.consent_scope or self.pointer_probe or self.template or self.guide_text)

    # ------------------------------------------------------------------ call hooks

    def call_started(self, call_id: str, peer: p.PeerInfo, agent_name: str) -> None:
        self.call_id = call_id
        self.consent = {}
        self._scripted = False
        service = peer.service
        self.context = {"service": service.name if service else "",
                        "department": service.department if service else "",
                        "booth": peer.name, "ticket": peer.ticket_number or "",
                        "agent": agent_name, "date": date.today().isoformat()}

    def media_connected(self) -> None:
        if self.scripted and not self._scripted and self.call_id is not None:
            self._scripted = True  # once per call, not again after a rebuild
            self.link.spawn(self._script(self.call_id), "seat-assist-script")

    def call_ended(self, call_id: str) -> None:
        if self.call_id == call_id:
            self.call_id = None
            self._notify()

    def handle(self, data: p._Data) -> bool:
        """A pushed event of ours (True), or not."""
        if isinstance(data, p.AssistConsentEvent):
            if data.call_id == self.call_id:
                self.consent[data.scope] = data.granted
            self.link.emit({"event": "assist.consent", "call_id": data.call_id,
                            "scope": data.scope, "granted": data.granted})
        elif isinstance(data, p.AssistFormProgressEvent):
            self._on_progress(data)
        elif isinstance(data, p.AssistFormSubmitted):
            self._on_submitted(data)
        elif isinstance(data, p.AssistBoard):
            self.link.emit({"event": "assist.board", "call_id": data.call_id,
                            "surface": data.surface, "shapes": len(data.shapes)})
        else:
            return False
        self._notify()
        return True

    def _notify(self) -> None:
        self._changed.set()

    async def _until(self, check: Any, timeout: float) -> bool:
        """Wait until ``check()`` holds (True) or ``timeout`` passes (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            left = deadline - loop.time()
            if left <= 0:
                return False
            self._changed.clear()
            try:
                async with asyncio.timeout(left):
                    await self._changed.wait()
            except TimeoutError:
                return bool(check())
        return True

    # ------------------------------------------------------------------ the script

    async def _script(self, call_id: str) -> None:
        scopes = {"screen": ["screen"], "control": ["screen", "control"]}.get(
            self.consent_scope or "", [])
        for scope in scopes:
            if not self.consent.get(scope) and not await self.ask_consent(scope):
                return
            ok = await self._until(lambda s=scope: self.consent.get(s) is not None
                                   or self.call_id != call_id, self.consent_wait_s)
            if not ok or not self.consent.get(scope):
                self.link.emit({"event": "assist.consent.missing", "call_id": call_id,
                                "scope": scope})
                return
        if self.pointer_probe:
            await self.probe_pointer(self.pointer_probe)
        if self.template is not None:
            await self.push_form(self.template)
        if self.guide_text:
            await self.guide(self.guide_text)
        if self.control_tap is not None and self.consent.get("control"):
            await self.tap(*self.control_tap)

    # ------------------------------------------------------------------ steps

    async def ask_consent(self, scope: str) -> bool:
        """``assist.consent.request``; True once the hub passed the question on."""
        if self.call_id is None:
            return False
        # the resident's answer is awaited; it may come in before this request's reply
        self.consent.pop(scope, None)
        reply = await self.link.request("assist.consent.request", p.AssistConsentRequest.
                                        model_validate({"call_id": self.call_id,
                                                        "scope": scope}))
        if reply is None or reply.type != "assist.consent.requested":
            return False
        self.link.emit({"event": "assist.consent.requested", "call_id": self.call_id,
                        "scope": scope})
        return True

    async def pointer(self, x: float, y: float, *, surface: str = "screen",
                      visible: bool = True) -> float | None:
        """One pointer event; the Unix time it went out, or None."""
        if self.call_id is None:
            return None
        data = p.AssistPointer(call_id=self.call_id, surface=surface, x=x, y=y, visible=visible)
        sent_at = time.time()
        return sent_at if await self.link.send("assist.pointer", data) else None

    async def probe_pointer(self, count: int) -> list[float]:
        """``count`` pointer moves along a diagonal, each logged with its send time."""
        sent: list[float] = []
        for seq in range(count):
            x = round(0.2 + 0.6 * seq / max(1, count - 1), 4)
            y = round(0.3 + 0.4 * seq / max(1, count - 1), 4)
            at = await self.pointer(x, y)
            if at is None:
                break
            sent.append(at)
            self.link.emit({"event": "assist.pointer.sent", "call_id": self.call_id, "seq": seq,
                            "x": x, "y": y, "sent_at": round(at, 6)})
            await asyncio.sleep(PROBE_INTERVAL_S)
        if sent:
            await self.pointer(0.5, 0.5, visible=False)
        return sent

    async def annotate(self, surface: str, op: str, shape: dict[str, Any] | None = None) -> bool:
        """``assist.annotate`` (``add`` with a shape, ``undo``, ``clear``)."""
        if self.call_id is None:
            return False
        req = p.AssistAnnotate.model_validate({"call_id": self.call_id, "surface": surface,
                                               "op": op, "shape": shape})
        reply = await self.link.request("assist.annotate", req)
        return reply is not None and reply.type == "ok"

    async def push_form(self, template: dict[str, Any]) -> str | None:
        """Push a form template, placeholders filled; the form id, or None."""
        if self.call_id is None:
            return None
        try:
            form = fill_template(template, self.context)
        except DefinitionInvalid as exc:
            self.link.emit({"event": "assist.form.invalid", "error": str(exc)})
            return None
        reply = await self.link.request("assist.form.push",
                                        p.AssistFormPush(call_id=self.call_id, form=form))
        if reply is None or reply.type != "assist.form.pushed":
            return None
        data = p.parse_data(reply, p.AssistFormPushed)
        seat_form = SeatForm(data.form_id, data.call_id, form.title.zh)
        for f in form.fields:
            if f.readonly:
                seat_form.values[f.id] = f.value
        self.forms[data.form_id] = seat_form
        self.link.emit({"event": "assist.form.pushed", "call_id": data.call_id,
                        "form_id": data.form_id, "title": form.title.zh,
                        "template": form.template, "fields": len(form.fields)})
        return data.form_id

    async def guide(self, text: str, title: str = "下一步") -> bool:
        """A short text guide, shown large on the booth."""
        if self.call_id is None:
            return False
        req = p.AssistGuide.model_validate({"call_id": self.call_id, "kind": "text",
                                            "title": title, "text": text})
        reply = await self.link.request("assist.guide", req)
        ok = reply is not None and reply.type == "ok"
        if ok:
            self.link.emit({"event": "assist.guide.sent", "call_id": self.call_id,
                            "kind": "text", "title": title})
        return ok

    async def tap(self, x: float, y: float) -> bool:
        """``assist.control`` tap (the hub audits it; ``forbidden`` without the grant)."""
        if self.call_id is None:
            return False
        req = p.AssistControl(call_id=self.call_id, action="tap", x=x, y=y)
        reply = await self.link.request("assist.control", req)
        ok = reply is not None and reply.type == "ok"
        self.link.emit({"event": "assist.control.sent", "call_id": self.call_id, "x": x, "y": y,
                        "ok": ok})
        return ok

    # ------------------------------------------------------------------ forms coming back

    def _on_progress(self, data: p.AssistFormProgressEvent) -> None:
        form = self.forms.get(data.form_id)
        if form is not None:
            form.values.update(data.values)
            form.masked = (form.masked - set(data.values)) | set(data.masked)
        self.link.emit({"event": "assist.form.progress", "call_id": data.call_id,
                        "form_id": data.form_id, "values": dict(data.values),
                        "masked": list(data.masked)})

    def _on_submitted(self, data: p.AssistFormSubmitted) -> None:
        form = self.forms.setdefault(data.form_id, SeatForm(data.form_id, data.call_id, ""))
        form.submitted = data
        form.values, form.masked = dict(data.values), set()
        self.link.emit({"event": "assist.form.submitted", "call_id": data.call_id,
                        "form_id": data.form_id, "values": dict(data.values),
                        "sha256": data.sha256, "signature_sha256": data.signature_sha256,
                        "submitted_at": data.submitted_at})
        self.link.spawn(self.check_submission(data.form_id), "seat-form-check")

    async def check_submission(self, form_id: str) -> bool:
        """Download the signature and the signed form and check both hashes
        (``assist.form.verified``); True when both match."""
        form = self.forms[form_id]
        sub = form.submitted
        assert sub is not None
        event: dict[str, Any] = {"event": "assist.form.verified", "call_id": sub.call_id,
                                 "form_id": form_id}
        got = await self.link.get(sub.signature_url)
        if isinstance(got, str) or got[0] != 200:
            self.link.emit({**event, "ok": False, "error": f"signature: {_why(got)}"})
            return False
        png = got[1]
        form.signature_ok = hashlib.sha256(png).hexdigest() == sub.signature_sha256
        if self.save_dir is not None:
            form.signature_path = await asyncio.to_thread(save_private, self.save_dir,
                                                          f"{form_id}-signature.png", png)
        got = await self.link.get(f"/api/forms/{form_id}")
        if isinstance(got, str) or got[0] != 200:
            self.link.emit({**event, "ok": False, "error": f"form: {_why(got)}"})
            return False
        stored = json.loads(got[1])
        form.digest_ok = stored.get("sha256") == sub.sha256 == submission_digest(stored)
        ok = bool(form.signature_ok and form.digest_ok)
        self.link.emit({**event, "ok": ok, "signature_ok": form.signature_ok,
                        "digest_ok": form.digest_ok, "signature_bytes": len(png),
                        "path": form.signature_path})
        return ok


def _why(got: tuple[int, bytes] | str) -> str:
    return got if isinstance(got, str) else f"HTTP {got[0]}"
