from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firehouse.db import Base, UTCDateTime


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True, default=None
    )
    timezone: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the engine's timer: when on-call history next needs recording (a shift changes)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True, default=None)
    # history is recorded up to here
    recorded_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    layers: Mapped[list[ScheduleLayer]] = relationship(
        back_populates="schedule",
        cascade="all, delete-orphan",
        order_by="ScheduleLayer.position",
    )
    overrides: Mapped[list[ScheduleOverride]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan"
    )


class ScheduleLayer(Base):
    __tablename__ = "schedule_layers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # higher wins where it covers
    name: Mapped[str] = mapped_column(String(200))
    shift_length: Mapped[int] = mapped_column(Integer)
    shift_unit: Mapped[str] = mapped_column(String(8))  # hours, days, weeks
    handoff_time: Mapped[time] = mapped_column(Time)
    start_date: Mapped[date] = mapped_column(Date)
    restrict_weekdays: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    restrict_windows: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    schedule: Mapped[Schedule] = relationship(back_populates="layers")
    members: Mapped[list[LayerMember]] = relationship(
        back_populates="layer",
        cascade="all, delete-orphan",
        order_by="(LayerMember.slot, LayerMember.id)",
    )


class LayerMember(Base):
    """One person in one rotation slot; a slot with several rows is a group on call together."""

    __tablename__ = "schedule_layer_members"
    __table_args__ = (UniqueConstraint("layer_id", "slot", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("schedule_layers.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    layer: Mapped[ScheduleLayer] = relationship(back_populates="members")


class ScheduleOverride(Base):
    __tablename__ = "schedule_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    replaces_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # override, swap
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    schedule: Mapped[Schedule] = relationship(back_populates="overrides")


class OnCallRecord(Base):
    """Who was actually on call, recorded as it happened (ended_at None: still on call)."""

    __tablename__ = "oncall_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    source: Mapped[str] = mapped_column(String(16))  # layer, override
    source_id: Mapped[int] = mapped_column(Integer)


class CalendarFeed(Base):
    """A secret iCal URL for one schedule or one person; only the SHA-256 of it is stored."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True, default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
