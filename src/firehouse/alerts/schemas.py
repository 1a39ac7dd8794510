"""Request and response models of the alerts API (firehouse's own shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IntegrationKind = Literal["alertmanager", "pagerduty", "opsgenie", "grafana", "generic"]


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    type: IntegrationKind
    team: str | None = None
    service: str | None = None
    severity_map: dict[str, str] = Field(default_factory=dict)
    default_severity: str = "SEV3"
    rate_limit_per_minute: int | None = Field(default=None, ge=1)
    storm_threshold: int | None = Field(default=None, ge=1)


class IntegrationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity_map: dict[str, str] | None = None
    default_severity: str | None = None
    rate_limit_per_minute: int | None = Field(default=None, ge=1)
    storm_threshold: int | None = Field(default=None, ge=1)


class IntegrationRead(BaseModel):
    id: int
    name: str
    type: str
    key_hint: str
    team_id: int | None
    service_id: int | None
    severity_map: dict[str, str]
    default_severity: str
    rate_limit_per_minute: int | None
    storm_threshold: int | None
    storm_incident_id: int | None
    created_at: datetime
    revoked_at: datetime | None
    url: str


class IntegrationCreated(IntegrationRead):
    key: str


class AlertRead(BaseModel):
    id: int
    integration_id: int
    fingerprint: str
    status: str
    summary: str
    source: str
    severity: str
    sender_severity: str
    labels: dict[str, str]
    annotations: dict[str, Any]
    links: list[dict[str, str]]
    group_key: str
    action: str
    suppressed_by: str
    incident_id: int | None
    starts_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    repeat_count: int
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class AlertEventRead(BaseModel):
    kind: str
    at: datetime
    actor: str
    data: dict[str, Any]


class AlertDetail(AlertRead):
    raw: Any
    history: list[AlertEventRead]


class RuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    position: int | None = None
    integration_id: int | None = None
    matchers: list[str] | None = None
    team: str | None = None
    service: str | None = None
    severity: str | None = None
    incident_type: str | None = None
    action: Literal["page", "record", "suppress"] | None = None
    escalation_policy_id: int | None = None
    group_by: list[str] | None = None
    group_window_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    resolve_incident_when_alerts_resolve: bool | None = None
    enabled: bool | None = None


class RuleRead(BaseModel):
    id: int
    position: int
    name: str
    integration_id: int | None
    matchers: list[str]
    set_team_id: int | None
    set_service_id: int | None
    set_severity: str | None
    set_incident_type: str | None
    action: str
    escalation_policy_id: int | None
    group_by: list[str]
    group_window_minutes: int
    resolve_incident_when_alerts_resolve: bool
    enabled: bool


class Matcher(BaseModel):
    name: str = Field(min_length=1)
    value: str
    isRegex: bool = False
    isEqual: bool = True


class SilenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matchers: list[Matcher] = Field(min_length=1)
    starts_at: datetime | None = None
    ends_at: datetime
    comment: str = Field(min_length=1, max_length=10_000)
    created_by: str | None = Field(default=None, max_length=100)


class SilenceRead(BaseModel):
    id: str
    matchers: list[dict[str, Any]]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str


class MaintenanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str
    starts_at: datetime | None = None
    ends_at: datetime
    reason: str = Field(default="", max_length=10_000)


class MaintenanceRead(BaseModel):
    id: int
    service_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str


class HeartbeatCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integration_id: int
    name: str = Field(min_length=1, max_length=100)
    interval_minutes: int = Field(ge=1, le=7 * 24 * 60)


class HeartbeatRead(BaseModel):
    id: int
    integration_id: int
    name: str
    interval_minutes: int
    last_ping_at: datetime | None
    next_due_at: datetime
    missed: bool


class ChangeRead(BaseModel):
    id: int
    service_id: int | None
    service_name: str
    summary: str
    version: str
    who: str
    link: str
    description: str
    source: str
    occurred_at: datetime
