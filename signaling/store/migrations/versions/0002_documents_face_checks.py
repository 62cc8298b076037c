"""Documents, face checks and their live frames.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "documents",
        _s("id", 64, nullable=False),
        sa.Column("call_id", sa.String(64), sa.ForeignKey("calls.id"), nullable=False),
        sa.Column("booth_id", sa.String(64), sa.ForeignKey("booths.id"), nullable=False),
        _s("request_id", 64, nullable=True),
        _s("kind", 32),
        _s("sha256", 64),
        _s("thumb_sha256", 64),
        _s("content_type", 32),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        _ts("created_at"),
        _s("review", 16),
        _s("review_reason", 200, nullable=True),
        _s("reviewed_by", 64, nullable=True),
        _ts("reviewed_at", nullable=True),
        _ts("deleted_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_documents_call_id", "documents", ["call_id"])
    op.create_index("ix_documents_created_at", "documents", ["created_at"])
    op.create_table(
        "face_checks",
        _s("id", 64, nullable=False),
        sa.Column("call_id", sa.String(64), sa.ForeignKey("calls.id"), nullable=False),
        sa.Column("document_id", sa.String(64), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("booth_id", sa.String(64), sa.ForeignKey("booths.id"), nullable=False),
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("challenges", sa.JSON(), nullable=False),
        _s("state", 16),
        _ts("created_at"),
        _ts("judged_at", nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        _s("band", 16, nullable=True),
        sa.Column("distance", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        _s("portrait_sha256", 64, nullable=True),
        _s("live_sha256", 64, nullable=True),
        _s("decision", 16, nullable=True),
        _s("decision_note", 200, nullable=True),
        _s("decided_by", 64, nullable=True),
        _ts("decided_at", nullable=True),
        _ts("deleted_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_face_checks_call_id", "face_checks", ["call_id"])
    op.create_index("ix_face_checks_created_at", "face_checks", ["created_at"])
    op.create_table(
        "face_frames",
        sa.Column(
            "check_id", sa.String(64), sa.ForeignKey("face_checks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t_ms", sa.Integer(), nullable=False),
        _s("step", 16),
        _s("sha256", 64),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("check_id", "seq"),
    )


def downgrade() -> None:
    for table in ("face_frames", "face_checks", "documents"):
        op.drop_table(table)
