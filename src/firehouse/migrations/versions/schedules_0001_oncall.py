"""schedules: schedules, layers, rotation members, overrides, on-call history, calendar feeds

Revision ID: schedules_0001
Revises: 0001
Create Date: 2026-11-23 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firehouse.db

revision = "schedules_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_check_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_until", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_schedules_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_schedules_name")),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedules_next_check_at"), ["next_check_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_schedules_team_id"), ["team_id"], unique=False)

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_calendar_feeds_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feeds_schedule_id"), ["schedule_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calendar_feeds_user_id"), ["user_id"], unique=False)

    op.create_table(
        "oncall_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_oncall_history_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_history")),
    )
    with op.batch_alter_table("oncall_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_history_schedule_id"), ["schedule_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oncall_history_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_oncall_history_user_id"), ["user_id"], unique=False)

    op.create_table(
        "schedule_layers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shift_length", sa.Integer(), nullable=False),
        sa.Column("shift_unit", sa.String(length=8), nullable=False),
        sa.Column("handoff_time", sa.Time(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("restrict_weekdays", sa.JSON(), nullable=True),
        sa.Column("restrict_windows", sa.JSON(), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_layers_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_layers")),
    )
    with op.batch_alter_table("schedule_layers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_layers_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "schedule_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("replaces_user_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_schedule_overrides_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_user_id"],
            ["users.id"],
            name=op.f("fk_schedule_overrides_replaces_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_overrides_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_schedule_overrides_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_overrides")),
    )
    with op.batch_alter_table("schedule_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_overrides_ends_at"), ["ends_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_schedule_overrides_replaces_user_id"), ["replaces_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_schedule_overrides_schedule_id"), ["schedule_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_schedule_overrides_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "schedule_layer_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["schedule_layers.id"],
            name=op.f("fk_schedule_layer_members_layer_id_schedule_layers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_schedule_layer_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_layer_members")),
        sa.UniqueConstraint(
            "layer_id", "slot", "user_id", name=op.f("uq_schedule_layer_members_layer_id")
        ),
    )
    with op.batch_alter_table("schedule_layer_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_layer_members_layer_id"), ["layer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_schedule_layer_members_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("schedule_layer_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_layer_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_schedule_layer_members_layer_id"))

    op.drop_table("schedule_layer_members")
    with op.batch_alter_table("schedule_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_overrides_user_id"))
        batch_op.drop_index(batch_op.f("ix_schedule_overrides_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_schedule_overrides_replaces_user_id"))
        batch_op.drop_index(batch_op.f("ix_schedule_overrides_ends_at"))

    op.drop_table("schedule_overrides")
    with op.batch_alter_table("schedule_layers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_layers_schedule_id"))

    op.drop_table("schedule_layers")
    with op.batch_alter_table("oncall_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_history_user_id"))
        batch_op.drop_index(batch_op.f("ix_oncall_history_started_at"))
        batch_op.drop_index(batch_op.f("ix_oncall_history_schedule_id"))

    op.drop_table("oncall_history")
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_user_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_schedule_id"))

    op.drop_table("calendar_feeds")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedules_team_id"))
        batch_op.drop_index(batch_op.f("ix_schedules_next_check_at"))

    op.drop_table("schedules")
