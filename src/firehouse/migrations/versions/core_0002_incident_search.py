"""core: full-text index over incident titles and summaries (the list's `q` filter)

Revision ID: core_0002
Revises: 0001
Create Date: 2026-11-23 09:10:00.000000
"""

from __future__ import annotations

from alembic import op

from firehouse.fulltext import fts5_drop, fts5_external_content, run_sql
from firehouse.incidents.search import PG_INDEX, PG_VECTOR, SQLITE_TABLE

revision = "core_0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        run_sql(fts5_external_content(SQLITE_TABLE, "incidents", "id", ["title", "summary"]))
    else:
        run_sql([f"CREATE INDEX {PG_INDEX} ON incidents USING gin ({PG_VECTOR})"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        run_sql(fts5_drop(SQLITE_TABLE))
    else:
        run_sql([f"DROP INDEX IF EXISTS {PG_INDEX}"])
