"""Request and response models for the status-page management API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from firehouse.incidents.schemas import AwareDatetime
from firehouse.statuspage.models import (
    ComponentStatus,
    MaintenanceStatus,
    PublicStatus,
    SubscriberKind,
    SubscriberState,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class GroupCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    position: int | None = None


class GroupUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    position: int | None = None


class GroupRead(Read):
    id: int
    name: str
    position: int


class ComponentCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    group_id: int | None = None
    position: int | None = None
    status: ComponentStatus = ComponentStatus.operational
    service: str | None = Field(default=None, max_length=64, description="Internal service slug.")


class ComponentUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    group_id: int | None = None
    position: int | None = None
    status: ComponentStatus | None = None
    service: str | None = Field(default=None, max_length=64)


class ComponentRead(Read):
    id: int
    name: str
    description: str
    group_id: int | None
    position: int
    status: ComponentStatus
    service_id: int | None
    updated_at: datetime


ComponentStatuses = Annotated[
    dict[int, ComponentStatus],
    Field(default_factory=dict, description="Component id -> its status now."),
]


class PublicIncidentCreate(Strict):
    title: str = Field(min_length=1, max_length=300)
    status: PublicStatus = PublicStatus.investigating
    body: str = Field(min_length=1, max_length=20_000)
    incident: str | None = Field(default=None, description="The internal incident, INC-42.")
    components: ComponentStatuses
    notify: bool = True


class PublicUpdateCreate(Strict):
    status: PublicStatus
    body: str = Field(min_length=1, max_length=20_000)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    components: ComponentStatuses
    notify: bool = True


class PublicUpdateRead(Read):
    id: int
    status: PublicStatus
    body: str
    component_statuses: dict[str, str]
    author_id: int | None
    published_at: datetime


class PublicIncidentRead(BaseModel):
    id: int
    title: str
    status: PublicStatus
    incident: str | None
    component_ids: list[int]
    started_at: datetime
    resolved_at: datetime | None
    updates: list[PublicUpdateRead]


class MaintenanceCreate(Strict):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20_000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    components: list[int] = Field(default_factory=list, max_length=500)
    remind_minutes: int = Field(default=60, ge=0, le=60 * 24 * 14)
    notify: bool = True


class MaintenanceUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, max_length=20_000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    components: list[int] | None = Field(default=None, max_length=500)
    remind_minutes: int | None = Field(default=None, ge=0, le=60 * 24 * 14)
    status: MaintenanceStatus | None = Field(
        default=None, description="completed or canceled ends it now."
    )


class MaintenanceRead(Read):
    id: int
    title: str
    body: str
    status: MaintenanceStatus
    component_ids: list[int]
    starts_at: datetime
    ends_at: datetime
    remind_minutes: int
    reminded_at: datetime | None


class FooterLink(Strict):
    label: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500)


class BrandingUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    about: str | None = Field(default=None, max_length=2000)
    logo_url: str | None = Field(default=None, max_length=500)
    color_accent: str | None = None
    color_background: str | None = None
    color_text: str | None = None
    footer_links: list[FooterLink] | None = Field(default=None, max_length=10)


class LogoUpload(Strict):
    content_type: str = Field(max_length=64, examples=["image/png"])
    data_base64: str = Field(min_length=1, max_length=400_000)


class BrandingRead(BaseModel):
    name: str
    about: str
    logo_url: str
    logo_uploaded: bool
    color_accent: str
    color_background: str
    color_text: str
    footer_links: list[dict[str, str]]


class WebhookCreate(Strict):
    url: str = Field(min_length=1, max_length=500)
    components: list[int] = Field(default_factory=list, max_length=500)


class SubscriberRead(Read):
    id: int
    kind: SubscriberKind
    target: str
    state: SubscriberState
    component_ids: list[int]
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None


class WebhookCreated(SubscriberRead):
    secret: str = Field(description="Signs each delivery (HMAC-SHA256); shown once.")


class SubscriberPage(BaseModel):
    items: list[SubscriberRead]
    counts: dict[str, int]
    next_after: int | None
