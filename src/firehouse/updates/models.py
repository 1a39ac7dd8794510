"""Internal stakeholder updates, their cadence, stakeholder lists and follows."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firehouse.db import Base, UTCDateTime


class FollowTarget(enum.StrEnum):
    incident = "incident"
    service = "service"
    team = "team"


class StakeholderList(Base):
    """A named audience: executives, support leads, a partner's contacts."""

    __tablename__ = "stakeholder_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    # [{"channel": "email" | "apprise" | "webhook", "target": "..."}]
    targets: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StakeholderUpdate(Base):
    __tablename__ = "stakeholder_updates"
    __table_args__ = (Index("ix_stakeholder_updates_incident_at", "incident_id", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    template: Mapped[str] = mapped_column(String(32))
    # {"impact": "...", "current_actions": "...", "next_update_at": "..."}
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UpdateCadence(Base):
    """The engine's timer for one open incident: when its next update is due, who was told."""

    __tablename__ = "update_cadence"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 0: nobody reminded for this due time; 1: the communications lead; 2: the incident manager
    reminded: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[FollowTarget] = mapped_column(
        Enum(FollowTarget, native_enum=False, length=16)
    )
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FollowCursor(Base):
    """How far the follow job has read the incident timelines (one row)."""

    __tablename__ = "follow_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_entry_id: Mapped[int] = mapped_column(Integer, default=0)
