"""Request and response bodies of the notification API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ContactMethodIn(BaseModel):
    kind: Literal["email", "sms", "push", "chat", "webhook"]
    address: str = Field(
        max_length=2000,
        description="Email address; an Apprise URL for sms, push and chat; an https URL for "
        "webhook.",
    )
    label: str = Field(default="", max_length=100)
    enabled: bool = True


class ContactMethodPatch(BaseModel):
    address: str | None = Field(default=None, max_length=2000)
    label: str | None = Field(default=None, max_length=100)
    enabled: bool | None = None
    position: int | None = None


class ContactMethodRead(BaseModel):
    id: int
    kind: str
    label: str
    address: str
    position: int
    enabled: bool
    secret: str | None = Field(
        default=None, description="Webhooks only: the key their signature is made with."
    )
    created_at: datetime


class RuleIn(BaseModel):
    contact_method_id: int
    urgency: Literal["high", "low"]
    delay_minutes: int = 0


class RuleRead(BaseModel):
    id: int
    contact_method_id: int
    urgency: str
    delay_minutes: int
    created_at: datetime


Event = Literal["declared", "severity_changed", "resolved"]
ALL_EVENTS: tuple[Event, ...] = ("declared", "severity_changed", "resolved")


class TeamChannelIn(BaseModel):
    label: str = Field(default="", max_length=100)
    channel: Literal["email", "webhook", "apprise"]
    target: str = Field(max_length=2000)
    events: list[Event] = Field(default_factory=lambda: list(ALL_EVENTS))


class TeamChannelRead(BaseModel):
    id: int
    label: str
    channel: str
    target: str
    events: list[str]
    created_at: datetime


class AttemptRead(BaseModel):
    started_at: datetime
    finished_at: datetime | None
    result: str
    error: str | None
    worker: str


class DeliveryRead(BaseModel):
    id: int
    kind: str
    channel: str
    target: str
    user: str | None
    subject: str
    urgency: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    attempt_log: list[AttemptRead]


class TestSent(BaseModel):
    notification_id: int
    status: str
