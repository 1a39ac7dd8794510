"""postmortems: documents as sections, reviewers, revisions, retrospectives, action items,
and the full-text search over postmortems and timelines

Revision ID: postmortems_0001
Revises: 0001
Create Date: 2026-11-23 07:35:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firehouse.db

revision = "postmortems_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

# SQLite: one FTS5 table over timeline entries (rowid = 2 * id) and postmortems
# (rowid = 2 * id + 1), kept in sync by triggers.
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "incident_id UNINDEXED, source UNINDEXED, body, tokenize = 'porter unicode61')",
    "CREATE TRIGGER search_fts_tl_ai AFTER INSERT ON timeline_entries BEGIN "
    "INSERT INTO search_fts(rowid, incident_id, source, body) "
    "VALUES (new.id * 2, new.incident_id, 'timeline', new.body); END",
    "CREATE TRIGGER search_fts_tl_au AFTER UPDATE OF body, incident_id ON timeline_entries BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.id * 2; "
    "INSERT INTO search_fts(rowid, incident_id, source, body) "
    "VALUES (new.id * 2, new.incident_id, 'timeline', new.body); END",
    "CREATE TRIGGER search_fts_tl_ad AFTER DELETE ON timeline_entries BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.id * 2; END",
    "CREATE TRIGGER search_fts_pm_ai AFTER INSERT ON postmortems BEGIN "
    "INSERT INTO search_fts(rowid, incident_id, source, body) "
    "VALUES (new.id * 2 + 1, new.incident_id, 'postmortem', new.search_text); END",
    "CREATE TRIGGER search_fts_pm_au AFTER UPDATE OF search_text ON postmortems BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.id * 2 + 1; "
    "INSERT INTO search_fts(rowid, incident_id, source, body) "
    "VALUES (new.id * 2 + 1, new.incident_id, 'postmortem', new.search_text); END",
    "CREATE TRIGGER search_fts_pm_ad AFTER DELETE ON postmortems BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.id * 2 + 1; END",
    "INSERT INTO search_fts(rowid, incident_id, source, body) "
    "SELECT id * 2, incident_id, 'timeline', body FROM timeline_entries",
]
SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS search_fts_tl_ai",
    "DROP TRIGGER IF EXISTS search_fts_tl_au",
    "DROP TRIGGER IF EXISTS search_fts_tl_ad",
    "DROP TRIGGER IF EXISTS search_fts_pm_ai",
    "DROP TRIGGER IF EXISTS search_fts_pm_au",
    "DROP TRIGGER IF EXISTS search_fts_pm_ad",
    "DROP TABLE IF EXISTS search_fts",
]
# PostgreSQL: a stored tsvector of each postmortem (long texts: computing it per query is too
# slow) and an expression index over the short timeline entries, both GIN.
POSTGRES_SEARCH = [
    "ALTER TABLE postmortems ADD COLUMN search_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED",
    "CREATE INDEX ix_postmortems_fts ON postmortems USING gin (search_tsv)",
    "CREATE INDEX ix_timeline_entries_fts ON timeline_entries "
    "USING gin (to_tsvector('english', body))",
]
POSTGRES_SEARCH_DROP = [
    "DROP INDEX IF EXISTS ix_timeline_entries_fts",
    "DROP INDEX IF EXISTS ix_postmortems_fts",
    "ALTER TABLE postmortems DROP COLUMN IF EXISTS search_tsv",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "response_plan",
                "observability",
                "workload_remediation",
                "other",
                name="actioncategory",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("due_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "priority",
            sa.Enum("high", "medium", "low", name="priority", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "wont_do",
                name="actionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("tracker_url", sa.String(length=2000), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_reminder_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_action_items_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_action_items_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_action_items_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_action_items_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    op.create_index(
        op.f("ix_action_items_incident_id"), "action_items", ["incident_id"], unique=False
    )
    op.create_index(
        op.f("ix_action_items_next_reminder_at"), "action_items", ["next_reminder_at"], unique=False
    )
    op.create_index(op.f("ix_action_items_owner_id"), "action_items", ["owner_id"], unique=False)
    op.create_index(
        "ix_action_items_status_due", "action_items", ["status", "due_at"], unique=False
    )
    op.create_index(op.f("ix_action_items_team_id"), "action_items", ["team_id"], unique=False)
    op.create_table(
        "postmortems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "in_review",
                "published",
                name="postmortemstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("published_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("customer_text", sa.Text(), nullable=False),
        sa.Column("customer_reviewer_id", sa.Integer(), nullable=True),
        sa.Column("customer_approved_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_reminder_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_reviewer_id"],
            ["users.id"],
            name=op.f("fk_postmortems_customer_reviewer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_postmortems_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_postmortems_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortems")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_postmortems_incident_id")),
    )
    op.create_index(
        op.f("ix_postmortems_next_reminder_at"), "postmortems", ["next_reminder_at"], unique=False
    )
    op.create_index(op.f("ix_postmortems_due_at"), "postmortems", ["due_at"], unique=False)
    op.create_index(op.f("ix_postmortems_owner_id"), "postmortems", ["owner_id"], unique=False)
    op.create_table(
        "postmortem_reviewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("approved_revision", sa.Integer(), nullable=True),
        sa.Column("approved_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_reviewers_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_postmortem_reviewers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortem_reviewers")),
        sa.UniqueConstraint(
            "postmortem_id", "user_id", name=op.f("uq_postmortem_reviewers_postmortem_id")
        ),
    )
    op.create_index(
        op.f("ix_postmortem_reviewers_user_id"), "postmortem_reviewers", ["user_id"], unique=False
    )
    op.create_table(
        "postmortem_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.JSON(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_revisions_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_postmortem_revisions_published_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortem_revisions")),
        sa.UniqueConstraint(
            "postmortem_id", "number", name=op.f("uq_postmortem_revisions_postmortem_id")
        ),
    )
    op.create_table(
        "postmortem_sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("prefilled", sa.Boolean(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("generated", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_sections_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_postmortem_sections_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortem_sections")),
        sa.UniqueConstraint(
            "postmortem_id", "key", name=op.f("uq_postmortem_sections_postmortem_id")
        ),
    )
    op.create_table(
        "retrospectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("held_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attendee_ids", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facilitator_id"], ["users.id"], name=op.f("fk_retrospectives_facilitator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_retrospectives_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrospectives")),
        sa.UniqueConstraint("postmortem_id", name=op.f("uq_retrospectives_postmortem_id")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_SEARCH)
    elif dialect == "postgresql":
        _run(POSTGRES_SEARCH)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_SEARCH_DROP)
    elif dialect == "postgresql":
        _run(POSTGRES_SEARCH_DROP)
    op.drop_table("retrospectives")
    op.drop_table("postmortem_sections")
    op.drop_table("postmortem_revisions")
    op.drop_index(op.f("ix_postmortem_reviewers_user_id"), table_name="postmortem_reviewers")
    op.drop_table("postmortem_reviewers")
    op.drop_index(op.f("ix_postmortems_owner_id"), table_name="postmortems")
    op.drop_index(op.f("ix_postmortems_due_at"), table_name="postmortems")
    op.drop_index(op.f("ix_postmortems_next_reminder_at"), table_name="postmortems")
    op.drop_table("postmortems")
    op.drop_index(op.f("ix_action_items_team_id"), table_name="action_items")
    op.drop_index("ix_action_items_status_due", table_name="action_items")
    op.drop_index(op.f("ix_action_items_owner_id"), table_name="action_items")
    op.drop_index(op.f("ix_action_items_next_reminder_at"), table_name="action_items")
    op.drop_index(op.f("ix_action_items_incident_id"), table_name="action_items")
    op.drop_table("action_items")
