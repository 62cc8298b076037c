"""``xiaowu-admin backup``: the SQLite database copied online, the file store mirrored
(new blobs copied and checked, blobs removed by retention removed from the backup
too), permissions kept, the copy's audit chain verified; and a restore that works."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from signaling.files import FileStore
from tests.component.test_admin_cli import arun, arun_json, run, run_json
from tests.harness import HubEnv


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_copies_mirrors_and_verifies(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    data, dest = tmp_path / "var", tmp_path / "backup"
    d = str(data)
    run_json(capsys, "--data-dir", d, "init", "--admin-password", "pw-pw-pw-1", "--json")
    run_json(capsys, "--data-dir", d, "booth", "add", "石门镇新村村", "--region", "330110",
             "--json")
    files = FileStore(data / "files")
    shas = [files.put(f"scan {i}".encode()) for i in range(3)]

    first = run_json(capsys, "--data-dir", d, "backup", str(dest), "--json")
    assert (first["files"], first["copied"], first["pruned"], first["ok"]) == (3, 3, 0, True)
    assert first["database"] == "sqlite" and first["db_bytes"] > 0
    assert first["audit"] == {"ok": True, "rows": 2}  # admin.create, booth.create
    assert mode(dest / "xiaowu.db") == 0o600 and not (dest / "xiaowu.db-wal").exists()
    blob = dest / "files" / shas[0][:2] / shas[0][2:4] / shas[0]
    assert blob.read_bytes() == b"scan 0" and mode(blob) == 0o600
    assert mode(blob.parent) == 0o700 and mode(dest / "files") == 0o700

    # the backup is a data dir: the CLI reads it as the hub would
    booths = run_json(capsys, "--data-dir", str(dest), "booth", "list", "--json")["booths"]
    assert [b["name"] for b in booths] == ["石门镇新村村"]

    # next day: retention removed one scan, a new one arrived
    assert files.delete(shas[1])
    new = files.put(b"scan 3")
    second = run_json(capsys, "--data-dir", d, "backup", str(dest), "--json")
    assert (second["files"], second["copied"], second["pruned"]) == (3, 1, 1)
    assert not FileStore(dest / "files").exists(shas[1])  # gone from the backup too
    assert FileStore(dest / "files").get(new) == b"scan 3"
    actions = [r["action"] for r in run_json(capsys, "--data-dir", d, "audit", "list",
                                             "--json")["rows"]]
    assert actions.count("backup.run") == 2


def test_corrupt_blob_and_broken_chain_fail_the_backup(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, dest = tmp_path / "var", tmp_path / "backup"
    d = str(data)
    run_json(capsys, "--data-dir", d, "init", "--admin-password", "pw-pw-pw-1", "--json")
    files = FileStore(data / "files")
    sha = files.put(b"a face image")
    path = data / "files" / sha[:2] / sha[2:4] / sha
    path.write_bytes(b"bit rot")  # the bytes no longer hash to the name
    rc, out, _ = run(capsys, "--data-dir", d, "backup", str(dest), "--json")
    report = json.loads(out)
    assert rc == 1 and report["corrupt"] == [sha] and report["copied"] == 0
    assert not FileStore(dest / "files").exists(sha)
    path.unlink()

    with sqlite3.connect(data / "xiaowu.db") as db:  # an audit row edited behind our back
        db.execute("""UPDATE audit_log SET detail = '{"x": 1}' WHERE seq = 1""")
    rc, out, _ = run(capsys, "--data-dir", d, "backup", str(dest), "--json")
    report = json.loads(out)
    assert rc == 1 and report["audit"]["ok"] is False and report["corrupt"] == []
    rc, out, err = run(capsys, "--data-dir", d, "backup", d)
    assert rc == 2 and "must not be the data dir" in err


async def test_backup_while_the_hub_writes(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    env = await HubEnv(tmp_path / "var").start()
    try:
        booth_id, _ = await env.add_booth("崇福镇服务中心")
        dest = tmp_path / "backup"
        report = await arun_json(capsys, "--data-dir", str(env.hub.settings.data_dir),
                                 "backup", str(dest), "--json")
        assert report["ok"] is True
        await env.add_booth("洲泉镇马鸣村")  # the hub keeps writing meanwhile
        rc, out, _ = await arun(capsys, "--data-dir", str(dest), "booth", "list", "--json")
        assert rc == 0
        assert [b["id"] for b in json.loads(out)["booths"]] == [booth_id]
    finally:
        await env.stop()
