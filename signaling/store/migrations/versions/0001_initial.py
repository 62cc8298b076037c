"""Initial schema: users, sessions, booths, catalog, tickets, calls, ratings,
audit log and meta.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("ticket_prefix", sa.String(1), nullable=False, unique=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("department_id", sa.String(64), sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_services_department_id", "services", ["department_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _ts("created_at"),
    )
    op.create_table(
        "user_skills",
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "department_id",
            sa.String(64),
            sa.ForeignKey("departments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "session_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        _ts("created_at"),
        _ts("expires_at"),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_session_tokens_user_id", "session_tokens", ["user_id"])
    op.create_table(
        "booths",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(32), nullable=False),
        sa.Column("region_name", sa.String(200), nullable=True),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        _ts("enrolled_at", nullable=True),
        sa.Column("device_info", sa.JSON(), nullable=True),
        _ts("last_seen_at", nullable=True),
    )
    op.create_table(
        "enrollment_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "booth_id",
            sa.String(64),
            sa.ForeignKey("booths.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("used_at", nullable=True),
    )
    op.create_index("ix_enrollment_codes_booth_id", "enrollment_codes", ["booth_id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("department_id", sa.String(64), sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("service_id", sa.String(64), sa.ForeignKey("services.id"), nullable=False),
        sa.Column("booth_id", sa.String(64), sa.ForeignKey("booths.id"), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("enqueued_at"),
        sa.Column("offered_count", sa.Integer(), nullable=False),
        _ts("called_at", nullable=True),
        _ts("ended_at", nullable=True),
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("end_reason", sa.String(200), nullable=True),
    )
    op.create_index("ix_tickets_state", "tickets", ["state"])
    op.create_index("ix_tickets_booth_id", "tickets", ["booth_id"])
    op.create_table(
        "ticket_counters",
        sa.Column(
            "department_id", sa.String(64), sa.ForeignKey("departments.id"), primary_key=True
        ),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("ticket_id", sa.String(64), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("booth_id", sa.String(64), sa.ForeignKey("booths.id"), nullable=False),
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
        _ts("started_at"),
        _ts("ended_at", nullable=True),
        sa.Column("end_reason", sa.String(200), nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
    )
    op.create_index("ix_calls_ticket_id", "calls", ["ticket_id"])
    op.create_index("ix_calls_agent_id", "calls", ["agent_id"])
    op.create_index("ix_calls_ended_at", "calls", ["ended_at"])
    op.create_table(
        "ratings",
        sa.Column("call_id", sa.String(64), sa.ForeignKey("calls.id"), primary_key=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="ck_ratings_level"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        _ts("at"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sqlite_autoincrement=True,
    )
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.bulk_insert(meta, [{"key": "revision", "value": "0"}])


def downgrade() -> None:
    for table in (
        "meta",
        "audit_log",
        "ratings",
        "calls",
        "ticket_counters",
        "tickets",
        "enrollment_codes",
        "booths",
        "session_tokens",
        "user_skills",
        "users",
        "services",
        "departments",
    ):
        op.drop_table(table)
