"""The store on real SQLite files in tmp_path (signaling/store)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import stat
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy.engine import Connection

from signaling.store import (
    Conflict,
    Expired,
    InvalidCredentials,
    Material,
    NotFound,
    Revoked,
    Store,
    normalize_code,
    sqlite_url_for_dir,
)
from signaling.store.migrate import head_revision
from signaling.store.tables import Base

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # 10:00 in China Standard Time


def fast_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
async def store(data_dir: Path) -> AsyncIterator[Store]:
    s = await Store.open(sqlite_url_for_dir(data_dir), password_hasher=fast_hasher())
    await s.migrate()
    await s.seed_catalog()
    try:
        yield s
    finally:
        await s.close()


async def make_booth(store: Store, name: str = "青山村便民服务站") -> str:
    booth_id, _code = await store.create_booth(name, "320102001")
    return booth_id


async def make_agent(
    store: Store, username: str = "agent1", skills: list[str] | None = None
) -> str:
    return await store.create_user(username, "s3cret-pw", "agent", skills or ["housing"])


# -- files, pragmas, migrations, seed -------------------------------------------


async def test_db_file_is_private(data_dir: Path, store: Store) -> None:
    db = data_dir / "xiaowu.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    await store.audit("admin", "touch", None, {})
    for extra in data_dir.glob("xiaowu.db-*"):  # WAL and shm copy the db file's mode
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600


async def test_url_for_dir_fixes_loose_file_mode(tmp_path: Path) -> None:
    tmp_path.joinpath("xiaowu.db").touch(mode=0o644)
    url = sqlite_url_for_dir(tmp_path)
    assert url == f"sqlite+aiosqlite:///{(tmp_path / 'xiaowu.db').resolve()}"
    assert stat.S_IMODE((tmp_path / "xiaowu.db").stat().st_mode) == 0o600


async def test_sqlite_pragmas(data_dir: Path, store: Store) -> None:
    async with store._db.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    with closing(sqlite3.connect(data_dir / "xiaowu.db")) as raw:  # WAL is persistent
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_migrate_twice_is_idempotent(store: Store) -> None:
    assert await store.schema_revision() == head_revision()
    await store.migrate()
    await store.migrate()
    assert await store.schema_revision() == head_revision()
    assert await store.revision() >= 0


async def test_two_stores_migrate_at_once(data_dir: Path) -> None:
    url = sqlite_url_for_dir(data_dir)
    a, b = await Store.open(url), await Store.open(url)
    try:
        await asyncio.gather(a.migrate(), b.migrate())
        assert await a.schema_revision() == head_revision()
        assert (await asyncio.gather(a.seed_catalog(), b.seed_catalog())).count(True) == 1
    finally:
        await a.close()
        await b.close()


def _diff(conn: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


async def test_models_match_migrations(store: Store) -> None:
    async with store._db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_seed_is_idempotent_and_keeps_admin_edits(store: Store) -> None:
    catalog = await store.get_catalog()
    assert [d.id for d in catalog] == [
        "housing",
        "emergency",
        "market",
        "planning",
        "disabled",
        "identity",
        "policy",
    ]
    assert [d.ticket_prefix for d in catalog] == list("ABCDEFG")
    assert catalog[0].name == "住房和城乡建设局"
    for dept in catalog:
        assert 3 <= len(dept.services) <= 4, dept.id
        for svc in dept.services:
            assert svc.id.startswith(dept.id + ".")
            assert svc.materials and svc.name and svc.name_en
    rental = await store.get_service("housing.public_rental")
    assert rental.name == "公租房申请"
    assert (
        Material(name="居民身份证原件", name_en="Resident ID card (original)") in rental.materials
    )

    await store.upsert_service("housing.public_rental", "housing", "公租房申请（新）")
    await store.deactivate_service("housing.rental_subsidy")
    rev = await store.revision()
    assert await store.seed_catalog() is False
    assert await store.revision() == rev
    assert (await store.get_service("housing.public_rental")).name == "公租房申请（新）"
    housing = (await store.get_catalog())[0]
    assert "housing.rental_subsidy" not in {s.id for s in housing.services}
    all_housing = await store.get_department("housing")
    assert "housing.rental_subsidy" in {s.id for s in all_housing.services}


async def test_catalog_upserts(store: Store) -> None:
    dept = await store.upsert_department("tax", "税务局", "H", name_en="Tax Bureau", sort_order=5)
    assert dept.ticket_prefix == "H" and dept.services == ()
    with pytest.raises(Conflict):
        await store.upsert_department("social", "人社局", "A")
    with pytest.raises(ValueError):
        await store.upsert_department("social", "人社局", "ab")
    with pytest.raises(NotFound):
        await store.upsert_service("nowhere.x", "nowhere", "X")
    svc = await store.upsert_service(
        "tax.invoice",
        "tax",
        "发票申领",
        materials=[{"name": "税务UKey", "copies": 1}, Material("经办人身份证")],
    )
    assert svc.materials == (Material("税务UKey", copies=1), Material("经办人身份证"))
    catalog = await store.get_catalog()
    assert catalog[0].id == "tax"  # sort_order 5 before the seeded 10, 20, ...
    with pytest.raises(NotFound):
        await store.get_service("tax.nothing")
    with pytest.raises(NotFound):
        await store.deactivate_service("tax.nothing")


# -- users and sessions ------------------------------------------------------------


async def test_create_and_authenticate_user(store: Store) -> None:
    uid = await store.create_user(
        "wang.li", "correct horse", "agent", ["housing", "market"], "王丽"
    )
    user = await store.authenticate("wang.li", "correct horse")
    assert user.id == uid and user.role == "agent" and user.display_name == "王丽"
    assert user.skills == {"housing", "market"}
    with pytest.raises(InvalidCredentials):
        await store.authenticate("wang.li", "wrong")
    with pytest.raises(InvalidCredentials):
        await store.authenticate("nobody", "correct horse")
    with pytest.raises(Conflict):
        await store.create_user("wang.li", "other", "admin", [])
    with pytest.raises(NotFound):
        await store.create_user("zhao", "pw", "agent", ["no_such_dept"])
    with pytest.raises(ValueError):
        await store.create_user("zhao", "pw", "root", [])
    assert [u.username for u in await store.list_users()] == ["wang.li"]

    await store.set_user_skills(uid, ["policy"])
    assert (await store.get_user(uid)).skills == {"policy"}
    await store.set_user_password(uid, "new pw")
    with pytest.raises(InvalidCredentials):
        await store.authenticate("wang.li", "correct horse")
    assert (await store.authenticate("wang.li", "new pw")).id == uid
    await store.disable_user(uid)
    with pytest.raises(InvalidCredentials):
        await store.authenticate("wang.li", "new pw")
    with pytest.raises(NotFound):
        await store.get_user("usr_missing")


async def test_authenticate_rehashes_weak_hash(data_dir: Path) -> None:
    url = sqlite_url_for_dir(data_dir)
    weak = await Store.open(url, password_hasher=fast_hasher())
    await weak.migrate()
    await weak.create_user("admin", "pw", "admin", [])
    await weak.close()
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    store = await Store.open(url, password_hasher=stronger)
    try:
        await store.authenticate("admin", "pw")
        with closing(sqlite3.connect(data_dir / "xiaowu.db")) as raw:
            (stored,) = raw.execute("SELECT password_hash FROM users").fetchone()
        assert not stronger.check_needs_rehash(stored)
        assert (await store.authenticate("admin", "pw")).role == "admin"
    finally:
        await store.close()


async def test_sessions_issue_resolve_expire_revoke(store: Store, data_dir: Path) -> None:
    uid = await store.create_user("admin", "pw", "admin", ["identity"], "管理员")
    token, expires_at = await store.issue_session(uid, 600, now=T0)
    assert expires_at == T0 + timedelta(seconds=600)
    ident = await store.resolve_token(token, now=T0 + timedelta(seconds=1))
    assert ident is not None
    assert (ident.kind, ident.subject_id, ident.role, ident.name) == (
        "user",
        uid,
        "admin",
        "管理员",
    )
    assert ident.skills == {"identity"}
    assert await store.resolve_token(token, now=T0 + timedelta(seconds=601)) is None
    assert await store.resolve_token("not-a-token") is None
    assert await store.resolve_token("") is None

    with closing(sqlite3.connect(data_dir / "xiaowu.db")) as raw:
        stored = [r[0] for r in raw.execute("SELECT token_hash FROM session_tokens")]
    assert token not in stored and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)

    live, _ = await store.issue_session(uid, 600)
    assert await store.resolve_token(live) is not None
    assert await store.revoke_session(live) is True
    assert await store.revoke_session(live) is False
    assert await store.resolve_token(live) is None

    other, _ = await store.issue_session(uid, 600)
    await store.disable_user(uid)
    assert await store.resolve_token(other) is None
    with pytest.raises(InvalidCredentials):
        await store.issue_session(uid, 600)
    with pytest.raises(NotFound):
        await store.issue_session("usr_missing", 600)
    assert await store.purge_expired() >= 2


# -- booths ---------------------------------------------------------------------------


async def test_enrollment_code_format() -> None:
    assert normalize_code(" k7qm-93xd pw2a ") == "K7QM93XDPW2A"
    assert normalize_code("K7QM-93XD-PW2") is None
    assert normalize_code("O0I1-93XD-PW2A") is None  # look-alikes are not in the alphabet


async def test_booth_enroll_once(store: Store) -> None:
    booth_id, code = await store.create_booth("青山村便民服务站", "320102001", "青山村", now=T0)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    booth = await store.get_booth(booth_id)
    assert booth.enrolled_at is None and not booth.has_token and not booth.revoked

    typed = code.lower().replace("-", " ")
    got_id, token = await store.enroll(typed, {"os": "Debian 12", "camera": "uvc"}, now=T0)
    assert got_id == booth_id
    ident = await store.resolve_token(token)
    assert ident is not None
    assert (ident.kind, ident.subject_id, ident.role) == ("booth", booth_id, "booth")
    assert ident.name == "青山村便民服务站" and ident.skills == frozenset()
    booth = await store.get_booth(booth_id)
    assert booth.device_info == {"os": "Debian 12", "camera": "uvc"} and booth.has_token
    assert booth.enrolled_at == T0

    with pytest.raises(InvalidCredentials):
        await store.enroll(code, {})
    with pytest.raises(InvalidCredentials):
        await store.enroll("2222-2222-2222", {})
    with pytest.raises(InvalidCredentials):
        await store.enroll("nonsense", {})


async def test_enroll_expired_code(store: Store) -> None:
    _, code = await store.create_booth("镇服务中心", "320102", code_ttl_s=3600, now=T0)
    with pytest.raises(Expired):
        await store.enroll(code, {}, now=T0 + timedelta(seconds=3600))
    booth_id, code2 = await store.create_booth("镇服务中心2", "320102", now=T0)
    assert (await store.enroll(code2, {}, now=T0 + timedelta(hours=23)))[0] == booth_id


async def test_revoked_booth(store: Store) -> None:
    booth_id, code = await store.create_booth("甲", "1")
    _, token = await store.enroll(code, {})
    pending_id, pending_code = await store.create_booth("乙", "1")
    # a booth without a device token (never enrolled, or re-issued) cannot stay connected
    assert await store.revoked_among([booth_id, pending_id, "bth_gone"]) == {
        pending_id, "bth_gone"}

    assert await store.revoke_booth(booth_id) is True
    assert await store.revoke_booth(booth_id) is False
    assert await store.resolve_token(token) is None
    assert (await store.get_booth(booth_id)).revoked
    assert await store.revoked_among([booth_id, pending_id]) == {booth_id, pending_id}
    with pytest.raises(Revoked):
        await store.rotate_booth_token(booth_id)
    with pytest.raises(Revoked):
        await store.reissue_enrollment(booth_id)
    with pytest.raises(NotFound):
        await store.revoke_booth("bth_gone")

    await store.revoke_booth(pending_id)
    with pytest.raises(InvalidCredentials):  # revocation drops the unused codes
        await store.enroll(pending_code, {})


async def test_revoked_booth_with_code_row_is_reported_revoked(
    store: Store, data_dir: Path
) -> None:
    booth_id, code = await store.create_booth("丙", "1")
    with closing(sqlite3.connect(data_dir / "xiaowu.db")) as raw:
        raw.execute(
            "UPDATE booths SET revoked_at = '2025-01-01 00:00:00' WHERE id = ?", (booth_id,)
        )
        raw.commit()
    with pytest.raises(Revoked):
        await store.enroll(code, {})


async def test_rotate_and_reissue(store: Store) -> None:
    booth_id, code = await store.create_booth("丁", "1")
    _, token1 = await store.enroll(code, {})
    token2 = await store.rotate_booth_token(booth_id)
    assert await store.resolve_token(token1) is None
    ident = await store.resolve_token(token2)
    assert ident is not None and ident.subject_id == booth_id

    code_a = await store.reissue_enrollment(booth_id)
    assert await store.resolve_token(token2) is None
    code_b = await store.reissue_enrollment(booth_id)
    with pytest.raises(InvalidCredentials):  # superseded by code_b
        await store.enroll(code_a, {})
    _, token3 = await store.enroll(code_b, {"pc": "replacement"})
    assert (await store.resolve_token(token3)) is not None
    assert (await store.get_booth(booth_id)).device_info == {"pc": "replacement"}
    with pytest.raises(NotFound):
        await store.reissue_enrollment("bth_gone")


async def test_list_and_touch_booths(store: Store) -> None:
    a = await make_booth(store, "A站")
    b = await make_booth(store, "B站")
    assert [x.id for x in await store.list_booths()] == [a, b]
    await store.touch_booth(a, now=T0)
    assert (await store.get_booth(a)).last_seen_at == T0
    with pytest.raises(NotFound):
        await store.touch_booth("bth_gone")


# -- tickets, calls, ratings ------------------------------------------------------------


async def test_ticket_numbers_per_department_per_day(store: Store) -> None:
    booth = await make_booth(store)
    t1 = await store.create_ticket("housing", "housing.public_rental", booth, now=T0)
    t2 = await store.create_ticket("housing", "housing.provident_fund", booth, now=T0)
    t3 = await store.create_ticket("market", "market.food_license", booth, "priority", now=T0)
    assert (t1.number, t2.number, t3.number) == ("A001", "A002", "C001")
    assert t1.state == "waiting" and t1.created_at == T0 and t1.enqueued_at == T0
    assert t3.priority == "priority" and t1.offered_count == 0
    # The service day starts at midnight China time (16:00 UTC).
    late = datetime(2025, 3, 3, 15, 59, tzinfo=UTC)
    next_day = datetime(2025, 3, 3, 16, 0, tzinfo=UTC)
    assert (
        await store.create_ticket("housing", "housing.public_rental", booth, now=late)
    ).number == "A003"
    assert (
        await store.create_ticket("housing", "housing.public_rental", booth, now=next_day)
    ).number == "A001"

    with pytest.raises(NotFound):
        await store.create_ticket("housing", "market.food_license", booth)
    with pytest.raises(NotFound):
        await store.create_ticket("nowhere", "housing.public_rental", booth)
    with pytest.raises(NotFound):
        await store.create_ticket("housing", "housing.public_rental", "bth_gone")
    with pytest.raises(ValueError):
        await store.create_ticket("housing", "housing.public_rental", booth, "vip")
    await store.revoke_booth(booth)
    with pytest.raises(Revoked):
        await store.create_ticket("housing", "housing.public_rental", booth)


async def test_concurrent_ticket_numbers(store: Store, data_dir: Path) -> None:
    booth = await make_booth(store)
    other = await Store.open(sqlite_url_for_dir(data_dir))
    try:
        tickets = await asyncio.gather(
            *[
                (store if i % 2 else other).create_ticket(
                    "disabled", "disabled.certificate", booth, now=T0
                )
                for i in range(20)
            ]
        )
    finally:
        await other.close()
    numbers = sorted(t.number for t in tickets)
    assert numbers == [f"E{n:03d}" for n in range(1, 21)]


async def test_update_and_open_tickets(store: Store) -> None:
    booth = await make_booth(store)
    agent = await make_agent(store)
    t1 = await store.create_ticket("housing", "housing.public_rental", booth, now=T0)
    t2 = await store.create_ticket("housing", "housing.public_rental", booth, now=T0)
    offered = await store.update_ticket(t1.id, state="offered", offered_count=1)
    assert offered.state == "offered" and offered.offered_count == 1
    moved = await store.update_ticket(t2.id, department_id="market", enqueued_at=T0)
    assert moved.department_id == "market" and moved.number == t2.number
    done = await store.update_ticket(
        t1.id, state="done", agent_id=agent, ended_at=T0, end_reason="served"
    )
    assert done.agent_id == agent and done.ended_at == T0
    assert [t.id for t in await store.open_tickets()] == [t2.id]
    assert await store.open_tickets(booth_id="bth_other") == []
    with pytest.raises(ValueError):
        await store.update_ticket(t2.id, state="lost")
    with pytest.raises(NotFound):
        await store.update_ticket(t2.id, agent_id="usr_gone")
    with pytest.raises(NotFound):
        await store.update_ticket("tkt_gone", state="done")
    with pytest.raises(NotFound):
        await store.get_ticket("tkt_gone")
    assert (await store.get_ticket(t2.id)).department_id == "market"


async def test_call_end_and_duration(store: Store) -> None:
    booth = await make_booth(store)
    agent = await make_agent(store)
    ticket = await store.create_ticket("housing", "housing.public_rental", booth, now=T0)
    call = await store.create_call(ticket.id, booth, agent, now=T0)
    assert call.ended_at is None and call.duration_s is None
    assert [c.id for c in await store.active_calls()] == [call.id]
    with pytest.raises(Conflict):
        await store.create_call(ticket.id, booth, agent)
    ended = await store.end_call(call.id, "hangup", "agent", now=T0 + timedelta(seconds=312.5))
    assert ended.duration_s == 312.5 and ended.ended_by == "agent" and ended.end_reason == "hangup"
    assert await store.active_calls() == []
    with pytest.raises(Conflict):
        await store.end_call(call.id, "hangup", "booth")
    with pytest.raises(ValueError):
        await store.end_call(call.id, "hangup", "someone")
    with pytest.raises(NotFound):
        await store.end_call("call_gone", "hangup", "hub")
    assert (await store.get_call(call.id)) == ended
    again = await store.create_call(ticket.id, booth, agent, now=T0 + timedelta(minutes=6))
    assert again.id != call.id


async def test_rating_once(store: Store) -> None:
    booth = await make_booth(store)
    agent = await make_agent(store)
    ticket = await store.create_ticket("housing", "housing.public_rental", booth, now=T0)
    call = await store.create_call(ticket.id, booth, agent, now=T0)
    with pytest.raises(ValueError):
        await store.save_rating(call.id, 6, [], [], None)
    with pytest.raises(ValueError):
        await store.save_rating(call.id, 0, [], [], None)
    rating = await store.save_rating(call.id, 5, ["态度好"], [], "很耐心", now=T0)
    assert rating.level == 5 and rating.indicators == ("态度好",) and rating.comment == "很耐心"
    with pytest.raises(Conflict):
        await store.save_rating(call.id, 1, [], ["等待时间长"], None)
    assert await store.get_rating(call.id) == rating
    with pytest.raises(NotFound):
        await store.save_rating("call_gone", 3, [], [], None)


async def test_stats_today(store: Store) -> None:
    booth = await make_booth(store)
    a1 = await make_agent(store, "a1")
    a2 = await make_agent(store, "a2")
    levels = {a1: [5, 4], a2: [1]}
    for agent, agent_levels in levels.items():
        for level in agent_levels:
            t = await store.create_ticket("housing", "housing.public_rental", booth, now=T0)
            call = await store.create_call(t.id, booth, agent, now=T0)
            end = T0 + timedelta(seconds=100)
            await store.end_call(call.id, "hangup", "agent", now=end)
            await store.update_ticket(t.id, state="done", agent_id=agent, ended_at=end)
            await store.save_rating(call.id, level, [], [], None, now=end)
    gone = await store.create_ticket("housing", "housing.public_rental", booth, now=T0)
    await store.update_ticket(gone.id, state="abandoned", ended_at=T0)
    yesterday = await store.create_ticket(
        "housing", "housing.public_rental", booth, now=T0 - timedelta(days=1)
    )
    await store.update_ticket(yesterday.id, state="done", ended_at=T0 - timedelta(days=1))

    stats = await store.stats_today(now=T0 + timedelta(hours=1))
    assert stats.day == "2025-03-03"
    assert (stats.handled, stats.abandoned, stats.cancelled, stats.calls) == (3, 1, 0, 3)
    assert stats.avg_call_s == 100.0
    assert stats.ratings == {1: 1, 2: 0, 3: 0, 4: 1, 5: 1} and stats.rated == 3
    mine = await store.stats_today(now=T0 + timedelta(hours=1), agent_id=a1)
    assert (mine.handled, mine.calls, mine.ratings[5], mine.ratings[1]) == (2, 2, 1, 0)
    handled = await store.handled_tickets(a1, now=T0 + timedelta(hours=1))
    assert [t.number for t in handled] == ["A001", "A002"]


# -- admin revision -------------------------------------------------------------------


async def test_revision_bumps_on_admin_changes(store: Store, data_dir: Path) -> None:
    other = await Store.open(sqlite_url_for_dir(data_dir), password_hasher=fast_hasher())
    try:
        seen = await store.revision()

        async def bumped() -> bool:
            nonlocal seen
            now = await store.revision()  # read by the other process's view
            changed = now > seen
            seen = now
            return changed

        uid = await other.create_user("cli-made", "pw", "agent", [])
        assert await bumped()
        await other.set_user_skills(uid, ["market"])
        assert await bumped()
        booth_id, _ = await other.create_booth("CLI站", "1")
        assert await bumped()
        await other.revoke_booth(booth_id)
        assert await bumped()
        await other.upsert_department("tax", "税务局", "H")
        assert await bumped()
        await other.upsert_service("tax.invoice", "tax", "发票申领")
        assert await bumped()
        await other.deactivate_service("tax.invoice")
        assert await bumped()
        await other.disable_user(uid)
        assert await bumped()
        before = await store.bump_revision()
        assert await store.bump_revision() == before + 1
        assert await bumped()

        booth = await make_booth(store)  # (an admin change itself)
        await bumped()
        await store.create_ticket("housing", "housing.public_rental", booth)
        assert not await bumped()  # tickets are not admin changes
    finally:
        await other.close()


# -- PostgreSQL (only where a scratch database is given) -------------------------------

async def test_postgresql_end_to_end(pg_url: str) -> None:
    PG_URL = pg_url  # a fresh database in a throwaway cluster (tests/pgcluster.py)
    store = await Store.open(PG_URL, password_hasher=fast_hasher())
    other = await Store.open(PG_URL, password_hasher=fast_hasher())
    try:
        async with store._db.engine.begin() as conn:
            await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            await conn.exec_driver_sql("CREATE SCHEMA public")
        await asyncio.gather(store.migrate(), other.migrate())
        await store.migrate()
        assert await store.schema_revision() == head_revision()
        async with store._db.engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
        assert (await asyncio.gather(store.seed_catalog(), other.seed_catalog())).count(True) == 1
        assert len(await store.get_catalog()) == 7

        rev = await store.revision()
        uid = await other.create_user("pg-agent", "pw", "agent", ["housing"])
        assert await store.revision() == rev + 1
        with pytest.raises(Conflict):
            await store.create_user("pg-agent", "pw", "agent", [])
        assert (await store.authenticate("pg-agent", "pw")).skills == {"housing"}
        token, _ = await store.issue_session(uid, 60, now=T0)
        assert await store.resolve_token(token, now=T0) is not None
        assert await store.resolve_token(token, now=T0 + timedelta(seconds=61)) is None

        booth, code = await store.create_booth("PG站", "1", now=T0)
        with pytest.raises(Expired):
            await store.enroll(code, {}, now=T0 + timedelta(days=2))
        _, device = await store.enroll(code, {"os": "x"}, now=T0)
        ident = await store.resolve_token(device)
        assert ident is not None and ident.kind == "booth"
        assert (await store.get_booth(booth)).enrolled_at == T0

        tickets = await asyncio.gather(
            *[
                (store if i % 2 else other).create_ticket(
                    "housing", "housing.public_rental", booth, now=T0
                )
                for i in range(20)
            ]
        )
        assert sorted(t.number for t in tickets) == [f"A{n:03d}" for n in range(1, 21)]
        call = await store.create_call(tickets[0].id, booth, uid, now=T0)
        ended = await store.end_call(call.id, "hangup", "booth", now=T0 + timedelta(seconds=9))
        assert ended.duration_s == 9.0
        results = await asyncio.gather(store.end_call(call.id, "x", "hub"), return_exceptions=True)
        assert isinstance(results[0], Conflict)
        await store.save_rating(call.id, 4, ["快"], [], None, now=T0)
        with pytest.raises(Conflict):
            await store.save_rating(call.id, 4, [], [], None)
        await store.update_ticket(tickets[0].id, state="done", agent_id=uid, ended_at=T0)
        stats = await store.stats_today(now=T0)
        assert (stats.handled, stats.calls, stats.ratings[4]) == (1, 1, 1)

        await asyncio.gather(
            *[(store if i % 2 else other).audit("pg", "tick", None, {"i": i}) for i in range(30)]
        )
        verdict = await store.verify_audit()
        assert verdict.ok and verdict.rows == 30
        async with store._db.engine.begin() as conn:
            await conn.exec_driver_sql("DELETE FROM audit_log WHERE seq = 30")
        assert (await store.verify_audit()).first_broken_seq == 30
    finally:
        await store.close()
        await other.close()
