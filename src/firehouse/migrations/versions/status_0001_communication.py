"""communication: status page (components, public incidents, maintenance, subscribers) and
stakeholder updates (lists, updates, cadence, follows)

Revision ID: status_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firehouse.db

revision = "status_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_broadcasts()
    op.create_table(
        "follow_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_cursor")),
    )
    op.create_table(
        "stakeholder_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholder_lists")),
        sa.UniqueConstraint("slug", name=op.f("uq_stakeholder_lists_slug")),
    )
    op.create_table(
        "status_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_status_groups_name")),
    )
    op.create_table(
        "status_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("about", sa.Text(), nullable=False),
        sa.Column("logo_url", sa.String(length=500), nullable=False),
        sa.Column("logo_data", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=64), nullable=False),
        sa.Column("color_accent", sa.String(length=16), nullable=False),
        sa.Column("color_background", sa.String(length=16), nullable=False),
        sa.Column("color_text", sa.String(length=16), nullable=False),
        sa.Column("footer_links", sa.JSON(), nullable=False),
        sa.Column("signing_key", sa.String(length=128), nullable=False),
        sa.Column("changed_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("export_due_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("exported_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page")),
    )
    op.create_table(
        "status_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("email", "webhook", name="subscriberkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "active",
                "unsubscribed",
                name="subscriberstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("component_ids", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirm_sent_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirm_sends", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_subscribers")),
        sa.UniqueConstraint("kind", "target", name=op.f("uq_status_subscribers_kind")),
    )
    op.create_index(
        op.f("ix_status_subscribers_state"), "status_subscribers", ["state"], unique=False
    )
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "target_type",
            sa.Enum(
                "incident", "service", "team", name="followtarget", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("user_id", "target_type", "target_id", name=op.f("uq_follows_user_id")),
    )
    op.create_index(op.f("ix_follows_user_id"), "follows", ["user_id"], unique=False)
    op.create_table(
        "status_maintenances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "in_progress",
                "completed",
                "canceled",
                name="maintenancestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("component_ids", sa.JSON(), nullable=False),
        sa.Column("starts_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("remind_minutes", sa.Integer(), nullable=False),
        sa.Column("next_action_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_status_maintenances_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_maintenances")),
    )
    op.create_index(
        op.f("ix_status_maintenances_next_action_at"),
        "status_maintenances",
        ["next_action_at"],
        unique=False,
    )
    op.create_index(
        "ix_status_maintenances_starts", "status_maintenances", ["starts_at", "id"], unique=False
    )
    op.create_table(
        "status_components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "operational",
                "degraded_performance",
                "partial_outage",
                "major_outage",
                "under_maintenance",
                name="componentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["status_groups.id"],
            name=op.f("fk_status_components_group_id_status_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_status_components_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_components")),
        sa.UniqueConstraint("name", name=op.f("uq_status_components_name")),
    )
    op.create_index(
        op.f("ix_status_components_group_id"), "status_components", ["group_id"], unique=False
    )
    op.create_index(
        op.f("ix_status_components_service_id"), "status_components", ["service_id"], unique=False
    )
    op.create_table(
        "stakeholder_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audiences", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("next_update_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_stakeholder_updates_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_stakeholder_updates_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholder_updates")),
    )
    op.create_index(
        "ix_stakeholder_updates_incident_at",
        "stakeholder_updates",
        ["incident_id", "sent_at"],
        unique=False,
    )
    op.create_table(
        "status_component_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "operational",
                "degraded_performance",
                "partial_outage",
                "major_outage",
                "under_maintenance",
                name="componentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("started_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["status_components.id"],
            name=op.f("fk_status_component_changes_component_id_status_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_component_changes")),
    )
    op.create_index(
        "ix_status_changes_component_at",
        "status_component_changes",
        ["component_id", "started_at"],
        unique=False,
    )
    op.create_table(
        "status_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "investigating",
                "identified",
                "monitoring",
                "resolved",
                name="publicstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("component_ids", sa.JSON(), nullable=False),
        sa.Column("started_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_status_incidents_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_status_incidents_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_incidents")),
    )
    op.create_index(
        op.f("ix_status_incidents_incident_id"), "status_incidents", ["incident_id"], unique=False
    )
    op.create_index(
        "ix_status_incidents_started", "status_incidents", ["started_at", "id"], unique=False
    )
    op.create_table(
        "update_cadence",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("due_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.Column("next_check_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_update_cadence_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_update_cadence")),
    )
    op.create_index(
        op.f("ix_update_cadence_next_check_at"), "update_cadence", ["next_check_at"], unique=False
    )
    op.create_table(
        "status_incident_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_incident_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "investigating",
                "identified",
                "monitoring",
                "resolved",
                name="publicstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("component_statuses", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_status_incident_updates_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["public_incident_id"],
            ["status_incidents.id"],
            name=op.f("fk_status_incident_updates_public_incident_id_status_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_incident_updates")),
    )
    op.create_index(
        "ix_status_updates_incident_at",
        "status_incident_updates",
        ["public_incident_id", "published_at"],
        unique=False,
    )


def _create_broadcasts() -> None:
    op.create_table(
        "status_broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("component_ids", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("last_subscriber_id", sa.Integer(), nullable=False),
        sa.Column("created_at", firehouse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", firehouse.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_broadcasts")),
        sa.UniqueConstraint("key", name=op.f("uq_status_broadcasts_key")),
    )
    op.create_index(
        op.f("ix_status_broadcasts_done_at"), "status_broadcasts", ["done_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_status_broadcasts_done_at"), table_name="status_broadcasts")
    op.drop_table("status_broadcasts")
    op.drop_index("ix_status_updates_incident_at", table_name="status_incident_updates")
    op.drop_table("status_incident_updates")
    op.drop_index(op.f("ix_update_cadence_next_check_at"), table_name="update_cadence")
    op.drop_table("update_cadence")
    op.drop_index("ix_status_incidents_started", table_name="status_incidents")
    op.drop_index(op.f("ix_status_incidents_incident_id"), table_name="status_incidents")
    op.drop_table("status_incidents")
    op.drop_index("ix_status_changes_component_at", table_name="status_component_changes")
    op.drop_table("status_component_changes")
    op.drop_index("ix_stakeholder_updates_incident_at", table_name="stakeholder_updates")
    op.drop_table("stakeholder_updates")
    op.drop_index(op.f("ix_status_components_service_id"), table_name="status_components")
    op.drop_index(op.f("ix_status_components_group_id"), table_name="status_components")
    op.drop_table("status_components")
    op.drop_index("ix_status_maintenances_starts", table_name="status_maintenances")
    op.drop_index(op.f("ix_status_maintenances_next_action_at"), table_name="status_maintenances")
    op.drop_table("status_maintenances")
    op.drop_index(op.f("ix_follows_user_id"), table_name="follows")
    op.drop_table("follows")
    op.drop_index(op.f("ix_status_subscribers_state"), table_name="status_subscribers")
    op.drop_table("status_subscribers")
    op.drop_table("status_page")
    op.drop_table("status_groups")
    op.drop_table("stakeholder_lists")
    op.drop_table("follow_cursor")
