"""The kiosk's guard against the Qt binding's reference-count bug on CPython 3.11
(booth_client.ui.refguard): without it, enough void Qt calls abort the process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from booth_client.ui.refguard import FLOOR, protect

_LOOP = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
if sys.argv[1] == "guarded":
    from booth_client.ui.refguard import protect
    protect()
w = QWidget()
for _ in range(30000):
    w.update()  # a void method: the binding returns None
print("done", flush=True)
"""


def _run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _LOOP, mode], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from 3.12 on")
def test_void_qt_calls_lose_none_and_the_guard_keeps_the_kiosk_alive() -> None:
    bare = _run("bare")
    if bare.returncode == 0:
        pytest.skip("this PySide6 keeps its references: the guard is not needed here")
    assert "none_dealloc" in bare.stderr, bare.stderr[-500:]
    guarded = _run("guarded")
    assert guarded.returncode == 0 and "done" in guarded.stdout, guarded.stderr[-500:]


def test_protect_tops_up_only_when_low() -> None:
    if not protect():
        pytest.skip("not needed on this interpreter")
    count = sys.getrefcount(None)
    assert count >= FLOOR
    protect()
    assert abs(sys.getrefcount(None) - count) < 1000, "no second top-up while high"
