from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firehouse.db import Base, UTCDateTime


class Status(enum.StrEnum):
    triggered = "triggered"
    acknowledged = "acknowledged"
    mitigated = "mitigated"
    resolved = "resolved"
    closed = "closed"
    canceled = "canceled"
    merged = "merged"


OPEN_STATUSES = (Status.triggered, Status.acknowledged, Status.mitigated)
TERMINAL_STATUSES = (Status.closed, Status.canceled, Status.merged)


class Kind(enum.StrEnum):
    real = "real"
    drill = "drill"


class IncidentRole(enum.StrEnum):
    incident_manager = "incident_manager"
    communications_lead = "communications_lead"
    technical_lead = "technical_lead"
    scribe = "scribe"
    retrospective_leader = "retrospective_leader"
    on_call_engineer = "on_call_engineer"


class Severity(Base):
    __tablename__ = "severities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    ack_within_minutes: Mapped[int] = mapped_column(Integer)
    update_every_minutes: Mapped[int] = mapped_column(Integer)
    postmortem_required: Mapped[bool] = mapped_column(Boolean)
    postmortem_due_days: Mapped[int] = mapped_column(Integer, default=7)
    # [{"key": "...", "label": "..."}]; the key `postmortem_owner` is checked automatically
    closure_checklist: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    color: Mapped[str] = mapped_column(String(16), default="#888888")


class IncidentType(Base):
    __tablename__ = "incident_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    default_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )


class Counter(Base):
    """Named sequences (incident numbers) that stay gap-free and safe across instances."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


_RESTRICTED: dict[str, Any] = {
    "postgresql_where": text("restricted = true"),
    "sqlite_where": text("restricted = 1"),
}


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_declared", "status", "declared_at"),
        Index("ix_incidents_severity_declared", "severity_id", "declared_at"),
        Index("ix_incidents_declared", "declared_at", "id"),
        Index("ix_incidents_updated", "updated_at", "id"),
        Index("ix_incidents_type_declared", "type_id", "declared_at", "id"),
        Index("ix_incidents_team_declared", "team_id", "declared_at", "id"),
        # a list of restricted types reads unrestricted and restricted incidents apart
        # (migrations core_0004, core_0005)
        Index(
            "ix_incidents_unrestricted_type",
            "type_id",
            "declared_at",
            "id",
            postgresql_where=text("restricted = false"),
            sqlite_where=text("restricted = 0"),
        ),
        Index("ix_incidents_restricted_declared", "declared_at", "id", **_RESTRICTED),
        Index("ix_incidents_restricted_updated", "updated_at", "id", **_RESTRICTED),
        Index("ix_incidents_restricted_number", "number", **_RESTRICTED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    type_id: Mapped[int] = mapped_column(ForeignKey("incident_types.id"))
    severity_id: Mapped[int] = mapped_column(ForeignKey("severities.id"))
    status: Mapped[Status] = mapped_column(Enum(Status, native_enum=False, length=16))
    kind: Mapped[Kind] = mapped_column(Enum(Kind, native_enum=False, length=16), default=Kind.real)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_facing: Mapped[bool] = mapped_column(Boolean, default=False)
    users_affected: Mapped[int | None] = mapped_column(Integer, default=None)
    business_functions: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    severity: Mapped[Severity] = relationship(lazy="joined", innerjoin=True)
    type: Mapped[IncidentType] = relationship(lazy="joined", innerjoin=True)

    @property
    def reference(self) -> str:
        return f"INC-{self.number}"


class IncidentService(Base):
    __tablename__ = "incident_services"
    __table_args__ = (UniqueConstraint("incident_id", "service_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )


class RoleAssignment(Base):
    """Who held a role on an incident, from when to when (ended_at NULL: holds it now)."""

    __tablename__ = "incident_role_assignments"
    __table_args__ = (Index("ix_role_assignments_incident_role", "incident_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[IncidentRole] = mapped_column(Enum(IncidentRole, native_enum=False, length=32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Participation(Base):
    """A stretch of time someone was on the bridge (left_at NULL: still there)."""

    __tablename__ = "incident_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_incident_occurred", "incident_id", "occurred_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)


class ChecklistCheck(Base):
    """A closure checklist item checked by a named person at a time."""

    __tablename__ = "incident_checklist_checks"
    __table_args__ = (UniqueConstraint("incident_id", "item_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(64))
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
