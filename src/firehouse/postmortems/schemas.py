"""Request and response models for the postmortems API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from firehouse.incidents.schemas import AwareDatetime, Strict
from firehouse.postmortems.models import (
    ActionCategory,
    ActionStatus,
    PostmortemStatus,
    Priority,
)

Handle = str


class PostmortemCreate(Strict):
    template: str | None = Field(
        default=None, description="full_rca, lessons_learned or security_review; by default "
        "chosen from the incident's type and severity.",
    )  # fmt: skip
    owner: Handle | None = Field(
        default=None, description="Handle; the retrospective leader when omitted."
    )


class PostmortemUpdate(Strict):
    owner: Handle | None = None
    due_at: AwareDatetime | None = None


class SectionUpdate(Strict):
    body: str = Field(max_length=200_000)
    title: str | None = Field(default=None, max_length=200)


class SectionRead(BaseModel):
    key: str
    title: str
    body: str
    guidance: str
    required: bool
    prefilled: bool
    internal: bool
    edited: bool
    generated: str
    updated_at: datetime


class ReviewerRead(BaseModel):
    handle: str
    approved: bool
    approved_at: datetime | None


class RetrospectiveWrite(Strict):
    facilitator: Handle | None = None
    held_at: AwareDatetime | None = None
    attendees: list[Handle] = Field(default_factory=list, max_length=200)
    notes: str = Field(default="", max_length=100_000)
    decisions: list[str] = Field(default_factory=list, max_length=200)


class RetrospectiveRead(BaseModel):
    facilitator: str | None
    held_at: datetime | None
    attendees: list[str]
    notes: str
    decisions: list[str]
    updated_at: datetime


class CustomerReviewWrite(Strict):
    text: str | None = Field(
        default=None, max_length=100_000,
        description="Omit to start from the postmortem's public sections.",
    )  # fmt: skip
    reviewer: Handle | None = None


class CustomerReviewRead(BaseModel):
    text: str
    reviewer: str | None
    approved: bool
    approved_at: datetime | None


class PostmortemRead(BaseModel):
    incident: str
    incident_title: str
    template: str
    status: PostmortemStatus
    owner: str | None
    due_at: datetime | None
    overdue: bool
    revision: int
    published_at: datetime | None
    sections: list[SectionRead]
    reviewers: list[ReviewerRead]
    missing_for_publishing: dict[str, list[str]]
    retrospective: RetrospectiveRead | None
    customer_review: CustomerReviewRead
    created_at: datetime
    updated_at: datetime


class PostmortemSummary(BaseModel):
    incident: str
    incident_title: str
    severity: str
    status: PostmortemStatus
    owner: str | None
    due_at: datetime | None
    overdue: bool
    revision: int


class PostmortemList(BaseModel):
    items: list[PostmortemSummary]


class RevisionRead(BaseModel):
    number: int
    published_at: datetime
    published_by: str | None
    approved_by: list[str]
    sections: list[dict[str, object]]


class ActionCreate(Strict):
    title: str = Field(min_length=1, max_length=300)
    category: ActionCategory
    owner: Handle | None = None
    team: str | None = Field(default=None, description="Team slug; the incident's by default.")
    due_at: AwareDatetime | None = None
    priority: Priority = Priority.medium
    tracker_url: str | None = Field(default=None, max_length=2000)


class ActionUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    category: ActionCategory | None = None
    owner: Handle | None = None
    team: str | None = None
    due_at: AwareDatetime | None = None
    priority: Priority | None = None
    status: ActionStatus | None = None
    reason: str | None = Field(default=None, max_length=10_000)
    tracker_url: str | None = Field(default=None, max_length=2000)


class ActionRead(BaseModel):
    id: int
    incident: str
    incident_title: str
    title: str
    category: ActionCategory
    owner: str | None
    team: str | None
    due_at: datetime | None
    overdue: bool
    priority: Priority
    status: ActionStatus
    reason: str
    tracker_url: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class ActionList(BaseModel):
    items: list[ActionRead]


class SearchHit(BaseModel):
    incident: str
    title: str
    status: str
    source: str = Field(description="postmortem or timeline")
    snippet: str = Field(description="Matched words are wrapped in ** (Markdown bold).")


class SearchResults(BaseModel):
    query: str
    items: list[SearchHit]


class TemplateRead(BaseModel):
    key: str
    name: str
    sections: list[dict[str, object]]
