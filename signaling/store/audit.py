"""The hash-chained audit log (DESIGN.md §5: append-only, each row carries the
hash of the previous one; ``xiaowu-admin audit verify`` detects edits and deletions).

Row ``n`` stores ``prev_hash`` (row ``n-1``'s hash, 64 zeros for row 1) and
``hash = sha256(prev_hash + canonical_json([seq, at, actor, action, target, detail]))``.
Sequence numbers are contiguous from 1. The head (last seq and hash) is kept in
``meta`` too, so deleting the last rows is detected as well; appends chain from
that head, never from whatever row happens to be last in the table.

Appends are serialized across processes: SQLite by the ``BEGIN IMMEDIATE``
write transaction (:mod:`.db`), PostgreSQL by ``pg_advisory_xact_lock``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .db import LOCK_AUDIT, serialize
from .meta import AUDIT_HEAD_HASH, AUDIT_HEAD_SEQ, get_meta, set_meta
from .records import AuditRecord, AuditVerdict
from .tables import AuditRow

__all__ = [
    "GENESIS_HASH",
    "canonical_json",
    "row_hash",
    "append_audit",
    "verify_chain",
    "to_record",
]

GENESIS_HASH = "0" * 64
_VERIFY_BATCH = 1000


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _at_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def row_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    detail: dict[str, Any],
) -> str:
    body = canonical_json([seq, _at_text(at), actor, action, target, detail])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def to_record(row: AuditRow) -> AuditRecord:
    return AuditRecord(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        detail=dict(row.detail),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


async def _head(session: AsyncSession) -> tuple[int, str]:
    seq = await get_meta(session, AUDIT_HEAD_SEQ)
    digest = await get_meta(session, AUDIT_HEAD_HASH)
    return (int(seq) if seq is not None else 0), (digest or GENESIS_HASH)


async def append_audit(
    session: AsyncSession,
    actor: str,
    action: str,
    target: str | None,
    detail: dict[str, Any],
    at: datetime,
) -> int:
    """Append one row inside the caller's write transaction; returns its seq."""
    await serialize(session, LOCK_AUDIT)
    # Store exactly what was hashed: tuples become lists, keys strings, and so on.
    detail = json.loads(canonical_json(detail))
    if not isinstance(detail, dict):
        raise TypeError("audit detail must be a JSON object")
    at = at.astimezone(UTC)
    head_seq, head_hash = await _head(session)
    seq = head_seq + 1
    digest = row_hash(head_hash, seq, at, actor, action, target, detail)
    session.add(
        AuditRow(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            detail=detail,
            prev_hash=head_hash,
            hash=digest,
        )
    )
    await session.flush()
    await set_meta(session, AUDIT_HEAD_SEQ, str(seq))
    await set_meta(session, AUDIT_HEAD_HASH, digest)
    return seq


async def verify_chain(session: AsyncSession) -> AuditVerdict:
    """Walk the whole log in seq order; report the first row that breaks the chain."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    rows = 0
    after = 0
    while True:
        batch = (
            await session.scalars(
                select(AuditRow)
                .where(AuditRow.seq > after)
                .order_by(AuditRow.seq)
                .limit(_VERIFY_BATCH)
            )
        ).all()
        if not batch:
            break
        for row in batch:
            if row.seq != expected_seq:
                return AuditVerdict(
                    False, rows, expected_seq, f"row {expected_seq} is missing (next is {row.seq})"
                )
            if row.prev_hash != prev_hash:
                return AuditVerdict(
                    False, rows, row.seq, f"row {row.seq} does not chain to row {row.seq - 1}"
                )
            digest = row_hash(
                row.prev_hash, row.seq, row.at, row.actor, row.action, row.target, row.detail
            )
            if digest != row.hash:
                return AuditVerdict(False, rows, row.seq, f"row {row.seq} was altered")
            rows += 1
            prev_hash = row.hash
            expected_seq += 1
        after = batch[-1].seq
    head_seq, head_hash = await _head(session)
    last_seq = expected_seq - 1
    if last_seq < head_seq:
        return AuditVerdict(
            False, rows, last_seq + 1, f"rows {last_seq + 1}..{head_seq} are missing at the end"
        )
    if last_seq > head_seq:
        return AuditVerdict(
            False, rows, head_seq + 1, f"rows after {head_seq} are not in the recorded head"
        )
    if prev_hash != head_hash:
        return AuditVerdict(
            False, rows, last_seq, f"row {last_seq} does not match the recorded head"
        )
    return AuditVerdict(True, rows)
