"""A scripted resident for the kiosk: a TEST AND DEMO HOOK, not a feature.

When the environment names a script (``XIAOWU_KIOSK_SCRIPT=path.json``), the
kiosk (``xiaowu-booth`` with its window, e.g. ``QT_QPA_PLATFORM=offscreen``)
performs the script's resident actions through its real widgets, the way a
finger would (``QTest`` clicks on the named buttons, touch events on the
signature pad), each when the matching state appears, and prints JSON lines on
stdout (see :func:`booth_client.ui.app.run_kiosk`). End-to-end tests drive the
kiosk with it; nothing else should.

Script (every key optional)::

    {
      "service": "housing.public_rental",   # at the welcome screen: 开始办理, the
                                             # department, the service, 取号
      "rate": 5,                             # at the rating screen: that level, 提交
      "steps": [                             # one after the other, each when its
                                             # trigger shows (steps wait as long as
                                             # it takes)
        {"on": "consent", "scope": "screen", "answer": true},
        {"on": "consent", "scope": "control", "answer": true},
        {"on": "form",
         "fill": {"id_number": "11010519491231002X", "household": "3",
                  "housing": "none", "agree": true},
         "review": true,      # 下一步：核对, then 确认无误，去签名
         "sign": true,        # a drawn stroke by touch events (or a list of strokes,
                              # each a list of [x, y] 0..1 of the pad)
         "submit": true,      # 签好了，提交, wait for the result
         "done": true},       # 完成 once submitted
        {"on": "guide", "dismiss": true},
        {"on": "document", "close": true},
        {"on": "share", "stop": true},       # 停止共享 while the screen is shared
        {"on": "control", "revoke": true}    # 收回控制 while the agent may tap
      ]
    }

Triggers: ``consent`` (the question for ``scope`` is on screen), ``form`` (a
form is being filled; ``form_id`` optional), ``guide``, ``document``,
``share`` (the screen is shared), ``control`` (remote taps allowed). Any step
may add ``"delay_s"`` (wait that long after its trigger before acting).

Text goes in key by key on the on-screen keyboard (``kb.<char>``): digits,
capital letters, ``-``, ``.``, ``X`` and spaces.

JSON lines: ``kiosk.script {step, on, action, ok, detail?}`` for every action,
``kiosk.script.done {steps}`` at the end, ``kiosk.script.error {step, message}``
when an action cannot be done (the script stops there).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QEventPoint, QTouchEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from booth_client.pinyin import CJK, syllable_of
from booth_client.remote import Consent
from booth_client.remote_forms import FormPhase
from booth_client.session import BoothView, Screen
from booth_client.ui.form_fields import KEYBOARD_TYPES
from booth_client.ui.window import KioskWindow

__all__ = ["KioskScript", "load_script", "SCRIPT_ENV"]

log = logging.getLogger(__name__)

SCRIPT_ENV = "XIAOWU_KIOSK_SCRIPT"
Emit = Callable[[dict[str, Any]], None]
_POLL_S = 0.05
_STEP_TIMEOUT_S = 30.0  # for what an action waits on (a page to change); triggers wait forever


class ScriptError(Exception):
    pass


def load_script(path: str | Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("steps", []), list):
        raise ValueError(f"{path}: a kiosk script is an object with a list of steps")
    return data


class KioskScript:
    """Runs a script against ``window`` (``view`` gives the engine's current view)."""

    def __init__(self, window: KioskWindow, view: Callable[[], BoothView],
                 script: dict[str, Any], emit: Emit) -> None:
        self.window = window
        self.view = view
        self.script = script
        self.emit = emit
        self._tasks: set[asyncio.Task[None]] = set()
        self._device: Any = None

    def start(self) -> None:
        for coro in (self._steps(), self._lobby()):
            task = asyncio.get_running_loop().create_task(coro, name="kiosk-script")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

    # ------------------------------------------------------------------ helpers

    async def _until(self, check: Callable[[BoothView], bool], timeout: float | None) -> None:
        waited = 0.0
        while not check(self.view()):
            await asyncio.sleep(_POLL_S)
            waited += _POLL_S
            if timeout is not None and waited > timeout:
                raise ScriptError("the kiosk did not get there in time")

    def _find(self, name: str) -> QPushButton:
        for root in (self.window,):
            found = root.findChild(QPushButton, name)
            if found is not None and found.isVisible():
                return found
        raise ScriptError(f"no visible button {name!r}")

    async def _click(self, name: str) -> None:
        btn = self._find(name)
        if not btn.isEnabled():
            raise ScriptError(f"button {name!r} is disabled")
        # Delivered at once (QApplication.notify); nothing here may spin the Qt event
        # loop, which under qasync would run other asyncio tasks inside this one.
        QTest.mouseClick(btn, Qt.MouseButton.LeftButton)
        await asyncio.sleep(_POLL_S)

    def _log(self, step: int, on: str, action: str, ok: bool = True, **extra: Any) -> None:
        self.emit({"event": "kiosk.script", "step": step, "on": on, "action": action,
                   "ok": ok, **extra})

    # ------------------------------------------------------------------ before and after

    async def _lobby(self) -> None:
        """Take a ticket at the welcome screen and rate at the end, every time."""
        service = self.script.get("service")
        rate = self.script.get("rate")
        while True:
            view = self.view()
            try:
                if view.screen is Screen.WELCOME and service and view.departments:
                    await self._take_ticket(view, str(service))
                elif view.screen is Screen.RATING and rate and not view.busy:
                    await self._click(f"rate.level.{int(rate)}")
                    await self._click("rate.submit")
                    await self._until(lambda v: v.screen is not Screen.RATING, _STEP_TIMEOUT_S)
                elif view.screen is Screen.THANKS:
                    await self._click("thanks.done")
            except ScriptError as exc:
                log.warning("kiosk script: %s", exc)
            await asyncio.sleep(0.2)

    async def _take_ticket(self, view: BoothView, service: str) -> None:
        dept = next((d.id for d in view.departments
                     if any(s.id == service for s in d.services)), None)
        if dept is None:
            raise ScriptError(f"no service {service!r} in the catalog")
        await self._click("welcome.start")
        await self._until(lambda v: v.screen is Screen.CHOOSING, _STEP_TIMEOUT_S)
        await self._click(f"choose.dept.{dept}")
        await self._until(lambda v: v.department_id == dept, _STEP_TIMEOUT_S)
        await self._click(f"choose.service.{service}")
        await self._until(lambda v: v.service_id == service, _STEP_TIMEOUT_S)
        await self._click("choose.take_ticket")
        await self._until(lambda v: v.screen is not Screen.CHOOSING, _STEP_TIMEOUT_S)
        self.emit({"event": "kiosk.script", "step": None, "on": "welcome",
                   "action": "ticket", "ok": True, "service": service})

    # ------------------------------------------------------------------ steps

    async def _steps(self) -> None:
        steps = self.script.get("steps", [])
        for i, step in enumerate(steps):
            on = str(step.get("on", ""))
            try:
                await self._until(_trigger(step), None)
                if step.get("delay_s"):
                    await asyncio.sleep(float(step["delay_s"]))
                await self._do(i, on, step)
            except ScriptError as exc:
                self.emit({"event": "kiosk.script.error", "step": i, "on": on,
                           "message": str(exc)})
                return
        self.emit({"event": "kiosk.script.done", "steps": len(steps)})

    async def _do(self, i: int, on: str, step: dict[str, Any]) -> None:
        if on == "consent":
            answer = bool(step.get("answer", True))
            await self._click("remote.consent.yes" if answer else "remote.consent.no")
            self._log(i, on, "answer", scope=step.get("scope"), granted=answer)
        elif on == "form":
            await self._form(i, step)
        elif on == "guide" and step.get("dismiss", True):
            await self._click("remote.guide.ok")
            self._log(i, on, "dismiss")
        elif on == "document" and step.get("close", True):
            await self._click("remote.document.close")
            self._log(i, on, "close")
        elif on == "share" and step.get("stop", True):
            await self._click("remote.stop_share")
            self._log(i, on, "stop")
        elif on == "control" and step.get("revoke", True):
            await self._click("remote.revoke_control")
            self._log(i, on, "revoke")
        else:
            raise ScriptError(f"nothing to do for {on!r}")

    async def _form(self, i: int, step: dict[str, Any]) -> None:
        form = _form(self.view())
        if form is None:
            raise ScriptError("no form on screen")
        form_id = form.form_id
        for field_id, value in dict(step.get("fill", {})).items():
            await self._fill(form_id, str(field_id), value)
            self._log(i, "form", "fill", field=field_id)
        if step.get("review"):
            await self._click("form.next")
            await self._until(lambda v: _phase(v, form_id) is not FormPhase.FILLING
                              or bool(_errors(v)), _STEP_TIMEOUT_S)
            errors = _errors(self.view())
            if errors:
                self._log(i, "form", "review", ok=False, errors=errors)
                raise ScriptError(f"the form has errors: {errors}")
            await self._click("form.confirm")
            await self._until(lambda v: _phase(v, form_id) is FormPhase.SIGNING,
                              _STEP_TIMEOUT_S)
            self._log(i, "form", "review")
        sign = step.get("sign")
        if sign:
            strokes = sign if isinstance(sign, list) else _DEFAULT_SIGNATURE
            await self._sign(strokes)
            self._log(i, "form", "sign", strokes=len(strokes))
        if step.get("submit"):
            await self._click("form.sign.submit")
            await self._until(lambda v: _phase(v, form_id) in (FormPhase.SUBMITTED,
                                                                FormPhase.FAILED), 60.0)
            view_form = _form(self.view())
            ok = view_form is not None and view_form.phase is FormPhase.SUBMITTED
            self._log(i, "form", "submit", ok=ok,
                      sha256=view_form.sha256 if view_form else None,
                      failure=view_form.failure if view_form else None)
            if not ok:
                raise ScriptError("the form was not submitted")
            if step.get("done"):
                await self._click("form.done")
                self._log(i, "form", "done")

    async def _fill(self, form_id: str, field_id: str, value: Any) -> None:
        form = _form(self.view())
        fv = next((f for f in form.fields if f.field.id == field_id), None) if form else None
        if fv is None:
            raise ScriptError(f"no field {field_id!r} in form {form_id}")
        t = fv.field.type
        if t in KEYBOARD_TYPES:
            await self._click(f"form.field.{field_id}")
            if fv.entry not in (None, "", ()):
                await self._click("kb.clear")
            await self._type(str(value))
            await self._click("kb.done")
        elif t == "checkbox":
            if bool(fv.entry) != bool(value):
                await self._click(f"form.check.{field_id}")
        elif t == "choice":
            await self._click(f"form.option.{field_id}.{value}")
        elif t == "multi_choice":
            for option in value:
                await self._click(f"form.option.{field_id}.{option}")
        else:
            raise ScriptError(f"cannot fill a {t} field")

    async def _type(self, text: str) -> None:
        """Type on the on-screen keyboard as a resident would: letters and digits as
        keys, Chinese through pinyin (拼音 on, the letters, then tap the character)."""
        for ch in text:
            chinese = ord(ch) in CJK
            if chinese != self._pinyin_on():
                await self._click("kb.ime")
            if not chinese:
                await self._click("kb.space" if ch == " " else f"kb.{ch.upper()}")
                continue
            for letter in syllable_of(ch):
                await self._click(f"kb.{letter.upper()}")
            await self._pick(ch)
        if self._pinyin_on():
            await self._click("kb.ime")  # leave the keyboard as it was found

    def _pinyin_on(self) -> bool:
        """Pinyin is on; False where the keyboard has no 拼音 key (digits, ID number)."""
        try:
            key = self._find("kb.ime")
        except ScriptError:
            return False
        return bool(key.property("on") == "true")

    async def _pick(self, ch: str) -> None:
        for _ in range(40):  # pages of candidates
            for i in range(6):
                cand = self._find(f"kb.cand.{i}")
                if cand.isEnabled() and cand.text() == ch:
                    await self._click(f"kb.cand.{i}")
                    return
            if not self._find("kb.next").isEnabled():
                break
            await self._click("kb.next")
        raise ScriptError(f"{ch!r} is not offered for its pinyin")

    async def _sign(self, strokes: list[list[list[float]]]) -> None:
        """Draw on the signature pad with touch events, as a finger does."""
        pad = self.window.findChild(QWidget, "form.signature_pad")
        if pad is None or not pad.isVisible():
            raise ScriptError("no signature pad on screen")
        if self._device is None:
            self._device = QTest.createTouchDevice()
        w, h = pad.width(), pad.height()
        for stroke in strokes:
            pts = [QPointF(x * (w - 1), y * (h - 1)) for x, y in stroke]
            last = len(pts) - 1
            for i, pt in enumerate(pts):
                _touch(pad, self._device, pt, 0 if i == 0 else 2 if i == last else 1)
                await asyncio.sleep(0.01)  # a finger takes its time: t_ms grows
            await asyncio.sleep(0.05)


def _touch(widget: QWidget, device: Any, pos: QPointF, phase: int) -> None:
    """One touch event (0 begin, 1 update, 2 end), delivered at once like a finger's
    (QTest's touch sequences would spin the event loop: see :meth:`KioskScript._click`)."""
    kind, state = ((QEvent.Type.TouchBegin, QEventPoint.State.Pressed),
                   (QEvent.Type.TouchUpdate, QEventPoint.State.Updated),
                   (QEvent.Type.TouchEnd, QEventPoint.State.Released))[phase]
    scene = widget.mapTo(widget.window(), pos)  # QEventPoint's position is the window's
    point = QEventPoint(1, state, scene, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, QTouchEvent(kind, device, Qt.KeyboardModifier.NoModifier,
                                               [point]))


_DEFAULT_SIGNATURE = [
    [[0.15 + 0.012 * i, 0.55 - 0.22 * math.sin(i / 4)] for i in range(30)],
    [[0.55 + 0.01 * i, 0.35 + 0.012 * i] for i in range(25)],
]


def _form(view: BoothView) -> Any:
    return view.remote.form if view.remote is not None else None


def _phase(view: BoothView, form_id: str) -> FormPhase | None:
    form = _form(view)
    return form.phase if form is not None and form.form_id == form_id else None


def _errors(view: BoothView) -> dict[str, str]:
    form = _form(view)
    return {f.field.id: f.error for f in form.fields if f.error} if form is not None else {}


def _trigger(step: dict[str, Any]) -> Callable[[BoothView], bool]:
    return lambda view: _triggered(view, step)


def _triggered(view: BoothView, step: dict[str, Any]) -> bool:
    remote = view.remote
    if view.screen is not Screen.IN_CALL or remote is None:
        return False
    on = step.get("on")
    if on in ("form", "guide", "document") and view.overlay is not None:
        return False  # a document capture or face check covers the panels for now
    if on == "consent":
        return remote.asking is not None and remote.asking.value == step.get("scope", "screen")
    if on == "form":
        form = remote.form
        return (form is not None and remote.front == "form"
                and form.phase is FormPhase.FILLING
                and step.get("form_id") in (None, form.form_id))
    if on == "guide":
        return remote.front == "guide" and remote.guide is not None
    if on == "document":
        return remote.front == "document" and remote.document_id is not None
    if on == "share":
        return remote.screen is Consent.ON
    if on == "control":
        return remote.control is Consent.ON
    return False
