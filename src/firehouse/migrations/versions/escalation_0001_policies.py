"""escalation: policies, steps, targets, running escalations; services.escalation_policy_id

Revision ID: escalation_0001
Revises: notify_0001
Create Date: 2026-11-23 07:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firehouse.db

revision = "escalation_0001"
down_revision = "notify_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalation_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("team_default", sa.Boolean(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("reescalate_after_minutes", sa.Integer(), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_escalation_policies_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_escalation_policies_name")),
    )
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_policies_team_id"), ["team_id"], unique=False
        )

    op.create_table(
        "escalation_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["escalation_policies.id"],
            name=op.f("fk_escalation_steps_policy_id_escalation_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_steps")),
        sa.UniqueConstraint("policy_id", "position", name=op.f("uq_escalation_steps_policy_id")),
    )
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_steps_policy_id"), ["policy_id"], unique=False
        )

    op.create_table(
        "escalation_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "user",
                "schedule",
                "team",
                "policy",
                name="targetkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("target_policy_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["escalation_steps.id"],
            name=op.f("fk_escalation_targets_step_id_escalation_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_policy_id"],
            ["escalation_policies.id"],
            name=op.f("fk_escalation_targets_target_policy_id_escalation_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_escalation_targets_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_escalation_targets_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_targets")),
    )
    with op.batch_alter_table("escalation_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_targets_schedule_id"), ["schedule_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escalation_targets_step_id"), ["step_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escalation_targets_target_policy_id"), ["target_policy_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escalation_targets_team_id"), ["team_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escalation_targets_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("policy_name", sa.String(length=200), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "paging",
                "acknowledged",
                "done",
                name="escalationstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reescalations", sa.Integer(), nullable=False),
        sa.Column("reescalating", sa.Boolean(), nullable=False),
        sa.Column("next_action_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_escalations_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["escalation_policies.id"],
            name=op.f("fk_escalations_policy_id_escalation_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_escalations_started_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_due", ["state", "next_action_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_escalations_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_escalations_policy_id"), ["policy_id"], unique=False)

    # services.escalation_policy_id: a plain ADD COLUMN on SQLite too (a batch copy of
    # `services` would drop the table that incident_services references)
    fk = "fk_services_escalation_policy_id_escalation_policies"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE services ADD COLUMN escalation_policy_id INTEGER "
            f"CONSTRAINT {fk} REFERENCES escalation_policies (id)"
        )
    else:
        op.add_column("services", sa.Column("escalation_policy_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            fk, "services", "escalation_policies", ["escalation_policy_id"], ["id"]
        )
    op.create_index(
        "ix_services_escalation_policy_id", "services", ["escalation_policy_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_services_escalation_policy_id", table_name="services")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("services", schema=None) as batch_op:
            batch_op.drop_column("escalation_policy_id")
    else:
        op.drop_constraint(
            "fk_services_escalation_policy_id_escalation_policies", "services", type_="foreignkey"
        )
        op.drop_column("services", "escalation_policy_id")
    op.drop_table("escalations")
    op.drop_table("escalation_targets")
    op.drop_table("escalation_steps")
    op.drop_table("escalation_policies")
