"""Remote assist: consent decisions and pushed forms with their signed submissions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _fk(name: str, target: str) -> sa.Column[object]:
    return sa.Column(name, sa.String(64), sa.ForeignKey(target), nullable=False)


def upgrade() -> None:
    op.create_table(
        "assist_consents",
        _s("id", 64),
        _fk("call_id", "calls.id"),
        _fk("booth_id", "booths.id"),
        _s("scope", 16),
        sa.Column("granted", sa.Boolean(), nullable=False),
        _s("reason", 32),
        _ts("at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assist_consents_call_id", "assist_consents", ["call_id"])
    op.create_table(
        "assist_forms",
        _s("id", 64),
        _fk("call_id", "calls.id"),
        _fk("booth_id", "booths.id"),
        _fk("agent_id", "users.id"),
        _s("title", 500),
        sa.Column("definition", sa.JSON(), nullable=False),
        _s("state", 16),
        _ts("created_at"),
        _ts("submitted_at", nullable=True),
        sa.Column("values", sa.JSON(), nullable=True),
        sa.Column("strokes", sa.JSON(), nullable=True),
        _s("signature_sha256", 64, nullable=True),
        _s("sha256", 64, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assist_forms_call_id", "assist_forms", ["call_id"])
    op.create_index("ix_assist_forms_created_at", "assist_forms", ["created_at"])


def downgrade() -> None:
    for table in ("assist_forms", "assist_consents"):
        op.drop_table(table)
