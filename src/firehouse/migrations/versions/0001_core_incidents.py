"""core: incidents, their roles, participants, checklist, services and timeline

Revision ID: 0001
Revises: 0000
Create Date: 2026-11-22 13:41:46.617009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firehouse.db

revision = "0001"
down_revision = "0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("severity_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "triggered",
                "acknowledged",
                "mitigated",
                "resolved",
                "closed",
                "canceled",
                "merged",
                name="status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum("real", "drill", name="kind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("customer_facing", sa.Boolean(), nullable=False),
        sa.Column("users_affected", sa.Integer(), nullable=True),
        sa.Column("business_functions", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("detected_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("declared_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mitigated_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("canceled_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_incidents_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["incidents.id"],
            name=op.f("fk_incidents_merged_into_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["severity_id"], ["severities.id"], name=op.f("fk_incidents_severity_id_severities")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_incidents_team_id_teams"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["type_id"], ["incident_types.id"], name=op.f("fk_incidents_type_id_incident_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_incidents_number")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_declared", ["declared_at", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incidents_merged_into_id"), ["merged_into_id"], unique=False
        )
        batch_op.create_index(
            "ix_incidents_severity_declared", ["severity_id", "declared_at"], unique=False
        )
        batch_op.create_index(
            "ix_incidents_status_declared", ["status", "declared_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incidents_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_type_id"), ["type_id"], unique=False)
        batch_op.create_index("ix_incidents_updated", ["updated_at", "id"], unique=False)

    op.create_table(
        "incident_checklist_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_incident_checklist_checks_checked_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_checklist_checks_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_checklist_checks")),
        sa.UniqueConstraint(
            "incident_id", "item_key", name=op.f("uq_incident_checklist_checks_incident_id")
        ),
    )
    op.create_table(
        "incident_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_participants_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_incident_participants_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_participants")),
    )
    with op.batch_alter_table("incident_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_participants_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_participants_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "incident_role_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "incident_manager",
                "communications_lead",
                "technical_lead",
                "scribe",
                "retrospective_leader",
                "on_call_engineer",
                name="incidentrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_incident_role_assignments_assigned_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_role_assignments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_incident_role_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_role_assignments")),
    )
    with op.batch_alter_table("incident_role_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_role_assignments_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            "ix_role_assignments_incident_role", ["incident_id", "role"], unique=False
        )

    op.create_table(
        "incident_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_services_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_incident_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_services")),
        sa.UniqueConstraint(
            "incident_id", "service_id", name=op.f("uq_incident_services_incident_id")
        ),
    )
    with op.batch_alter_table("incident_services", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_services_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_services_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_timeline_entries_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_timeline_entries_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_entries")),
    )
    with op.batch_alter_table("timeline_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timeline_incident_occurred", ["incident_id", "occurred_at", "id"], unique=False
        )

    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    op.execute("INSERT INTO counters (name, value) VALUES ('incident', 0)")


def downgrade() -> None:
    with op.batch_alter_table("timeline_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_incident_occurred")

    op.drop_table("timeline_entries")
    with op.batch_alter_table("incident_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_services_service_id"))
        batch_op.drop_index(batch_op.f("ix_incident_services_incident_id"))

    op.drop_table("incident_services")
    with op.batch_alter_table("incident_role_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_role_assignments_incident_role")
        batch_op.drop_index(batch_op.f("ix_incident_role_assignments_user_id"))

    op.drop_table("incident_role_assignments")
    with op.batch_alter_table("incident_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_participants_user_id"))
        batch_op.drop_index(batch_op.f("ix_incident_participants_incident_id"))

    op.drop_table("incident_participants")
    op.drop_table("incident_checklist_checks")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_updated")
        batch_op.drop_index(batch_op.f("ix_incidents_type_id"))
        batch_op.drop_index(batch_op.f("ix_incidents_team_id"))
        batch_op.drop_index("ix_incidents_status_declared")
        batch_op.drop_index("ix_incidents_severity_declared")
        batch_op.drop_index(batch_op.f("ix_incidents_merged_into_id"))
        batch_op.drop_index("ix_incidents_declared")

    op.drop_table("incidents")
