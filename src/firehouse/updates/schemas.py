"""Request and response models for stakeholder updates, lists and follows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from firehouse.incidents.schemas import AwareDatetime
from firehouse.updates.models import FollowTarget


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpdateCreate(Strict):
    template: str = Field(default="update", max_length=32)
    impact: str = Field(min_length=1, max_length=5000)
    current_actions: str = Field(default="", max_length=5000)
    next_update_at: AwareDatetime | None = None
    audiences: list[str] = Field(min_length=1, max_length=50, examples=[["executives"]])


class UpdateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    template: str
    fields: dict[str, object]
    subject: str
    body: str
    audiences: list[str]
    recipients: int
    next_update_at: datetime | None
    author_id: int | None
    sent_at: datetime


class TemplateRead(BaseModel):
    key: str
    name: str
    needs_actions: bool
    needs_next_update: bool


class ListTarget(Strict):
    channel: str = Field(default="email", max_length=16)
    target: str = Field(min_length=1, max_length=2000)


class ListCreate(Strict):
    slug: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=1000)
    targets: list[ListTarget] = Field(default_factory=list, max_length=500)


class ListUpdate(Strict):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    targets: list[ListTarget] | None = Field(default=None, max_length=500)


class ListRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    description: str
    targets: list[dict[str, str]]


class FollowCreate(Strict):
    type: FollowTarget
    target: str = Field(min_length=1, max_length=64, examples=["INC-42", "checkout", "payments"])


class FollowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: FollowTarget
    target: str
    name: str


class OverdueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reference: str
    title: str
    severity: str
    due_at: datetime
    minutes_overdue: int
