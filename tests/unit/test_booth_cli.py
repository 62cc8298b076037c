"""``xiaowu-booth scanners`` / ``scan`` and the booth's scanner flags."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import pytest

from booth_client.cli import build_parser, main, make_scanner
from tests.conftest import need


@pytest.fixture
def sane_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enable SANE's ``test`` backend (Debian ships it commented out)."""
    if shutil.which("scanimage") is None:
        need("sane-utils (scanimage)")
    (tmp_path / "dll.conf").write_text("test\n")
    monkeypatch.setenv("SANE_CONFIG_DIR", f"{tmp_path}:")


def test_scan_writes_the_page_and_reports_quality(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "card.png"
    # options may come before or after the command (DESIGN.md §4)
    assert main(["--json", "scan", "--driver", "synthetic:id_card_front", "--out", str(out),
                 "--resolution", "200"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["out"] == str(out) and result["dpi"] == 200
    assert result["quality"]["failed"] == [] and result["quality"]["sharpness"] > 100
    image = cv2.imread(str(out))
    assert image is not None and (image.shape[1], image.shape[0]) == (
        result["width"], result["height"])


def test_scan_errors_are_clear_and_exit_non_zero(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.png")
    assert main(["scan", "--driver", f"folder:{tmp_path / 'none'}", "--out", out]) == 1
    err = capsys.readouterr().err
    assert "scanner error (no_device)" in err and "no such folder" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["scan", "--driver", f"folder:{empty}", "--out", out, "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["code"] == "no_documents"
    assert main(["scan", "--driver", "bogus:1", "--out", out]) == 2
    assert "unknown scanner spec" in capsys.readouterr().err
    assert main(["scan", "--driver", "synthetic:form"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["scan", "--driver", "synthetic:form", "--out", str(tmp_path / "x.gif")]) == 2
    assert main(["scan", "--out", out]) == 2
    assert main(["scan", "--driver", "synthetic:form", "--out", out,
                 "--scanner-option", "novalue"]) == 2
    assert not Path(out).exists()


def test_scan_with_sane_test_backend(sane_env: None, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grid.png"
    assert main(["scan", "--driver", "sane:test", "--out", str(out), "--resolution", "75",
                 "--mode", "gray", "--scanner-option", "test-picture=Grid"]) == 0
    assert "quality checks failed: none" in capsys.readouterr().out
    assert cv2.imread(str(out), cv2.IMREAD_UNCHANGED).ndim == 2
    # 25 dpi: the page fits one pipe buffer (see SMALL_PAGE_DPI in tests/scanner/test_sane.py)
    assert main(["scan", "--driver", "sane:test", "--out", str(out), "--resolution", "25",
                 "--scanner-option", "read-return-value=SANE_STATUS_JAMMED"]) == 1
    assert "scanner error (jammed) on sane:test: Document feeder jammed" in (
        capsys.readouterr().err)


def test_scanners_lists_drivers_devices_and_health(sane_env: None, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scanners", "--json", "--scanner", f"folder:{tmp_path}"]) == 0
    report = json.loads(capsys.readouterr().out)
    drivers = {d["driver"]: d for d in report["drivers"]}
    assert set(drivers) == {"sane", "uvc", "folder", "synthetic"}
    sane = {d["spec"]: d for d in drivers["sane"]["devices"]}
    assert sane["sane:test:0"]["state"] == "ready"
    assert sane["sane:test:0"]["model"] == "frontend-tester"
    folder = drivers["folder"]["devices"][0]
    assert folder["spec"] == f"folder:{tmp_path}" and folder["state"] == "ready"
    assert [d["spec"] for d in drivers["synthetic"]["devices"]] == [
        "synthetic:form", "synthetic:id_card_front", "synthetic:id_card_back"]
    assert main(["scanners"]) == 0
    text = capsys.readouterr().out
    assert "sane:test:0" in text and "needs a path" in text


def test_booth_scanner_flags() -> None:
    args = build_parser().parse_intermixed_args(
        ["--server", "http://127.0.0.1:1", "--headless", "--scanner", "sane:test",
         "--scanner-option", "test-picture=Grid", "--scan-timeout", "9"])
    assert args.command == "run"
    scanner = make_scanner(args, "synthetic")
    assert scanner is not None and scanner.spec == "sane:test"
    assert dict(scanner.options("form").backend_options) == {"test-picture": "Grid"}
    assert scanner.options("form").timeout_s == 9
    bare = build_parser().parse_intermixed_args(["--headless"])
    headless = make_scanner(bare, "synthetic")
    assert headless is not None and headless.spec == "synthetic"
    assert make_scanner(bare, None) is None  # the kiosk: no scanner unless named
    off = build_parser().parse_intermixed_args(["--scanner", "none"])
    assert make_scanner(off, "synthetic") is None
    with pytest.raises(ValueError):
        make_scanner(build_parser().parse_intermixed_args(["--scanner", "uvc:x"]), None)


async def test_the_headless_resident_answers_consent_and_prints_remote_state(
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--auto-consent screen``: screen granted when asked, control declined; the state
    lines carry a ``remote`` summary, and a pointer move prints no new state line."""
    import asyncio
    from typing import Any

    from booth_client.cli import HeadlessResident
    from tests.unit.test_booth_remote import FORM
    from tests.unit.test_booth_session import frame, in_call, online

    assert build_parser().parse_args(["--auto-consent", "screen"]).auto_consent == "screen"
    engine = online()
    in_call(engine)

    class Runner:
        def __init__(self) -> None:
            self.acts: list[tuple[Any, ...]] = []
            self.sent: list[Any] = []

        def clock(self) -> float:
            return 5.0

        def act(self, *args: Any) -> None:
            self.acts.append(args)
            self.sent += engine.user_remote(*args[1:], now=5.0)

    runner = Runner()
    resident = HeadlessResident(runner, None, None, 0, frozenset({"screen"}))
    engine.frame(frame("assist.consent.requested", call_id="c1", scope="screen"), 5.0)
    resident.on_view(engine.view())
    await asyncio.sleep(0)
    assert runner.acts == [("remote", "consent", "screen", True)]
    engine.frame(frame("ok", re=runner.sent[-1].id), 5.0)  # the hub recorded it
    engine.frame(frame("assist.consent.requested", call_id="c1", scope="control"), 5.0)
    resident.on_view(engine.view())
    await asyncio.sleep(0)
    assert runner.acts[-1] == ("remote", "consent", "control", False)
    engine.frame(frame("assist.form", call_id="c1", form_id="frm_1", form=FORM), 5.0)
    resident.on_view(engine.view())
    await asyncio.sleep(0)
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    remote = lines[-1]["remote"]
    assert remote["screen"] == "on" and remote["front"] == "form"
    assert remote["form"] == {"form_id": "frm_1", "phase": "filling", "errors": {},
                              "failure": None, "sha256": None, "waiting": 0}
    engine.frame(frame("assist.pointer", call_id="c1", x=0.5, y=0.5), 5.0)
    resident.on_view(engine.view())
    assert capsys.readouterr().out == "", "no state line for a pointer move"
