"""``xiaowu-admin``: provision and inspect the store, alone or while the hub runs.

Options may come before or after the subcommand; ``--json`` prints one JSON
object. Every change is audited and bumps the store's revision, which the
running hub polls, so it sees CLI changes at once (a revoked booth is
disconnected within a second).

Exit codes: 0 done, 1 the check failed (``audit verify``), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from signaling.app import open_store
from signaling.backup import DB_NAME, BackupReport, backup_database, mirror_files
from signaling.config import ConfigError, load_settings
from signaling.store import Store, sqlite_url_for_dir
from signaling.store import errors as se

__all__ = ["main", "build_parser"]

_ACTOR = "cli"


class _Out:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def emit(self, obj: dict[str, Any], text: str) -> None:
        print(json.dumps(obj, ensure_ascii=False, default=str) if self.as_json else text)


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    d: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--data-dir", type=Path, default=d, help="the hub's data dir")
    parser.add_argument("--database-url", default=d, help="instead of the embedded store")
    parser.add_argument("--config", type=Path, default=d, help="TOML settings file")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS if suppress
                        else False, help="print one JSON object")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="xiaowu-admin", description="Administer a Xiaowu hub.")
    _common(ap, suppress=False)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def cmd(name: str, parent: Any = sub, **kw: Any) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(name, **kw)
        _common(sp, suppress=True)
        return sp

    init = cmd("init", help="create or migrate the store, seed the catalog")
    init.add_argument("--admin-username", default="admin")
    init.add_argument("--admin-password", help="created if missing; random if not given")

    agent = sub.add_parser("agent", help="agents").add_subparsers(dest="sub", required=True)
    a_add = cmd("add", agent)
    a_add.add_argument("username")
    a_add.add_argument("--password", required=True)
    a_add.add_argument("--skill", action="append", default=[], dest="skills")
    a_add.add_argument("--name", dest="display_name")
    cmd("list", agent)
    a_sk = cmd("skills", agent)
    a_sk.add_argument("user_id")
    a_sk.add_argument("--skill", action="append", default=[], dest="skills")
    a_dis = cmd("disable", agent)
    a_dis.add_argument("user_id")
    a_pw = cmd("password", agent, help="set a new password (ends the user's sessions)")
    a_pw.add_argument("username")
    a_pw.add_argument("--password", required=True)

    booth = sub.add_parser("booth", help="booths").add_subparsers(dest="sub", required=True)
    b_add = cmd("add", booth)
    b_add.add_argument("name")
    b_add.add_argument("--region", required=True, dest="region_code")
    b_add.add_argument("--region-name")
    b_rev = cmd("revoke", booth)
    b_rev.add_argument("booth_id")
    b_re = cmd("reissue", booth, help="new enrollment code; the old device token stops")
    b_re.add_argument("booth_id")
    cmd("list", booth)

    cat = sub.add_parser("catalog", help="service catalog").add_subparsers(dest="sub",
                                                                           required=True)
    cmd("show", cat)

    audit = sub.add_parser("audit", help="audit log").add_subparsers(dest="sub", required=True)
    cmd("verify", audit)
    a_list = cmd("list", audit)
    a_list.add_argument("--limit", type=int, default=50)
    a_list.add_argument("--after", type=int, default=0)

    bk = cmd("backup", help="copy the embedded database and the file store into DEST "
                            "(a data dir: restore with --data-dir DEST); run it daily")
    bk.add_argument("dest", type=Path)
    return ap


Handler = Callable[[Store, argparse.Namespace, _Out], Awaitable[int]]


async def _init(store: Store, a: argparse.Namespace, out: _Out) -> int:
    seeded = await store.seed_catalog()
    created, password = False, a.admin_password
    users = {u.username: u for u in await store.list_users()}
    if a.admin_username not in users:
        password = password or secrets.token_urlsafe(12)
        await store.create_user(a.admin_username, password, "admin", [], "管理员")
        await store.audit(_ACTOR, "admin.create", a.admin_username, {})
        created = True
    obj = {"migrated": True, "seeded": seeded,
           "admin": {"username": a.admin_username, "created": created,
                     **({"password": password} if created and not a.admin_password else {})}}
    text = f"store ready; catalog {'seeded' if seeded else 'already present'}"
    if created:
        text += f"; admin {a.admin_username!r} created"
        if not a.admin_password:
            text += f" with password {password}"
    out.emit(obj, text)
    return 0


async def _agent_add(store: Store, a: argparse.Namespace, out: _Out) -> int:
    user_id = await store.create_user(a.username, a.password, "agent", a.skills, a.display_name)
    await store.audit(_ACTOR, "agent.create", user_id, {"username": a.username,
                                                         "skills": a.skills})
    out.emit({"user_id": user_id}, f"agent {a.username} created: {user_id}")
    return 0


async def _agent_list(store: Store, a: argparse.Namespace, out: _Out) -> int:
    users: list[dict[str, Any]] = [
        {"id": u.id, "username": u.username, "role": u.role, "skills": sorted(u.skills),
         "disabled": u.disabled} for u in await store.list_users()]
    out.emit({"users": users}, "\n".join(
        f"{u['id']}  {u['username']:<16} {u['role']:<6} {','.join(u['skills'])}"
        f"{'  (disabled)' if u['disabled'] else ''}" for u in users) or "no users")
    return 0


async def _agent_skills(store: Store, a: argparse.Namespace, out: _Out) -> int:
    await store.set_user_skills(a.user_id, a.skills)
    await store.audit(_ACTOR, "agent.skills", a.user_id, {"skills": a.skills})
    out.emit({"user_id": a.user_id, "skills": a.skills}, f"skills set: {', '.join(a.skills)}")
    return 0


async def _agent_password(store: Store, a: argparse.Namespace, out: _Out) -> int:
    user = await store.get_user_by_name(a.username)
    await store.set_user_password(user.id, a.password)
    await store.audit(_ACTOR, "user.password", user.id, {})
    out.emit({"user_id": user.id}, f"password of {a.username} changed")
    return 0


async def _agent_disable(store: Store, a: argparse.Namespace, out: _Out) -> int:
    await store.disable_user(a.user_id)
    await store.audit(_ACTOR, "agent.disable", a.user_id, {})
    out.emit({"user_id": a.user_id, "disabled": True}, f"user {a.user_id} disabled")
    return 0


async def _booth_add(store: Store, a: argparse.Namespace, out: _Out) -> int:
    booth_id, code = await store.create_booth(a.name, a.region_code, a.region_name)
    await store.audit(_ACTOR, "booth.create", booth_id, {"name": a.name,
                                                         "region_code": a.region_code})
    out.emit({"booth_id": booth_id, "enrollment_code": code},
             f"booth {a.name} created: {booth_id}\nenrollment code (one-time, 24 h): {code}")
    return 0


async def _booth_revoke(store: Store, a: argparse.Namespace, out: _Out) -> int:
    await store.revoke_booth(a.booth_id)
    await store.audit(_ACTOR, "booth.revoke", a.booth_id, {})
    out.emit({"booth_id": a.booth_id, "revoked": True}, f"booth {a.booth_id} revoked")
    return 0


async def _booth_reissue(store: Store, a: argparse.Namespace, out: _Out) -> int:
    code = await store.reissue_enrollment(a.booth_id, 24 * 3600)
    await store.audit(_ACTOR, "booth.reissue", a.booth_id, {})
    out.emit({"booth_id": a.booth_id, "enrollment_code": code}, f"new enrollment code: {code}")
    return 0


async def _booth_list(store: Store, a: argparse.Namespace, out: _Out) -> int:
    booths = [{"id": b.id, "name": b.name, "region_code": b.region_code,
               "region_name": b.region_name, "enrolled": b.enrolled_at is not None,
               "revoked": b.revoked_at is not None} for b in await store.list_booths()]
    out.emit({"booths": booths}, "\n".join(
        f"{b['id']}  {b['name']}  {b['region_code']} {b['region_name'] or ''}"
        f"{'  enrolled' if b['enrolled'] else ''}{'  REVOKED' if b['revoked'] else ''}"
        for b in booths) or "no booths")
    return 0


async def _catalog_show(store: Store, a: argparse.Namespace, out: _Out) -> int:
    depts = await store.get_catalog()
    obj = {"departments": [{"id": d.id, "name": d.name, "services": [
        {"id": s.id, "name": s.name, "materials": [m.to_json() for m in s.materials]}
        for s in d.services]} for d in depts]}
    lines = []
    for d in depts:
        lines.append(f"{d.id}  {d.name}")
        lines += [f"    {s.id}  {s.name}" for s in d.services]
    out.emit(obj, "\n".join(lines))
    return 0


async def _audit_verify(store: Store, a: argparse.Namespace, out: _Out) -> int:
    v = await store.verify_audit()
    obj = {"ok": v.ok, "rows": v.rows, "first_broken_seq": v.first_broken_seq,
           "reason": v.reason}
    out.emit(obj, f"audit chain intact: {v.rows} rows" if v.ok else
             f"audit chain BROKEN at row {v.first_broken_seq}: {v.reason}")
    return 0 if v.ok else 1


async def _audit_list(store: Store, a: argparse.Namespace, out: _Out) -> int:
    rows = await store.list_audit(limit=a.limit, after_seq=a.after)
    obj = {"rows": [{"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor,
                     "action": r.action, "target": r.target, "detail": r.detail} for r in rows]}
    out.emit(obj, "\n".join(f"{r.seq:>6} {r.at:%Y-%m-%d %H:%M:%S} {r.actor:<24} {r.action:<18}"
                            f" {r.target or ''}" for r in rows))
    return 0


async def _backup(store: Store, a: argparse.Namespace, out: _Out) -> int:
    """The database (SQLite online backup; with PostgreSQL use pg_dump) and the file
    store (new blobs copied and checked, blobs deleted by retention removed), then the
    backup's own audit chain verified."""
    settings = a.settings
    dest: Path = a.dest.resolve()
    if dest == settings.data_dir.resolve():
        raise ValueError("the backup must not be the data dir itself")
    report = BackupReport(dest)
    embedded = not settings.database_url
    if embedded:
        report.db_bytes = await asyncio.to_thread(
            backup_database, settings.data_dir / DB_NAME, dest)
    await asyncio.to_thread(mirror_files, settings.data_dir / "files", dest / "files", report)
    verdict = None
    if embedded:
        copy = await Store.open(sqlite_url_for_dir(dest))
        try:
            verdict = await copy.verify_audit()
        finally:
            await copy.close()
    await store.audit(_ACTOR, "backup.run", str(dest),
                      {"db_bytes": report.db_bytes, "files": report.files,
                       "copied": report.copied, "pruned": report.pruned,
                       "corrupt": len(report.corrupt)})
    ok = not report.corrupt and (verdict is None or verdict.ok)
    obj = {"dest": str(dest), "database": "sqlite" if embedded else None,
           "db_bytes": report.db_bytes, "files": report.files, "copied": report.copied,
           "pruned": report.pruned, "corrupt": report.corrupt, "ok": ok,
           "audit": None if verdict is None else {"ok": verdict.ok, "rows": verdict.rows}}
    lines = [f"backup in {dest}:",
             f"  database: {report.db_bytes} bytes" if embedded
             else "  database: not embedded (PostgreSQL): back it up with pg_dump",
             f"  files: {report.files} ({report.copied} new, {report.pruned} removed "
             "after retention)"]
    if report.corrupt:
        lines.append(f"  CORRUPT in the data dir (not copied): {', '.join(report.corrupt)}")
    if verdict is not None:
        lines.append(f"  audit chain of the copy: {'intact' if verdict.ok else 'BROKEN'}, "
                     f"{verdict.rows} rows")
    out.emit(obj, "\n".join(lines))
    return 0 if ok else 1


_COMMANDS: dict[tuple[str, str | None], Handler] = {
    ("init", None): _init,
    ("agent", "add"): _agent_add,
    ("agent", "list"): _agent_list,
    ("agent", "skills"): _agent_skills,
    ("agent", "disable"): _agent_disable,
    ("agent", "password"): _agent_password,
    ("booth", "add"): _booth_add,
    ("booth", "revoke"): _booth_revoke,
    ("booth", "reissue"): _booth_reissue,
    ("booth", "list"): _booth_list,
    ("catalog", "show"): _catalog_show,
    ("audit", "verify"): _audit_verify,
    ("audit", "list"): _audit_list,
    ("backup", None): _backup,
}


def _error_code(exc: Exception) -> str:
    """The protocol's error codes (DESIGN.md §4), so scripts read one vocabulary."""
    if isinstance(exc, se.NotFound):
        return "not_found"
    if isinstance(exc, ValueError):
        return "bad_message"
    return "conflict"  # taken, revoked, expired: the store's state refuses it


async def _run(a: argparse.Namespace) -> int:
    out = _Out(a.json)
    try:
        settings = load_settings({"data_dir": a.data_dir, "database_url": a.database_url},
                                 a.config)
    except ConfigError as exc:
        print(f"xiaowu-admin: {exc}", file=sys.stderr)
        return 2
    a.settings = settings
    store = await open_store(settings)
    try:
        return await _COMMANDS[(a.cmd, getattr(a, "sub", None))](store, a, out)
    except (se.NotFound, se.Conflict, se.Revoked, se.Expired, se.InvalidCredentials,
            ValueError) as exc:  # the operator's input does not fit the store's state
        if a.json:
            print(json.dumps({"error": {"code": _error_code(exc), "message": str(exc)}},
                             ensure_ascii=False))
        print(f"xiaowu-admin: {exc}", file=sys.stderr)
        return 2
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return asyncio.run(_run(args))


if __name__ == "__main__":
    raise SystemExit(main())
