"""The retrospective meeting record and the customer-facing review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Forbidden, Invalid
from firehouse.people import service as people
from firehouse.postmortems.models import Postmortem, Retrospective
from firehouse.postmortems.service.documents import (
    find,
    for_update,
    refresh_search_text,
    sections_of,
)

MAX_TEXT = 100_000


def retrospective_of(session: Session, postmortem_id: int) -> Retrospective | None:
    return session.scalar(select(Retrospective).where(Retrospective.postmortem_id == postmortem_id))


def record_retrospective(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    facilitator: str | None,
    held_at: datetime | None,
    attendees: list[str],
    notes: str,
    decisions: list[str],
) -> Retrospective:
    if len(notes) > MAX_TEXT:
        raise Invalid(f"notes are at most {MAX_TEXT} characters", field="notes")
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    facilitator_id = (
        people.find_user(session, facilitator, field="facilitator").id if facilitator else None
    )
    attendee_ids = [people.find_user(session, h, field="attendees").id for h in attendees]
    now = clock.now(session)
    if held_at is not None and held_at > now:
        raise Invalid("record the meeting once it has been held", field="held_at")
    meeting = retrospective_of(session, postmortem.id)
    before = None
    if meeting is None:
        meeting = Retrospective(postmortem_id=postmortem.id, updated_at=now)
        session.add(meeting)
    else:
        before = {"facilitator_id": meeting.facilitator_id, "notes": meeting.notes}
    meeting.facilitator_id = facilitator_id
    meeting.held_at = held_at
    meeting.attendee_ids = list(dict.fromkeys(attendee_ids))
    meeting.notes = notes
    meeting.decisions = [d.strip() for d in decisions if d.strip()]
    meeting.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="postmortem.retrospective.record",
        target_type="incident",
        target_id=incident.reference,
        before=before,
        after={
            "facilitator_id": facilitator_id,
            "held_at": held_at,
            "attendee_ids": meeting.attendee_ids,
            "notes": notes,
            "decisions": meeting.decisions,
        },
    )
    return meeting


def draft_customer_text(session: Session, postmortem: Postmortem) -> str:
    """A starting text made only from the sections marked public (summary, impact)."""
    parts = []
    for section in sections_of(session, postmortem.id):
        if not section.internal and section.body.strip():
            parts.append(f"## {section.title}\n\n{section.body.strip()}")
    return "\n\n".join(parts)


def update_customer_review(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    text: str | None = None,
    reviewer: str | None = None,
) -> Postmortem:
    """Set the customer-facing text (a draft from the public sections when none is given yet)
    and its reviewer. Any change clears the approval."""
    if text is not None and len(text) > MAX_TEXT:
        raise Invalid(f"the review is at most {MAX_TEXT} characters", field="text")
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    before = {"text": postmortem.customer_text, "reviewer_id": postmortem.customer_reviewer_id}
    if text is not None:
        postmortem.customer_text = text
    elif not postmortem.customer_text:
        postmortem.customer_text = draft_customer_text(session, postmortem)
    if reviewer is not None:
        postmortem.customer_reviewer_id = people.find_user(session, reviewer, field="reviewer").id
    if before != {"text": postmortem.customer_text, "reviewer_id": postmortem.customer_reviewer_id}:
        postmortem.customer_approved_at = None
    postmortem.updated_at = clock.now(session)
    refresh_search_text(session, postmortem, incident)
    audit.record(
        session,
        actor=actor,
        action="postmortem.customer_review.update",
        target_type="incident",
        target_id=incident.reference,
        before=before,
        after={"text": postmortem.customer_text, "reviewer_id": postmortem.customer_reviewer_id},
    )
    return postmortem


def approve_customer_review(
    session: Session, *, actor: Actor, incident_ref: str | int
) -> Postmortem:
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    if postmortem.customer_reviewer_id is None:
        raise Conflict("name a reviewer for the customer-facing review first",
                       details={"missing": ["reviewer"]})  # fmt: skip
    if postmortem.customer_reviewer_id != actor.user_id:
        raise Forbidden("only the named reviewer may approve the customer-facing review")
    if not postmortem.customer_text.strip():
        raise Conflict("the customer-facing review is empty", details={"missing": ["text"]})
    postmortem.customer_approved_at = clock.now(session)
    audit.record(
        session,
        actor=actor,
        action="postmortem.customer_review.approve",
        target_type="incident",
        target_id=incident.reference,
        after={"text": postmortem.customer_text},
    )
    return postmortem


def customer_review_for_export(
    session: Session, *, actor: Actor, incident_ref: str | int
) -> tuple[str, str]:
    """(title, text) of an approved customer-facing review; 409 until it is approved."""
    incident, postmortem = find(session, actor=actor, incident_ref=incident_ref)
    if postmortem.customer_approved_at is None:
        raise Conflict("the customer-facing review is not approved yet",
                       details={"missing": ["approval"]})  # fmt: skip
    return f"Post-incident review: {incident.title}", postmortem.customer_text


def approved_customer_review(session: Session, incident_id: int) -> str | None:
    """The approved customer-facing text of an incident, or None (for the status page)."""
    postmortem = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident_id))
    if postmortem is None or postmortem.customer_approved_at is None:
        return None
    return postmortem.customer_text
