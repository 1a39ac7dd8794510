"""status page: each component's closed days of uptime history, stored once

Revision ID: status_0002
Revises: status_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "status_0002"
down_revision = "status_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_component_uptime",
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("through_weight", sa.Integer(), nullable=True),
        sa.Column("days", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["status_components.id"],
            name=op.f("fk_status_component_uptime_component_id_status_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("component_id", name=op.f("pk_status_component_uptime")),
    )


def downgrade() -> None:
    op.drop_table("status_component_uptime")
