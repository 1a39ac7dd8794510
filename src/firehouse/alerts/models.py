"""Integrations, alerts and their history, routing rules, silences, maintenance windows,
heartbeats and change events."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from firehouse.db import Base, UTCDateTime


class IntegrationType(enum.StrEnum):
    alertmanager = "alertmanager"
    pagerduty = "pagerduty"
    opsgenie = "opsgenie"
    grafana = "grafana"
    generic = "generic"


class AlertStatus(enum.StrEnum):
    triggered = "triggered"
    acknowledged = "acknowledged"
    resolved = "resolved"
    suppressed = "suppressed"


class RuleAction(enum.StrEnum):
    page = "page"
    record = "record"
    suppress = "suppress"


class Integration(Base):
    """A door for alerts: one secret key, owned by a team or a service."""

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[IntegrationType] = mapped_column(
        Enum(IntegrationType, native_enum=False, length=16)
    )
    # SHA-256 of the key: the key itself is shown once and never stored
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None, index=True
    )
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), default=None, index=True
    )
    # sender severity (critical, P1, warning, ...) -> firehouse severity key (SEV1, ...)
    severity_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    default_severity: Mapped[str] = mapped_column(String(16), default="SEV3")
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer, default=None)
    storm_threshold: Mapped[int | None] = mapped_column(Integer, default=None)
    # the open "alert storm" incident holding pages, until a person releases it
    storm_incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # never two open alerts with one fingerprint in an integration, across instances
        Index(
            "uq_alerts_open_fingerprint",
            "integration_id",
            "fingerprint",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_alerts_integration_first_seen", "integration_id", "first_seen_at"),
        Index("ix_alerts_status_last_seen", "status", "last_seen_at"),
        Index("ix_alerts_group_key", "group_key", "first_seen_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(255))
    status: Mapped[AlertStatus] = mapped_column(Enum(AlertStatus, native_enum=False, length=16))
    summary: Mapped[str] = mapped_column(String(1024), default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    severity: Mapped[str] = mapped_column(String(16))
    sender_severity: Mapped[str] = mapped_column(String(32), default="")
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    raw: Mapped[Any] = mapped_column(JSON, default=None, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    group_key: Mapped[str] = mapped_column(String(255), default="")
    sender_group_key: Mapped[str] = mapped_column(String(255), default="")
    generator_url: Mapped[str] = mapped_column(String(1024), default="")
    action: Mapped[RuleAction] = mapped_column(
        Enum(RuleAction, native_enum=False, length=16), default=RuleAction.page
    )
    suppressed_by: Mapped[str] = mapped_column(String(100), default="")
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), default=None
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None, index=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_rules.id", ondelete="SET NULL"), default=None
    )
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AlertEvent(Base):
    """An alert's own history: triggered, acknowledged, resolved, suppressed, joined, ..."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_alert_at", "alert_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RoutingRule(Base):
    """Ordered: the first enabled rule whose matchers all match decides."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(100))
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), default=None
    )
    matchers: Mapped[list[str]] = mapped_column(JSON, default=list)
    set_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    set_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), default=None
    )
    set_severity: Mapped[str | None] = mapped_column(String(16), default=None)
    set_incident_type: Mapped[str | None] = mapped_column(String(32), default=None)
    action: Mapped[RuleAction] = mapped_column(Enum(RuleAction, native_enum=False, length=16))
    # validated by the escalation domain; no foreign key so the domains stay independent
    escalation_policy_id: Mapped[int | None] = mapped_column(Integer, default=None)
    group_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    group_window_minutes: Mapped[int] = mapped_column(Integer, default=60)
    resolve_incident_when_alerts_resolve: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Silence(Base):
    """The same fields as an Alertmanager silence."""

    __tablename__ = "silences"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # [{"name", "value", "isRegex", "isEqual"}]
    matchers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MaintenanceWindow(Base):
    """While it lasts, alerts of the service are recorded and nobody is paged."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Heartbeat(Base):
    """Expects a ping every `interval_minutes`; a missed one raises an alert."""

    __tablename__ = "heartbeats"
    __table_args__ = (
        Index("uq_heartbeats_integration_name", "integration_id", "name", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    interval_minutes: Mapped[int] = mapped_column(Integer)
    last_ping_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChangeEvent(Base):
    """A deploy or a change, to correlate with incidents on the same service."""

    __tablename__ = "change_events"
    __table_args__ = (Index("ix_change_events_service_at", "service_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), default=None
    )
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), default=None
    )
    service_name: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(1024))
    version: Mapped[str] = mapped_column(String(200), default="")
    who: Mapped[str] = mapped_column(String(200), default="")
    link: Mapped[str] = mapped_column(String(1024), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
