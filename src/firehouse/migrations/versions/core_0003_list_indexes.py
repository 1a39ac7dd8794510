"""core: list indexes on (type_id, declared_at, id) and (team_id, declared_at, id)

A list filtered by type or team walks these newest first and stops at the page's last row,
instead of sorting every incident of that type or team.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-23 14:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain index statements: a batch (table copy) on SQLite would drop the FTS triggers
    op.drop_index("ix_incidents_type_id", table_name="incidents")
    op.drop_index("ix_incidents_team_id", table_name="incidents")
    op.create_index("ix_incidents_type_declared", "incidents", ["type_id", "declared_at", "id"])
    op.create_index("ix_incidents_team_declared", "incidents", ["team_id", "declared_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_incidents_team_declared", table_name="incidents")
    op.drop_index("ix_incidents_type_declared", table_name="incidents")
    op.create_index("ix_incidents_team_id", "incidents", ["team_id"])
    op.create_index("ix_incidents_type_id", "incidents", ["type_id"])
