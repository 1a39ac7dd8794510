"""Contact methods, personal notification rules, team channels, and the outbox itself."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from firehouse.db import Base, UTCDateTime


class Channel(enum.StrEnum):
    email = "email"
    webhook = "webhook"
    apprise = "apprise"


class MethodKind(enum.StrEnum):
    """What a person calls the method; sms, push and chat are delivered through Apprise."""

    email = "email"
    sms = "sms"
    push = "push"
    chat = "chat"
    webhook = "webhook"

    @property
    def channel(self) -> Channel:
        if self is MethodKind.email:
            return Channel.email
        if self is MethodKind.webhook:
            return Channel.webhook
        return Channel.apprise


class Urgency(enum.StrEnum):
    high = "high"
    low = "low"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # waiting for next_attempt_at
    sending = "sending"  # claimed by an engine until lease_until
    sent = "sent"
    failed = "failed"  # gave up
    canceled = "canceled"  # no longer wanted (the page was acknowledged first)


class ContactMethod(Base):
    __tablename__ = "contact_methods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MethodKind] = mapped_column(Enum(MethodKind, native_enum=False, length=16))
    label: Mapped[str] = mapped_column(String(100))
    # email address, Apprise URL (sms/push/chat) or webhook URL
    address: Mapped[str] = mapped_column(String(2000))
    # signs webhook deliveries (HMAC-SHA256); shown to the owner
    secret: Mapped[str | None] = mapped_column(String(128), default=None)
    # order for falling back to the next method when one keeps failing
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationRule(Base):
    """Notify `user` through `method`, `delay_minutes` after being paged, at `urgency`."""

    __tablename__ = "notification_rules"
    __table_args__ = (UniqueConstraint("contact_method_id", "urgency", "delay_minutes"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_method_id: Mapped[int] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE"), index=True
    )
    urgency: Mapped[Urgency] = mapped_column(Enum(Urgency, native_enum=False, length=8))
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TeamChannel(Base):
    """Where a team's stakeholder messages go (incident declared, severity changed, resolved)."""

    __tablename__ = "team_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=16))
    target: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """One message in the outbox, written in the transaction of the event that caused it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_method_sent", "contact_method_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=16))
    target: Mapped[str] = mapped_column(String(2000))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text, default=None)
    kind: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[Urgency] = mapped_column(Enum(Urgency, native_enum=False, length=8))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), default=None, index=True
    )
    contact_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="SET NULL"), default=None
    )
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    payload: Mapped[Any | None] = mapped_column(JSON, default=None)
    secret: Mapped[str | None] = mapped_column(String(128), default=None)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16)
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    fell_back: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DeliveryAttempt(Base):
    """Every try at sending a notification: when, by whom, and how it went."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # in_flight, sent, failed, lost (the engine died mid-send; the lease ran out)
    result: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, default=None)
    worker: Mapped[str] = mapped_column(String(64))


class UsedLink(Base):
    """One-click links are single-use: the nonce of each link that was acted on."""

    __tablename__ = "used_links"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotifyState(Base):
    """Small named values: secrets generated on first use when no setting provides them, and
    the position of the stakeholder-message reader in the incident timeline."""

    __tablename__ = "notify_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
