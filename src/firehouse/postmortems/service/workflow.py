"""draft -> in review -> published: owner, reviewers who approve, due date, revisions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Forbidden, NotFound
from firehouse.people import service as people
from firehouse.postmortems.models import (
    Postmortem,
    PostmortemReviewer,
    PostmortemRevision,
    PostmortemStatus,
)
from firehouse.postmortems.service.documents import (
    find,
    for_update,
    refresh_search_text,
    sections_of,
    sync_due,
)


def owner_of(session: Session, incident_id: int) -> int | None:
    """The postmortem owner of an incident, if it has a postmortem with one."""
    return session.scalar(select(Postmortem.owner_id).where(Postmortem.incident_id == incident_id))


def reviewers_of(session: Session, postmortem_id: int) -> list[PostmortemReviewer]:
    query = (
        select(PostmortemReviewer)
        .where(PostmortemReviewer.postmortem_id == postmortem_id)
        .order_by(PostmortemReviewer.id)
    )
    return list(session.scalars(query).all())


def update_postmortem(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    changes: dict[str, Any],
) -> Postmortem:
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    before = {"owner_id": postmortem.owner_id, "due_at": postmortem.due_at}
    if "owner" in changes:
        owner = changes["owner"]
        postmortem.owner_id = people.find_user(session, owner, field="owner").id if owner else None
    if "due_at" in changes:
        postmortem.due_at = changes["due_at"]
        postmortem.next_reminder_at = None
    sync_due(postmortem, incident)
    postmortem.updated_at = clock.now(session)
    audit.record(
        session,
        actor=actor,
        action="postmortem.update",
        target_type="incident",
        target_id=incident.reference,
        before=before,
        after={"owner_id": postmortem.owner_id, "due_at": postmortem.due_at},
    )
    return postmortem


def add_reviewer(
    session: Session, *, actor: Actor, incident_ref: str | int, handle: str
) -> PostmortemReviewer:
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    user = people.find_user(session, handle, field="user")
    existing = session.scalar(
        select(PostmortemReviewer).where(
            PostmortemReviewer.postmortem_id == postmortem.id, PostmortemReviewer.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    reviewer = PostmortemReviewer(postmortem_id=postmortem.id, user_id=user.id)
    session.add(reviewer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="postmortem.reviewer.add",
        target_type="incident",
        target_id=incident.reference,
        after={"user": user.handle},
    )
    return reviewer


def remove_reviewer(
    session: Session, *, actor: Actor, incident_ref: str | int, handle: str
) -> None:
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    user = people.find_user(session, handle, field="user")
    existing = session.scalar(
        select(PostmortemReviewer).where(
            PostmortemReviewer.postmortem_id == postmortem.id, PostmortemReviewer.user_id == user.id
        )
    )
    if existing is None:
        raise NotFound(f"{user.handle} is not a reviewer")
    session.delete(existing)
    audit.record(
        session,
        actor=actor,
        action="postmortem.reviewer.remove",
        target_type="incident",
        target_id=incident.reference,
        before={"user": user.handle},
    )


def submit_for_review(session: Session, *, actor: Actor, incident_ref: str | int) -> Postmortem:
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    if postmortem.status != PostmortemStatus.draft:
        raise Conflict(
            f"the postmortem is {postmortem.status.value}, not a draft",
            details={"status": postmortem.status.value},
        )
    if not reviewers_of(session, postmortem.id):
        raise Conflict("name at least one reviewer first", details={"missing": ["reviewers"]})
    postmortem.status = PostmortemStatus.in_review
    postmortem.updated_at = clock.now(session)
    audit.record(
        session,
        actor=actor,
        action="postmortem.submit",
        target_type="incident",
        target_id=incident.reference,
        after={"revision": postmortem.revision},
    )
    return postmortem


def approve(session: Session, *, actor: Actor, incident_ref: str | int) -> PostmortemReviewer:
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    reviewer = session.scalar(
        select(PostmortemReviewer).where(
            PostmortemReviewer.postmortem_id == postmortem.id,
            PostmortemReviewer.user_id == actor.user_id,
        )
    )
    if reviewer is None:
        raise Forbidden("only a named reviewer may approve this postmortem")
    if postmortem.status != PostmortemStatus.in_review:
        raise Conflict(
            f"the postmortem is {postmortem.status.value.replace('_', ' ')}, not in review",
            details={"status": postmortem.status.value},
        )
    reviewer.approved_revision = postmortem.revision
    reviewer.approved_at = clock.now(session)
    audit.record(
        session,
        actor=actor,
        action="postmortem.approve",
        target_type="incident",
        target_id=incident.reference,
        after={"revision": postmortem.revision},
    )
    return reviewer


def missing_for_publishing(session: Session, postmortem: Postmortem) -> dict[str, list[str]]:
    reviewers = reviewers_of(session, postmortem.id)
    pending = [r for r in reviewers if r.approved_revision != postmortem.revision]
    missing: dict[str, list[str]] = {
        "approvals": [people.get_user(session, r.user_id).handle for r in pending],
        "sections": [
            s.key for s in sections_of(session, postmortem.id) if s.required and not s.body.strip()
        ],
    }
    if not reviewers:
        missing["approvals"] = ["at least one reviewer"]
    if postmortem.status == PostmortemStatus.draft:
        missing["review"] = ["submit it for review"]
    if postmortem.owner_id is None:
        missing["owner"] = ["owner"]
    return {k: v for k, v in missing.items() if v}


def publish(session: Session, *, actor: Actor, incident_ref: str | int) -> Postmortem:
    incident, postmortem = for_update(session, actor=actor, incident_ref=incident_ref)
    if postmortem.status == PostmortemStatus.published:
        raise Conflict(f"revision {postmortem.revision} is already published")
    missing = missing_for_publishing(session, postmortem)
    if missing:
        names = "; ".join(f"{k}: {', '.join(v)}" for k, v in missing.items())
        raise Conflict(f"cannot publish yet, missing {names}", details={"missing": missing})
    now = clock.now(session)
    approvers = [r.user_id for r in reviewers_of(session, postmortem.id)]
    session.add(
        PostmortemRevision(
            postmortem_id=postmortem.id,
            number=postmortem.revision,
            sections=[
                {"key": s.key, "title": s.title, "body": s.body, "internal": s.internal}
                for s in sections_of(session, postmortem.id)
            ],
            approved_by=approvers,
            published_by_id=actor.user_id,
            published_at=now,
        )
    )
    postmortem.status = PostmortemStatus.published
    postmortem.published_at = now
    postmortem.updated_at = now
    sync_due(postmortem, incident)
    refresh_search_text(session, postmortem, incident)
    audit.record(
        session,
        actor=actor,
        action="postmortem.publish",
        target_type="incident",
        target_id=incident.reference,
        after={"revision": postmortem.revision, "approved_by": approvers},
    )
    return postmortem


def revisions(
    session: Session, *, actor: Actor, incident_ref: str | int
) -> list[PostmortemRevision]:
    _, postmortem = find(session, actor=actor, incident_ref=incident_ref)
    query = (
        select(PostmortemRevision)
        .where(PostmortemRevision.postmortem_id == postmortem.id)
        .order_by(PostmortemRevision.number)
    )
    return list(session.scalars(query).all())
