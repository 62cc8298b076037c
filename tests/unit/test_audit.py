"""The hash-chained audit log: appends, verification, tampering, concurrent appenders."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Coroutine
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signaling.store import AuditVerdict, Store, sqlite_url_for_dir
from signaling.store.audit import GENESIS_HASH, row_hash

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "xiaowu.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(sqlite_url_for_dir(db_path.parent))
    await s.migrate()
    try:
        yield s
    finally:
        await s.close()


async def fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        await store.audit(
            "admin:usr_1", "booth.create", f"bth_{i}", {"name": f"站{i}", "i": i}, now=T0
        )


def raw_sql(db_path: Path, sql: str, *params: object) -> None:
    """Tamper with the database as someone with file access would."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(sql, params)
        conn.commit()


async def test_empty_log_verifies(store: Store) -> None:
    assert await store.verify_audit() == AuditVerdict(True, 0, None, None)


async def test_append_and_verify(store: Store) -> None:
    seq = await store.audit("cli", "agent.add", "usr_1", {"skills": ("housing",)}, now=T0)
    assert seq == 1
    await fill(store, 4)
    verdict = await store.verify_audit()
    assert verdict.ok and verdict.rows == 5 and verdict.first_broken_seq is None

    rows = await store.list_audit()
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    first = rows[0]
    assert first.prev_hash == GENESIS_HASH and first.at == T0
    assert first.detail == {"skills": ["housing"]}  # stored exactly as hashed
    body = json.dumps(
        [1, T0.isoformat(timespec="microseconds"), "cli", "agent.add", "usr_1", first.detail],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert first.hash == hashlib.sha256((GENESIS_HASH + body).encode()).hexdigest()
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert [r.seq for r in await store.list_audit(limit=2, after_seq=2)] == [3, 4]


async def test_audit_rejects_bad_detail(store: Store) -> None:
    with pytest.raises(TypeError):
        await store.audit("cli", "x", None, {"when": datetime.now(UTC)})
    with pytest.raises(ValueError):
        await store.audit("", "x", None, {})
    assert (await store.verify_audit()).rows == 0


async def test_detects_edited_row(store: Store, db_path: Path) -> None:
    await fill(store)
    raw_sql(db_path, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
    verdict = await store.verify_audit()
    assert not verdict.ok and verdict.first_broken_seq == 3 and verdict.rows == 2
    assert verdict.reason is not None and "altered" in verdict.reason


async def test_detects_edited_detail(store: Store, db_path: Path) -> None:
    await fill(store)
    raw_sql(db_path, """UPDATE audit_log SET detail = '{"name":"x","i":1}' WHERE seq = 2""")
    verdict = await store.verify_audit()
    assert (verdict.ok, verdict.first_broken_seq) == (False, 2)


async def test_detects_edited_row_with_recomputed_hash(store: Store, db_path: Path) -> None:
    await fill(store)
    row = (await store.list_audit(after_seq=1, limit=1))[0]
    forged = row_hash(row.prev_hash, 2, row.at, "intruder", row.action, row.target, row.detail)
    raw_sql(db_path, "UPDATE audit_log SET actor = 'intruder', hash = ? WHERE seq = 2", forged)
    verdict = await store.verify_audit()
    assert (verdict.ok, verdict.first_broken_seq) == (False, 3)  # row 3 no longer chains


async def test_detects_deleted_middle_row(store: Store, db_path: Path) -> None:
    await fill(store)
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq = 3")
    verdict = await store.verify_audit()
    assert (verdict.ok, verdict.first_broken_seq, verdict.rows) == (False, 3, 2)
    assert verdict.reason is not None and "missing" in verdict.reason


async def test_detects_deleted_first_row(store: Store, db_path: Path) -> None:
    await fill(store)
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq = 1")
    assert (await store.verify_audit()).first_broken_seq == 1


async def test_detects_deleted_last_row(store: Store, db_path: Path) -> None:
    await fill(store)
    raw_sql(db_path, "DELETE FROM audit_log WHERE seq = 5")
    verdict = await store.verify_audit()
    assert (verdict.ok, verdict.first_broken_seq, verdict.rows) == (False, 5, 4)
    # Appending afterwards chains from the recorded head: the gap stays visible.
    await store.audit("cli", "after", None, {})
    verdict = await store.verify_audit()
    assert (verdict.ok, verdict.first_broken_seq) == (False, 5)


async def test_detects_all_rows_deleted(store: Store, db_path: Path) -> None:
    await fill(store, 3)
    raw_sql(db_path, "DELETE FROM audit_log")
    verdict = await store.verify_audit()
    assert (verdict.ok, verdict.first_broken_seq, verdict.rows) == (False, 1, 0)


async def test_detects_reordered_rows(store: Store, db_path: Path) -> None:
    await fill(store)
    raw_sql(db_path, "UPDATE audit_log SET seq = 100 WHERE seq = 2")
    raw_sql(db_path, "UPDATE audit_log SET seq = 2 WHERE seq = 4")
    raw_sql(db_path, "UPDATE audit_log SET seq = 4 WHERE seq = 100")
    verdict = await store.verify_audit()
    assert (verdict.ok, verdict.first_broken_seq) == (False, 2)


async def test_detects_edited_head(store: Store, db_path: Path) -> None:
    await fill(store, 2)
    raw_sql(db_path, "UPDATE meta SET value = ? WHERE key = 'audit.head_hash'", "f" * 64)
    verdict = await store.verify_audit()
    assert (verdict.ok, verdict.first_broken_seq) == (False, 2)


async def _as_list(coro: Coroutine[Any, Any, int]) -> list[int]:
    return [await coro]


async def test_two_stores_append_concurrently(store: Store, db_path: Path) -> None:
    other = await Store.open(sqlite_url_for_dir(db_path.parent))
    try:

        async def appender(s: Store, who: str, n: int) -> list[int]:
            out = []
            for i in range(n):
                out.append(await s.audit(who, "tick", None, {"i": i}))
                await asyncio.sleep(0)
            return out

        burst = [s.audit("burst", "tick", None, {}) for s in (store, other) * 5]
        hub, cli, *single = await asyncio.gather(
            appender(store, "hub", 25),
            appender(other, "cli", 25),
            *(_as_list(c) for c in burst),
        )
    finally:
        await other.close()
    seqs = sorted([*hub, *cli, *(n for one in single for n in one)])
    assert seqs == list(range(1, 61))
    verdict = await store.verify_audit()
    assert verdict.ok and verdict.rows == 60


async def test_two_processes_append_concurrently(store: Store, db_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio
        from signaling.store import Store
        async def main():
            s = await Store.open({sqlite_url_for_dir(db_path.parent)!r})
            try:
                for i in range(40):
                    await s.audit("cli", "tick", None, {{"i": i}})
            finally:
                await s.close()
        asyncio.run(main())
        """
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, cwd=REPO, stderr=subprocess.PIPE
    )
    for i in range(40):
        await store.audit("hub", "tick", None, {"i": i})
        await asyncio.sleep(0.001)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, err.decode()
    verdict = await store.verify_audit()
    assert verdict.ok and verdict.rows == 80
    actors = [r.actor for r in await store.list_audit(limit=100)]
    assert actors.count("cli") == actors.count("hub") == 40


async def test_time_is_stored_exactly(store: Store) -> None:
    at = T0 + timedelta(microseconds=123456)
    await store.audit("cli", "x", None, {}, now=at)
    assert (await store.list_audit())[0].at == at
    assert (await store.verify_audit()).ok
