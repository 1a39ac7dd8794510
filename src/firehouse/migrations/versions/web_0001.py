"""web: failed login attempts (rate limits)

Revision ID: web_0001
Revises: 0001
Create Date: 2026-11-23 07:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firehouse.db

revision = "web_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_login_failures")),
    )
    with op.batch_alter_table("web_login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_web_login_failures_key_at", ["key", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_web_login_failures_key_at")
    op.drop_table("web_login_failures")
