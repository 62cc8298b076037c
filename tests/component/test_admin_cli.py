"""``xiaowu-admin`` (DESIGN.md §4 command-line contract), in-process and as a real process,
on the same data dir as a running hub: the hub sees the CLI's changes at once.

Exit codes: 0 done, 1 the check failed (``audit verify``), 2 usage or input error.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from signaling.admin_cli import main
from tests.harness import ADMIN_PASSWORD, HubEnv
from tests.wsclient import WsClient

ADMIN_CLI = Path(sys.executable).parent / "xiaowu-admin"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in this process: (exit code, stdout, stderr)."""
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    rc, out, err = run(capsys, *argv)
    assert rc == 0, (rc, out, err)
    lines = out.strip().splitlines()
    assert len(lines) == 1, out  # --json prints exactly one JSON object
    obj: dict[str, Any] = json.loads(lines[0])
    return obj


async def arun(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The CLI in a worker thread (it runs its own event loop) while the hub runs in ours."""
    rc = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


async def arun_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    rc, out, err = await arun(capsys, *argv)
    assert rc == 0, (rc, out, err)
    obj: dict[str, Any] = json.loads(out)
    return obj


async def subprocess_cli(*argv: str) -> tuple[int, str, str]:
    """The installed console script as a real process."""
    proc = await asyncio.create_subprocess_exec(
        str(ADMIN_CLI), *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def closed_with(client: WsClient, timeout: float) -> int | None:
    code, _reason = await asyncio.wait_for(asyncio.shield(client.closed), timeout)
    return code


@pytest.fixture
async def cli_hub(tmp_path: Path) -> AsyncIterator[HubEnv]:
    """A data dir set up by ``xiaowu-admin init`` and a hub running on it."""
    data = tmp_path / "var"
    assert await asyncio.to_thread(main, ["--data-dir", str(data), "init",
                                          "--admin-password", ADMIN_PASSWORD]) == 0
    env = await HubEnv(data).start()
    try:
        yield env
    finally:
        await env.stop()


# ---------------------------------------------------------------- init and options


def test_init_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "var"
    first = run_json(capsys, "--data-dir", str(data), "init", "--json",
                     "--admin-password", "s3cret-pass")
    assert first == {"migrated": True, "seeded": True,
                     "admin": {"username": "admin", "created": True}}
    # the store is private (DESIGN.md §5, PIPL)
    assert (data / "xiaowu.db").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o777 == 0o700
    again = run_json(capsys, "init", "--data-dir", str(data), "--json")
    assert again == {"migrated": True, "seeded": False,
                     "admin": {"username": "admin", "created": False}}
    rc, out, _ = run(capsys, "init", "--data-dir", str(data))
    assert rc == 0 and "already present" in out and "created" not in out
    catalog = run_json(capsys, "catalog", "show", "--json", "--data-dir", str(data))
    assert {"housing", "market"} <= {d["id"] for d in catalog["departments"]}


def test_init_without_a_password_makes_one_up(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    made = run_json(capsys, "--json", "init", "--data-dir", str(tmp_path / "v"),
                    "--admin-username", "root")
    assert made["admin"]["username"] == "root" and made["admin"]["created"] is True
    assert len(made["admin"]["password"]) >= 12
    users = run_json(capsys, "agent", "list", "--json", "--data-dir", str(tmp_path / "v"))
    assert [(u["username"], u["role"]) for u in users["users"]] == [("root", "admin")]


def test_options_before_and_after_the_subcommand(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "var")
    run_json(capsys, "--data-dir", data, "--json", "init", "--admin-password", "pw-pw-pw-1")
    before = run_json(capsys, "--data-dir", data, "--json", "booth", "add", "站一",
                      "--region", "330110101001")
    after = run_json(capsys, "booth", "add", "站二", "--region", "330110101002",
                     "--region-name", "新村村", "--data-dir", data, "--json")
    mixed = run_json(capsys, "--json", "booth", "list", "--data-dir", data)
    by_id = {b["id"]: b for b in mixed["booths"]}
    assert set(by_id) == {before["booth_id"], after["booth_id"]}
    assert by_id[after["booth_id"]]["region_name"] == "新村村"
    assert all(b["enrolled"] is False and b["revoked"] is False for b in mixed["booths"])
    rc, out, _ = run(capsys, "booth", "list", "--data-dir", data)
    assert rc == 0 and "站一" in out and "站二" in out


def test_usage_and_input_errors_exit_2(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "var")
    for argv in ([], ["nope"], ["agent"], ["agent", "add", "li"],
                 ["booth", "add", "x"], ["audit", "list", "--limit", "many"]):
        with pytest.raises(SystemExit) as exc:
            main(["--data-dir", data, *argv])
        assert exc.value.code == 2, argv
        capsys.readouterr()
    rc, _, err = run(capsys, "--config", str(tmp_path / "missing.toml"), "booth", "list")
    assert rc == 2 and "cannot read config file" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("data_dir = [", encoding="utf-8")
    rc, _, err = run(capsys, "--config", str(bad), "booth", "list")
    assert rc == 2 and "not valid TOML" in err


# ---------------------------------------------------------------- agents


async def test_agent_add_then_login_through_the_hub(cli_hub: HubEnv,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = str(cli_hub.settings.data_dir)
    made = await arun_json(capsys, "--data-dir", data, "agent", "add", "zhang",
                           "--password", "agent-pass-9", "--skill", "housing",
                           "--skill", "market", "--json")
    assert set(made) == {"user_id"} and made["user_id"].startswith("usr_")
    login = await cli_hub.login("zhang", "agent-pass-9")
    me = await cli_hub.call("GET", "/api/me", token=login["token"])
    assert me["id"] == made["user_id"] and me["skills"] == ["housing", "market"]
    agent = await cli_hub.connect(login["token"])
    assert agent.welcome["role"] == "agent"

    rc, out, err = await arun(capsys, "--data-dir", data, "agent", "add", "li",
                              "--password", "agent-pass-9", "--skill", "nope")
    assert rc == 2 and out == ""
    assert "unknown department(s): nope" in err and "Traceback" not in err
    rc, out, err = await arun(capsys, "--data-dir", data, "agent", "add", "li",
                              "--password", "agent-pass-9", "--skill", "nope", "--json")
    assert rc == 2 and json.loads(out)["error"]["code"] == "not_found"
    rc, out, err = await arun(capsys, "--data-dir", data, "agent", "add", "zhang",
                              "--password", "agent-pass-9", "--json")
    assert rc == 2 and "taken" in err and json.loads(out)["error"]["code"] == "conflict"
    rc, out, err = await arun(capsys, "--data-dir", data, "agent", "add", "a b",
                              "--password", "agent-pass-9", "--json")
    assert rc == 2 and "invalid username" in err
    assert json.loads(out)["error"]["code"] == "bad_message"
    users = (await arun_json(capsys, "agent", "list", "--data-dir", data, "--json"))["users"]
    assert sorted(u["username"] for u in users) == ["admin", "zhang"]


async def test_agent_skills_and_disable_reach_the_live_agent(
        cli_hub: HubEnv, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(cli_hub.settings.data_dir)
    agent, token = await cli_hub.agent("zhang", ["market"])
    user_id = (await cli_hub.call("GET", "/api/me", token=token))["id"]
    _, booth_token = await cli_hub.add_booth()
    booth = await cli_hub.connect(booth_token)
    catalog = await cli_hub.call("GET", "/api/catalog")
    housing = next(d for d in catalog["departments"] if d["id"] == "housing")
    ticket = await booth.request("ticket.create", {"service_id": housing["services"][0]["id"]})
    assert ticket["data"]["state"] == "waiting"

    await arun_json(capsys, "agent", "skills", user_id, "--skill", "housing",
                    "--data-dir", data, "--json")
    offer = await agent.expect("ticket.offer", timeout=3)  # the hub polled the revision
    assert offer["data"]["ticket"]["ticket_id"] == ticket["data"]["ticket_id"]

    disabled = await arun_json(capsys, "agent", "disable", user_id, "--data-dir", data,
                               "--json")
    assert disabled == {"user_id": user_id, "disabled": True}
    assert await closed_with(agent, 2.0) == 4403
    # the offer went back: the ticket waits again
    await booth.expect("ticket.update", state="waiting", timeout=3)
    rc, _, err = await arun(capsys, "agent", "disable", "usr_nope", "--data-dir", data)
    assert rc == 2 and "usr_nope" in err


# ---------------------------------------------------------------- booths


async def test_booth_add_enroll_revoke_while_connected(
        cli_hub: HubEnv, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(cli_hub.settings.data_dir)
    # a real process, as operators run it
    rc, out, err = await subprocess_cli("booth", "add", "新村村服务站", "--region",
                                        "330110101001", "--data-dir", data, "--json")
    assert rc == 0, err
    made = json.loads(out)
    assert set(made) == {"booth_id", "enrollment_code"}
    enrolled = await cli_hub.call("POST", "/api/enroll",
                                  {"code": made["enrollment_code"], "device": {"m": "t"}})
    assert enrolled["booth_id"] == made["booth_id"]
    booth = await cli_hub.connect(enrolled["token"])
    assert booth.welcome["subject"] == {"id": made["booth_id"], "name": "新村村服务站"}

    listed = await arun_json(capsys, "booth", "list", "--data-dir", data, "--json")
    row = next(b for b in listed["booths"] if b["id"] == made["booth_id"])
    assert row["enrolled"] is True and row["revoked"] is False

    loop = asyncio.get_running_loop()
    started = loop.time()
    revoked = await arun_json(capsys, "--data-dir", data, "booth", "revoke",
                              made["booth_id"], "--json")
    assert revoked == {"booth_id": made["booth_id"], "revoked": True}
    assert await closed_with(booth, 2.0) == 4403
    assert loop.time() - started < 3.0
    retry = await cli_hub.connect()
    assert (await retry.hello(enrolled["token"]))["data"]["code"] == "unauthenticated"
    listed = await arun_json(capsys, "booth", "list", "--data-dir", data, "--json")
    assert next(b for b in listed["booths"] if b["id"] == made["booth_id"])["revoked"] is True

    rc, _, err = await arun(capsys, "booth", "revoke", "bth_nope", "--data-dir", data)
    assert rc == 2 and "bth_nope" in err
    # a revoked booth cannot be re-provisioned: an input error, not a crash
    rc, out, err = await arun(capsys, "booth", "reissue", made["booth_id"], "--data-dir", data)
    assert rc == 2 and "revoked" in err and "Traceback" not in err
    health = await cli_hub.call("GET", "/healthz")
    assert health["status"] == "ok"


async def test_booth_reissue_gives_a_new_code_and_stops_the_old_token(
        cli_hub: HubEnv, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(cli_hub.settings.data_dir)
    booth_id, token = await cli_hub.add_booth()
    made = await arun_json(capsys, "booth", "reissue", booth_id, "--data-dir", data, "--json")
    assert made["booth_id"] == booth_id and made["enrollment_code"]
    retry = await cli_hub.connect()
    assert (await retry.hello(token))["data"]["code"] == "unauthenticated"
    enrolled = await cli_hub.call("POST", "/api/enroll", {"code": made["enrollment_code"]})
    assert enrolled["booth_id"] == booth_id and enrolled["token"] != token
    assert (await retry.hello(enrolled["token"]))["data"]["subject"]["id"] == booth_id


async def test_booth_reissue_from_the_cli_closes_the_live_booth_4403(
        cli_hub: HubEnv, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(cli_hub.settings.data_dir)
    booth_id, token = await cli_hub.add_booth()
    booth = await cli_hub.connect(token)
    await arun_json(capsys, "booth", "reissue", booth_id, "--data-dir", data, "--json")
    assert await closed_with(booth, 2.0) == 4403


# ---------------------------------------------------------------- audit


def _audit_db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "xiaowu.db")


def test_audit_verify_detects_an_edit_and_a_deletion(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "var"
    d = str(data)
    run_json(capsys, "--data-dir", d, "init", "--admin-password", "pw-pw-pw-1", "--json")
    for i in range(3):
        run_json(capsys, "--data-dir", d, "booth", "add", f"站{i}", "--region", "330110",
                 "--json")
    ok = run_json(capsys, "--data-dir", d, "audit", "verify", "--json")
    assert ok == {"ok": True, "rows": 4, "first_broken_seq": None, "reason": None}
    rc, out, _ = run(capsys, "audit", "verify", "--data-dir", d)
    assert rc == 0 and "intact: 4 rows" in out
    rows = run_json(capsys, "audit", "list", "--data-dir", d, "--json")["rows"]
    assert [r["action"] for r in rows] == ["admin.create"] + ["booth.create"] * 3

    # edit one row's detail behind the store's back
    with _audit_db(data) as db:
        (original,) = db.execute("SELECT detail FROM audit_log WHERE seq = 3").fetchone()
        db.execute("""UPDATE audit_log SET detail = '{"name": "站X", "region_code": "330110"}'
                      WHERE seq = 3""")
    db.close()
    rc, out, _ = run(capsys, "--data-dir", d, "audit", "verify", "--json")
    verdict = json.loads(out)
    assert rc == 1 and verdict["ok"] is False and verdict["first_broken_seq"] == 3
    assert "altered" in verdict["reason"]
    rc, out, _ = run(capsys, "--data-dir", d, "audit", "verify")
    assert rc == 1 and "BROKEN at row 3" in out

    # put it back: whole again; then delete a row in the middle
    with _audit_db(data) as db:
        db.execute("UPDATE audit_log SET detail = ? WHERE seq = 3", (original,))
    db.close()
    assert run(capsys, "--data-dir", d, "audit", "verify")[0] == 0
    with _audit_db(data) as db:
        db.execute("DELETE FROM audit_log WHERE seq = 2")
    db.close()
    rc, out, _ = run(capsys, "--data-dir", d, "audit", "verify", "--json")
    verdict = json.loads(out)
    assert rc == 1 and verdict["first_broken_seq"] == 2 and "missing" in verdict["reason"]


async def test_audit_verify_as_a_process_detects_a_deleted_last_row(tmp_path: Path) -> None:
    data = tmp_path / "var"
    rc, _, err = await subprocess_cli("init", "--data-dir", str(data), "--admin-password",
                                      "pw-pw-pw-1")
    assert rc == 0, err
    for name in ("站一", "站二"):
        assert (await subprocess_cli("--data-dir", str(data), "booth", "add", name,
                                     "--region", "330110"))[0] == 0
    rc, out, _ = await subprocess_cli("--data-dir", str(data), "audit", "verify", "--json")
    assert rc == 0 and json.loads(out)["rows"] == 3
    with _audit_db(data) as db:
        db.execute("DELETE FROM audit_log WHERE seq = 3")
    db.close()
    rc, out, _ = await subprocess_cli("--data-dir", str(data), "audit", "verify", "--json")
    verdict = json.loads(out)
    assert rc == 1 and verdict["ok"] is False and verdict["first_broken_seq"] == 3
    rc, out, _ = await subprocess_cli("--data-dir", str(data), "audit", "verify")
    assert rc == 1 and "BROKEN at row 3" in out
