"""Postmortems (stored as sections), their reviewers and revisions, retrospective meetings
and action items."""

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


class PostmortemStatus(enum.StrEnum):
    draft = "draft"
    in_review = "in_review"
    published = "published"


class ActionCategory(enum.StrEnum):
    response_plan = "response_plan"
    observability = "observability"
    workload_remediation = "workload_remediation"
    other = "other"


class ActionStatus(enum.StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    wont_do = "wont_do"


class Priority(enum.StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class Postmortem(Base):
    __tablename__ = "postmortems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    template: Mapped[str] = mapped_column(String(32))
    status: Mapped[PostmortemStatus] = mapped_column(
        Enum(PostmortemStatus, native_enum=False, length=16)
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    # indexed: the reminder job looks for postmortems still waiting for a due date
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # the text the full-text indexes cover (kept by the service on every write)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # the customer-facing review: approval is cleared whenever the text changes
    customer_text: Mapped[str] = mapped_column(Text, default="")
    customer_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    customer_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # the overdue reminder's timer (NULL: nothing to remind)
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostmortemSection(Base):
    """One section of the document. `generated` is what the record says; `body` is what is
    shown. A prefilled section follows `generated` until a person edits it (`edited`)."""

    __tablename__ = "postmortem_sections"
    __table_args__ = (UniqueConstraint("postmortem_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    guidance: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    prefilled: Mapped[bool] = mapped_column(Boolean, default=False)
    internal: Mapped[bool] = mapped_column(Boolean, default=True)
    generated: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostmortemReviewer(Base):
    __tablename__ = "postmortem_reviewers"
    __table_args__ = (UniqueConstraint("postmortem_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # the revision this reviewer approved (an approval counts only for the current revision)
    approved_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PostmortemRevision(Base):
    """A published version, kept forever."""

    __tablename__ = "postmortem_revisions"
    __table_args__ = (UniqueConstraint("postmortem_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # [{"key","title","body"}, ...] as published
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    approved_by: Mapped[list[int]] = mapped_column(JSON, default=list)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Retrospective(Base):
    __tablename__ = "retrospectives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), unique=True
    )
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attendee_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ActionItem(Base):
    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[ActionCategory] = mapped_column(
        Enum(ActionCategory, native_enum=False, length=32)
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None, index=True
    )
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    priority: Mapped[Priority] = mapped_column(Enum(Priority, native_enum=False, length=16))
    status: Mapped[ActionStatus] = mapped_column(Enum(ActionStatus, native_enum=False, length=16))
    reason: Mapped[str] = mapped_column(Text, default="")
    tracker_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)


# Made by the migration with raw SQL (FTS5 on SQLite, tsvector and GIN indexes on PostgreSQL) and
# not described by these models: a schema comparison must skip them.
SEARCH_INDEX_OBJECTS = frozenset(
    {
        "search_fts",
        "search_fts_data",
        "search_fts_idx",
        "search_fts_docsize",
        "search_fts_config",
        "search_fts_content",
        "ix_timeline_entries_fts",
        "ix_postmortems_fts",
        "search_tsv",  # PostgreSQL: postmortems.search_tsv, generated from search_text
    }
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """An Alembic `include_object` hook leaving out the search index objects."""
    return name not in SEARCH_INDEX_OBJECTS
