"""core: restricted incidents by updated_at and by number, as core_0004 made by declared_at

The list's read of the restricted incidents a caller may see (a filter of restricted types)
walks only restricted incidents in every list order: by (declared_at, id) (core_0004), by
(updated_at, id) and by number. Over all incidents, PostgreSQL walked every one of them for a
caller who may see none (`type=security&sort=-updated_at`: 65 ms at 100,000 incidents; 11 ms
over the restricted ones).

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-04 19:40:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None

RESTRICTED: dict[str, Any] = {
    "postgresql_where": sa.text("restricted = true"),
    "sqlite_where": sa.text("restricted = 1"),
}


def upgrade() -> None:
    # plain index statements: a batch (table copy) on SQLite would drop the FTS triggers
    op.create_index(
        "ix_incidents_restricted_updated", "incidents", ["updated_at", "id"], **RESTRICTED
    )
    op.create_index("ix_incidents_restricted_number", "incidents", ["number"], **RESTRICTED)


def downgrade() -> None:
    op.drop_index("ix_incidents_restricted_number", table_name="incidents")
    op.drop_index("ix_incidents_restricted_updated", table_name="incidents")
