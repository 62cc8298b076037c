"""Backups of the embedded store: the SQLite database and the file store, into a
directory laid out like a data dir (``xiaowu.db`` and ``files/``), so a restore
is ``--data-dir BACKUP`` or a copy back.

- The database is copied with SQLite's online backup API: consistent while the
  hub writes (copying the file could catch a half-written WAL).
- Blobs are content-addressed and immutable: a run copies only new ones, checks
  each against its name (a blob whose bytes no longer hash to its name is
  reported, not copied), and removes from the backup the blobs the hub has
  deleted since — retention (PIPL) must reach the backup too.
- Files 0600, directories 0700, like the live data dir.

Blocking I/O throughout: run it from the command line (``xiaowu-admin backup``) or
a worker thread.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from signaling.files import FileStore

__all__ = ["BackupReport", "backup_database", "mirror_files", "DB_NAME"]

DB_NAME = "xiaowu.db"
_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class BackupReport:
    dest: Path
    db_bytes: int | None = None  # None: no embedded database here (PostgreSQL: pg_dump)
    files: int = 0  # blobs in the source
    copied: int = 0  # new this run
    pruned: int = 0  # gone from the source (retention), removed from the backup
    corrupt: list[str] = field(default_factory=list)  # bytes do not hash to the name


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def backup_database(source: Path, dest_dir: Path) -> int:
    """Copy the SQLite database ``source`` to ``dest_dir/xiaowu.db`` (atomically, 0600);
    returns its size in bytes. ``FileNotFoundError`` if there is no database."""
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    _private_dir(dest_dir)
    target = dest_dir / DB_NAME
    tmp = dest_dir / f".{DB_NAME}.{os.getpid()}.tmp"
    old_umask = os.umask(0o077)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                # one self-contained file: no -wal beside it in the backup
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, target)
    finally:
        os.umask(old_umask)
        tmp.unlink(missing_ok=True)
    target.chmod(0o600)
    return target.stat().st_size


def _blobs(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {p.name: p for p in root.glob("*/*/*") if _SHA.match(p.name) and p.is_file()}


def mirror_files(source: Path, dest: Path, report: BackupReport) -> None:
    """Make the blobs under ``dest`` those under ``source``: copy new ones (verified),
    remove ones the source no longer has."""
    _private_dir(dest)
    have = _blobs(dest)
    want = _blobs(source)
    report.files = len(want)
    store = FileStore(dest)
    for sha, path in sorted(want.items()):
        if sha in have:
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            report.corrupt.append(sha)
            continue
        store.add(data)
        report.copied += 1
    for sha, path in have.items():
        if sha not in want:
            path.unlink()
            report.pruned += 1
