"""Content-addressed file storage for personal data (ID scans, face images).

A blob lives at ``<root>/<aa>/<bb>/<sha256>``: directories 0700, files 0600,
written to a temporary file in the same directory, fsynced and renamed, so a
reader never sees half a file and a crash leaves at most a ``.tmp`` that
:meth:`FileStore.sweep_temp` removes. The same content is stored once.

Blocking file I/O: the hub calls these methods through ``asyncio.to_thread``.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

__all__ = ["FileStore", "BlobMissing"]

_SHA = re.compile(r"^[0-9a-f]{64}$")


class BlobMissing(Exception):
    """No blob with that hash (never stored, or deleted by retention)."""


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha: str) -> Path:
        if not _SHA.match(sha):
            raise ValueError(f"not a sha256 hex digest: {sha!r}")
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, data: bytes) -> str:
        """Store ``data`` (if new) and return its sha256 hex digest."""
        return self.add(data)[0]

    def add(self, data: bytes) -> tuple[str, bool]:
        """Store ``data`` if new: its sha256 hex digest, and whether this call wrote it
        (so a caller whose row then fails to insert removes only what it added)."""
        sha = hashlib.sha256(data).hexdigest()
        path = self._path(sha)
        if path.exists():
            return sha, False
        old_umask = os.umask(0o077)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = path.with_name(f".{sha}.{os.getpid()}.{time.monotonic_ns()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        finally:
            os.umask(old_umask)
        return sha, True

    def get(self, sha: str) -> bytes:
        try:
            return self._path(sha).read_bytes()
        except FileNotFoundError as exc:
            raise BlobMissing(sha) from exc

    def exists(self, sha: str) -> bool:
        return self._path(sha).is_file()

    def delete(self, sha: str) -> bool:
        """Remove a blob; ``True`` if it was there."""
        path = self._path(sha)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        for parent in (path.parent, path.parent.parent):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
        return True

    def sweep_temp(self, older_than_s: float = 3600.0) -> int:
        """Remove leftover ``.tmp`` files of interrupted writes."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        gone = 0
        for tmp in self.root.glob("*/*/.*.tmp"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    gone += 1
            except FileNotFoundError:
                continue
        return gone

    def count(self) -> int:
        if not self.root.is_dir():
            return 0
        return sum(1 for p in self.root.glob("*/*/*") if _SHA.match(p.name))
