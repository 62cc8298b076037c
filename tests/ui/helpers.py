"""Reading and touching the kiosk the way a resident would: visible text, clicks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QPushButton, QWidget

from booth_client.ui.window import KioskWindow

__all__ = ["visible_texts", "find_button", "find_label", "click", "screen_texts"]


def visible_texts(root: QWidget) -> list[str]:
    """Texts of the visible labels and buttons under ``root``, in tree order."""
    out = []
    for w in root.findChildren(QWidget):
        if not w.isVisible():
            continue
        if isinstance(w, QLabel | QAbstractButton) and w.text():
            out.append(w.text())
    return out


def screen_texts(window: KioskWindow) -> list[str]:
    return visible_texts(window.current_screen())


def find_button(window: KioskWindow, name: str) -> QPushButton:
    btn = window.current_screen().findChild(QPushButton, name)
    assert btn is not None, f"no button {name!r} on {type(window.current_screen()).__name__}"
    return btn


def find_label(window: KioskWindow, name: str) -> QLabel:
    lab = window.current_screen().findChild(QLabel, name)
    if lab is None:
        lab = window.findChild(QLabel, name)
    assert lab is not None, f"no label {name!r}"
    return lab


def click(widget: QWidget) -> None:
    assert widget.isVisible(), f"{widget.objectName()} is not visible"
    assert widget.isEnabled(), f"{widget.objectName()} is disabled"
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
    QApplication.processEvents()
