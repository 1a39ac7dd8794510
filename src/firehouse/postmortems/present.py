"""Builds the postmortems API's response models."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.incidents.models import Incident
from firehouse.people import service as people
from firehouse.postmortems import schemas
from firehouse.postmortems import service as postmortems
from firehouse.postmortems.models import ActionItem, Postmortem, PostmortemRevision
from firehouse.postmortems.service.actions import OPEN
from firehouse.postmortems.service.listing import is_overdue


class Handles:
    """user id -> handle, loaded once per request."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[int, str] = {}

    def __call__(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.known:
            self.known[user_id] = people.get_user(self.session, user_id).handle
        return self.known[user_id]


def postmortem_read(
    session: Session, postmortem: Postmortem, incident: Incident
) -> schemas.PostmortemRead:
    handle = Handles(session)
    meeting = postmortems.retrospective_of(session, postmortem.id)
    retro = None
    if meeting is not None:
        retro = schemas.RetrospectiveRead(
            facilitator=handle(meeting.facilitator_id),
            held_at=meeting.held_at,
            attendees=[h for h in map(handle, meeting.attendee_ids) if h],
            notes=meeting.notes,
            decisions=meeting.decisions,
            updated_at=meeting.updated_at,
        )
    return schemas.PostmortemRead(
        incident=incident.reference,
        incident_title=incident.title,
        template=postmortem.template,
        status=postmortem.status,
        owner=handle(postmortem.owner_id),
        due_at=postmortem.due_at,
        overdue=is_overdue(postmortem, session),
        revision=postmortem.revision,
        published_at=postmortem.published_at,
        sections=[
            schemas.SectionRead.model_validate(s, from_attributes=True)
            for s in postmortems.sections_of(session, postmortem.id)
        ],
        reviewers=[
            schemas.ReviewerRead(
                handle=handle(r.user_id) or "",
                approved=r.approved_revision == postmortem.revision,
                approved_at=r.approved_at if r.approved_revision == postmortem.revision else None,
            )
            for r in postmortems.reviewers_of(session, postmortem.id)
        ],
        missing_for_publishing=postmortems.missing_for_publishing(session, postmortem),
        retrospective=retro,
        customer_review=schemas.CustomerReviewRead(
            text=postmortem.customer_text,
            reviewer=handle(postmortem.customer_reviewer_id),
            approved=postmortem.customer_approved_at is not None,
            approved_at=postmortem.customer_approved_at,
        ),
        created_at=postmortem.created_at,
        updated_at=postmortem.updated_at,
    )


def postmortem_summaries(
    session: Session, rows: list[tuple[Postmortem, Incident]]
) -> schemas.PostmortemList:
    handle = Handles(session)
    return schemas.PostmortemList(
        items=[
            schemas.PostmortemSummary(
                incident=i.reference,
                incident_title=i.title,
                severity=i.severity.key,
                status=p.status,
                owner=handle(p.owner_id),
                due_at=p.due_at,
                overdue=is_overdue(p, session),
                revision=p.revision,
            )
            for p, i in rows
        ]
    )


def revision_read(session: Session, revision: PostmortemRevision) -> schemas.RevisionRead:
    handle = Handles(session)
    return schemas.RevisionRead(
        number=revision.number,
        published_at=revision.published_at,
        published_by=handle(revision.published_by_id),
        approved_by=[h for h in map(handle, revision.approved_by) if h],
        sections=revision.sections,
    )


def actions_read(session: Session, items: list[ActionItem]) -> list[schemas.ActionRead]:
    handle = Handles(session)
    now = clock.now(session)
    teams: dict[int, str] = {}
    incidents = {
        i.id: i
        for i in session.scalars(
            select(Incident).where(Incident.id.in_({a.incident_id for a in items}))
        )
    }
    result = []
    for a in items:
        if a.team_id is not None and a.team_id not in teams:
            teams[a.team_id] = people.get_team(session, a.team_id).slug
        incident = incidents[a.incident_id]
        result.append(
            schemas.ActionRead(
                id=a.id,
                incident=incident.reference,
                incident_title=incident.title,
                title=a.title,
                category=a.category,
                owner=handle(a.owner_id),
                team=teams.get(a.team_id) if a.team_id is not None else None,
                due_at=a.due_at,
                overdue=a.status in OPEN and a.due_at is not None and a.due_at < now,
                priority=a.priority,
                status=a.status,
                reason=a.reason,
                tracker_url=a.tracker_url,
                created_at=a.created_at,
                updated_at=a.updated_at,
                completed_at=a.completed_at,
            )
        )
    return result
