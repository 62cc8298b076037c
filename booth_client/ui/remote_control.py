"""Remote taps (issue 7): the agent presses the kiosk for the resident, who sees it.

:func:`inject_tap` turns ``assist.control`` (x, y normalized to the kiosk window)
into a mouse press and release on the widget under that point, exactly as a
finger's tap arrives (``QApplication.sendEvent``), and returns what was pressed.
The window's remote layer draws a ripple there (``RemoteView.tap``), so no tap
made for the resident goes unseen.

Resident-only controls refuse remote taps: anything inside a widget whose
``remote_blocked`` property is true (the consent question, the share bar with
停止共享 / 收回控制, the signature pad). The agent can neither grant itself a
consent nor sign for the resident. The engine only ever asks for a tap while
the resident's ``control`` grant is on.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from booth_client.ui.remote_bar import BLOCKED

__all__ = ["inject_tap", "blocked", "describe"]

log = logging.getLogger(__name__)


def blocked(widget: QWidget | None) -> QWidget | None:
    """The resident-only widget ``widget`` lies in, if any."""
    w = widget
    while w is not None:
        if w.property(BLOCKED):
            return w
        w = w.parentWidget()
    return None


def describe(widget: QWidget) -> str:
    return widget.objectName() or type(widget).__name__


def inject_tap(window: QWidget, x: float, y: float) -> str | None:
    """Tap ``window`` at (``x``, ``y``) 0..1 of its size. Returns the pressed widget's
    name, ``"blocked:<name>"`` for a resident-only control, or None (nothing there)."""
    pos = QPoint(min(window.width() - 1, max(0, round(x * window.width()))),
                 min(window.height() - 1, max(0, round(y * window.height()))))
    target = window.childAt(pos)  # the remote layer lets touches through: it is skipped
    if target is None:
        return None
    guard = blocked(target)
    if guard is not None:
        log.warning("booth: a remote tap on %s refused (resident only)", describe(guard))
        return f"blocked:{describe(guard)}"
    local = QPointF(target.mapFrom(window, pos))
    glob = QPointF(window.mapToGlobal(pos))
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        buttons = (Qt.MouseButton.LeftButton if kind == QEvent.Type.MouseButtonPress
                   else Qt.MouseButton.NoButton)
        event = QMouseEvent(kind, local, glob, Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(target, event)
    log.info("booth: remote tap at %.3f, %.3f pressed %s", x, y, describe(target))
    return describe(target)
