"""The public status page: components in groups, public incidents (with their own words),
scheduled maintenance, branding and subscribers. Nothing here is copied from internal incidents
automatically; a person publishes every word."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    case,
    event,
    inspect,
    null,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column, object_session
from sqlalchemy.orm.attributes import History

from firehouse.db import Base, UTCDateTime


class ComponentStatus(enum.StrEnum):
    operational = "operational"
    degraded_performance = "degraded_performance"
    partial_outage = "partial_outage"
    major_outage = "major_outage"
    under_maintenance = "under_maintenance"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def weight(self) -> int:
        """How bad it is, for "the worst status" of a group, a day or the page."""
        return COMPONENT_WEIGHT[self]


COMPONENT_WEIGHT = {
    ComponentStatus.operational: 0,
    ComponentStatus.under_maintenance: 1,
    ComponentStatus.degraded_performance: 2,
    ComponentStatus.partial_outage: 3,
    ComponentStatus.major_outage: 4,
}


class PublicStatus(enum.StrEnum):
    investigating = "investigating"
    identified = "identified"
    monitoring = "monitoring"
    resolved = "resolved"


class MaintenanceStatus(enum.StrEnum):
    scheduled = "scheduled"
    in_progress = "in_progress"
    completed = "completed"
    canceled = "canceled"


class SubscriberKind(enum.StrEnum):
    email = "email"
    webhook = "webhook"


class SubscriberState(enum.StrEnum):
    pending = "pending"
    active = "active"
    unsubscribed = "unsubscribed"


class StatusPage(Base):
    """The one row of page-wide settings: branding, the signing key and export bookkeeping."""

    __tablename__ = "status_page"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    about: Mapped[str] = mapped_column(Text, default="")
    logo_url: Mapped[str] = mapped_column(String(500), default="")
    logo_data: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    logo_type: Mapped[str] = mapped_column(String(64), default="")
    color_accent: Mapped[str] = mapped_column(String(16), default="#c2410c")
    color_background: Mapped[str] = mapped_column(String(16), default="#ffffff")
    color_text: Mapped[str] = mapped_column(String(16), default="#1f2328")
    # [{"label": "...", "url": "..."}]
    footer_links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    signing_key: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # moves on every public change: rendered pages are cached per version (and minute)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # set by every change when a static export is configured; the export job clears it
    export_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ComponentGroup(Base):
    __tablename__ = "status_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Component(Base):
    """Something a customer recognises ("API", "Dashboard"), maybe backed by internal services."""

    __tablename__ = "status_components"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_groups.id", ondelete="SET NULL"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ComponentStatus] = mapped_column(
        Enum(ComponentStatus, native_enum=False, length=32)
    )
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComponentStatusChange(Base):
    """A component entered `status` at `started_at` (until its next change): uptime history."""

    __tablename__ = "status_component_changes"
    __table_args__ = (Index("ix_status_changes_component_at", "component_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    component_id: Mapped[int] = mapped_column(
        ForeignKey("status_components.id", ondelete="CASCADE")
    )
    status: Mapped[ComponentStatus] = mapped_column(
        Enum(ComponentStatus, native_enum=False, length=32)
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComponentUptime(Base):
    """A component's closed days of uptime history, computed once from its status changes: the
    page reads this one row instead of walking 90 days of changes, and computes only the days
    from `through` on (today at least) live. Adding, changing or deleting a status change
    through the session forgets the days from the change's day on (see `_forget_from`); bulk
    INSERT/UPDATE/DELETE statements bypass that and must not touch days already stored."""

    __tablename__ = "status_component_uptime"

    component_id: Mapped[int] = mapped_column(
        ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True
    )
    first_day: Mapped[date] = mapped_column(Date)
    # the first day not stored: `days` holds first_day .. through - 1
    through: Mapped[date] = mapped_column(Date)
    # the weight of the status in force as `through` began (-1: none recorded before it);
    # NULL once an edit moved `through` back
    through_weight: Mapped[int | None] = mapped_column(Integer)
    # per day its worst status's weight (-1 before the component existed), seconds down
    # (weighted) and seconds observed, packed (see uptime._pack)
    days: Mapped[bytes] = mapped_column(LargeBinary)


def _forget_from(connection: Connection, component_ids: list[int] | None, day: date) -> None:
    """Stored days from `day` on no longer hold (`None`: of every component). The components'
    row locks order this after (or before) the engine job storing their days, so the job never
    stores what an edit changed."""
    lock = select(Component.id).order_by(Component.id).with_for_update()
    moved_back = ComponentUptime.through > day
    forget = update(ComponentUptime).values(
        through=case((moved_back, day), else_=ComponentUptime.through),
        through_weight=case((moved_back, null()), else_=ComponentUptime.through_weight),
    )
    if component_ids is not None:
        lock = lock.where(Component.id.in_(component_ids))
        forget = forget.where(ComponentUptime.component_id.in_(component_ids))
    connection.execute(lock)
    connection.execute(forget)


def _values(history: History, *, old_needed: bool) -> list[Any] | None:
    """An attribute's values before and after a flush; None when the one before is unknown
    (never loaded), so the caller forgets more rather than too little."""
    values = [v for v in (*history.deleted, *history.unchanged, *history.added) if v is not None]
    if not values or (old_needed and history.added and not history.deleted):
        return None
    return values


def _utc_day(value: datetime) -> date:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()


def _history_written(change: ComponentStatusChange, connection: Connection, *, old: bool) -> None:
    """A status change recorded, edited or removed: forget the days it touched, before and
    after, and wake the engine to store them again."""
    state = inspect(change)
    ids = _values(state.attrs.component_id.history, old_needed=old)
    times = _values(state.attrs.started_at.history, old_needed=old)
    day = min(_utc_day(t) for t in times) if times else date.min
    _forget_from(connection, sorted(set(ids)) if ids is not None else None, day)
    session = object_session(change)
    if session is not None and not session.info.get("status_uptime_wake"):
        # a flush event may not use the session: wake the engine once the flush is done
        session.info["status_uptime_wake"] = True
        event.listen(session, "after_flush_postexec", _wake_uptime_job, once=True)


def _wake_uptime_job(session: Session, _context: Any) -> None:
    from firehouse.engine import wake_after_commit

    session.info.pop("status_uptime_wake", None)
    wake_after_commit(session, jobs=("status_uptime",))


@event.listens_for(ComponentStatusChange, "after_insert")
def _change_recorded(_mapper: Mapper[Any], connection: Connection, change: Any) -> None:
    _history_written(change, connection, old=False)


@event.listens_for(ComponentStatusChange, "after_update")
def _change_edited(_mapper: Mapper[Any], connection: Connection, change: Any) -> None:
    _history_written(change, connection, old=True)


@event.listens_for(ComponentStatusChange, "after_delete")
def _change_removed(_mapper: Mapper[Any], connection: Connection, change: Any) -> None:
    _history_written(change, connection, old=True)


class PublicIncident(Base):
    """What customers are told. Linked to an internal incident, never copied from it."""

    __tablename__ = "status_incidents"
    __table_args__ = (Index("ix_status_incidents_started", "started_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[PublicStatus] = mapped_column(Enum(PublicStatus, native_enum=False, length=16))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), default=None, index=True
    )
    component_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PublicUpdate(Base):
    __tablename__ = "status_incident_updates"
    __table_args__ = (Index("ix_status_updates_incident_at", "public_incident_id", "published_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_incident_id: Mapped[int] = mapped_column(
        ForeignKey("status_incidents.id", ondelete="CASCADE")
    )
    status: Mapped[PublicStatus] = mapped_column(Enum(PublicStatus, native_enum=False, length=16))
    body: Mapped[str] = mapped_column(Text)
    # {"<component id>": "<status>"} as set by this update
    component_statuses: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Maintenance(Base):
    __tablename__ = "status_maintenances"
    __table_args__ = (Index("ix_status_maintenances_starts", "starts_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MaintenanceStatus] = mapped_column(
        Enum(MaintenanceStatus, native_enum=False, length=16)
    )
    component_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remind_minutes: Mapped[int] = mapped_column(Integer, default=60)
    # the engine's timer: the next reminder, start or end still to act on (NULL: nothing left)
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Subscriber(Base):
    """An email address (after double opt-in) or a webhook URL told of public changes."""

    __tablename__ = "status_subscribers"
    __table_args__ = (UniqueConstraint("kind", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[SubscriberKind] = mapped_column(Enum(SubscriberKind, native_enum=False, length=16))
    target: Mapped[str] = mapped_column(String(500))
    state: Mapped[SubscriberState] = mapped_column(
        Enum(SubscriberState, native_enum=False, length=16), index=True
    )
    # empty: every component
    component_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # signs this subscriber's links; for a webhook, also the HMAC key of its deliveries
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    confirm_sends: Mapped[int] = mapped_column(Integer, default=0)


class Broadcast(Base):
    """One public event to tell every subscriber, written in the event's transaction; the
    engine fans it out to the outbox in short batches (`last_subscriber_id` is its cursor), so
    an update to 10,000 subscribers never holds the database's write lock for long."""

    __tablename__ = "status_broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    component_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_url: Mapped[str] = mapped_column(String(500))
    last_subscriber_id: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
