"""Request and response models for the incident API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl

from firehouse.incidents.models import IncidentRole, Kind, Status


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone, e.g. 2026-03-01T09:30:00Z")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Links(Strict):
    dashboard: HttpUrl | None = None
    chat: HttpUrl | None = None
    bridge: HttpUrl | None = None
    runbook: HttpUrl | None = None


class Impact(Strict):
    customer_facing: bool = False
    users_affected: int | None = Field(default=None, ge=0)
    business_functions: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )


class IncidentCreate(Strict):
    title: str = Field(min_length=1, max_length=300)
    severity: str = Field(min_length=1, max_length=16, examples=["SEV2"])
    type: str = Field(default="operational", max_length=32)
    summary: str = Field(default="", max_length=20_000)
    kind: Kind = Kind.real
    team: str | None = Field(default=None, max_length=64)
    services: list[str] = Field(default_factory=list, max_length=100)
    impact: Impact = Field(default_factory=Impact)
    links: Links = Field(default_factory=Links)
    detected_at: AwareDatetime | None = None
    incident_manager: str | None = Field(
        default=None, description="Handle of the incident manager; the declarer when omitted."
    )


class IncidentUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    summary: str | None = Field(default=None, max_length=20_000)
    severity: str | None = None
    type: str | None = None
    kind: Kind | None = None
    team: str | None = None
    services: list[str] | None = Field(default=None, max_length=100)
    impact: Impact | None = None
    links: Links | None = None


class MilestonesUpdate(Strict):
    detected_at: AwareDatetime | None = None
    declared_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    mitigated_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None


class ActionBody(Strict):
    reason: str = Field(default="", max_length=5000)


class MergeBody(Strict):
    into: str = Field(min_length=1, description="The incident that survives, e.g. INC-12.")
    reason: str = Field(default="", max_length=5000)


class NoteCreate(Strict):
    body: str = Field(min_length=1, max_length=100_000, description="Markdown.")
    occurred_at: AwareDatetime | None = Field(default=None, description="Backdate the note.")
    pinned: bool = False


class EntryUpdate(Strict):
    pinned: bool


class RoleAssign(Strict):
    user: str = Field(min_length=1, description="Handle of the person taking the role.")


class ParticipantAdd(Strict):
    user: str = Field(min_length=1)


class ChecklistCheckBody(Strict):
    note: str = Field(default="", max_length=2000)


class PersonRef(BaseModel):
    id: int
    handle: str
    name: str


class SeverityRef(BaseModel):
    key: str
    name: str
    rank: int
    color: str


class TypeRef(BaseModel):
    key: str
    name: str
    restricted: bool


class RoleHolder(BaseModel):
    role: IncidentRole
    user: PersonRef
    since: datetime


class Milestones(BaseModel):
    detected_at: datetime | None
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    canceled_at: datetime | None


class ImpactRead(BaseModel):
    customer_facing: bool
    users_affected: int | None
    business_functions: list[str]


class IncidentRead(BaseModel):
    id: int
    number: int
    reference: str
    title: str
    summary: str
    status: Status
    kind: Kind
    severity: SeverityRef
    type: TypeRef
    team: str | None
    services: list[str]
    impact: ImpactRead
    links: dict[str, str]
    milestones: Milestones
    merged_into: str | None
    roles: list[RoleHolder]
    allowed_actions: list[str]
    created_at: datetime
    updated_at: datetime


class IncidentPage(BaseModel):
    items: list[IncidentRead]
    next_cursor: str | None
    total: int | None = None


class TimelineEntryRead(BaseModel):
    id: int
    incident: str
    kind: str
    body: str
    html: str
    data: dict[str, object]
    occurred_at: datetime
    recorded_at: datetime
    author: PersonRef | None
    pinned: bool


class RoleStint(BaseModel):
    role: IncidentRole
    user: PersonRef
    started_at: datetime
    ended_at: datetime | None
    assigned_by: str | None


class RolesRead(BaseModel):
    current: list[RoleHolder]
    history: list[RoleStint]


class ParticipantRead(BaseModel):
    user: PersonRef
    joined_at: datetime
    left_at: datetime | None


class ChecklistItemRead(BaseModel):
    key: str
    label: str
    checked: bool
    checked_by: str | None
    checked_at: datetime | None
    note: str
    automatic: bool


class ChecklistRead(BaseModel):
    complete: bool
    items: list[ChecklistItemRead]


class SeverityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    rank: int
    description: str
    ack_within_minutes: int
    update_every_minutes: int
    postmortem_required: bool
    postmortem_due_days: int
    closure_checklist: list[dict[str, str]]
    color: str


class ChecklistSpec(Strict):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1, max_length=300)


class SeverityCreate(Strict):
    key: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=64)
    rank: int = Field(ge=1, le=100)
    description: str = ""
    ack_within_minutes: int = Field(ge=1)
    update_every_minutes: int = Field(ge=1)
    postmortem_required: bool
    postmortem_due_days: int = Field(default=7, ge=1, le=365)
    closure_checklist: list[ChecklistSpec] | None = None
    color: str = Field(default="#888888", pattern=r"^#[0-9a-fA-F]{6}$")


class SeverityUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = None
    ack_within_minutes: int | None = Field(default=None, ge=1)
    update_every_minutes: int | None = Field(default=None, ge=1)
    postmortem_required: bool | None = None
    postmortem_due_days: int | None = Field(default=None, ge=1, le=365)
    closure_checklist: list[ChecklistSpec] | None = None
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class IncidentTypeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    description: str
    restricted: bool
