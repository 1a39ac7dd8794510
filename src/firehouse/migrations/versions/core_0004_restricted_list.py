"""core: list indexes for the restricted-incident rule, and PostgreSQL statistics on it

A list filtered by restricted types only (security) reads the unrestricted incidents and the
restricted ones the caller may see apart (`firehouse.incidents.service.queries._Visible`).
Each read gets a partial index: unrestricted incidents by (type_id, declared_at, id), so that
a type whose incidents are all restricted answers from an empty index range instead of walking
them all, and restricted incidents by (declared_at, id), so that reading those walks only them.
On PostgreSQL, statistics on (type_id, restricted) tell the planner that the two go together.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-04 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None

STATISTICS = "st_incidents_type_restricted"


def upgrade() -> None:
    # plain index statements: a batch (table copy) on SQLite would drop the FTS triggers
    op.create_index(
        "ix_incidents_unrestricted_type",
        "incidents",
        ["type_id", "declared_at", "id"],
        postgresql_where=sa.text("restricted = false"),
        sqlite_where=sa.text("restricted = 0"),
    )
    op.create_index(
        "ix_incidents_restricted_declared",
        "incidents",
        ["declared_at", "id"],
        postgresql_where=sa.text("restricted = true"),
        sqlite_where=sa.text("restricted = 1"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE STATISTICS {STATISTICS} (mcv) ON type_id, restricted FROM incidents")
        # build them now: autovacuum analyzes a large, steady table only after 10% of it changes
        op.execute("ANALYZE incidents")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    op.drop_index("ix_incidents_restricted_declared", table_name="incidents")
    op.drop_index("ix_incidents_unrestricted_type", table_name="incidents")
