"""Postmortems across incidents: mine, overdue, by status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident
from firehouse.people import service as people
from firehouse.people.models import User
from firehouse.postmortems.models import Postmortem, PostmortemStatus

if TYPE_CHECKING:
    from firehouse.web.home import HomeRow

HOME_LIMIT = 50


@dataclass
class PostmortemFilter:
    owner: str | None = None  # a handle, or "me"
    status: list[PostmortemStatus] = field(default_factory=list)
    overdue: bool = False


def is_overdue(postmortem: Postmortem, session: Session) -> bool:
    return (
        postmortem.status != PostmortemStatus.published
        and postmortem.due_at is not None
        and postmortem.due_at < clock.now(session)
    )


def list_postmortems(
    session: Session, *, actor: Actor, filters: PostmortemFilter, limit: int = 200
) -> list[tuple[Postmortem, Incident]]:
    query = (
        select(Postmortem, Incident)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(incidents.visible_to(actor))
    )
    if filters.owner:
        owner_id = (
            actor.user_id
            if filters.owner == "me"
            else people.find_user(session, filters.owner, field="owner").id
        )
        query = query.where(Postmortem.owner_id == owner_id)
    if filters.status:
        query = query.where(Postmortem.status.in_(filters.status))
    if filters.overdue:
        query = query.where(
            Postmortem.status != PostmortemStatus.published,
            Postmortem.due_at < clock.now(session),
        )
    query = query.order_by(Postmortem.due_at.is_(None), Postmortem.due_at, Postmortem.id.desc())
    return [(p, i) for p, i in session.execute(query.limit(limit)).all()]


def home_rows(session: Session, *, actor: Actor, now: datetime) -> list[HomeRow]:
    """The home page's "overdue postmortems" section: unpublished past their due date, oldest
    due first, only on incidents the viewer may see."""
    from firehouse.web.home import HomeRow  # the web layer imports domains, not the reverse

    rows = session.execute(
        select(Postmortem, Incident, User.name)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .outerjoin(User, User.id == Postmortem.owner_id)
        .where(
            incidents.visible_to(actor),
            Postmortem.status != PostmortemStatus.published,
            Postmortem.due_at < now,
        )
        .order_by(Postmortem.due_at, Postmortem.id)
        .limit(HOME_LIMIT)
    ).all()
    return [
        HomeRow(
            title=f"{incident.reference} {incident.title}",
            detail=f"{_status(postmortem)}, {_owned(postmortem, owner, actor)}, was due",
            href=f"/incidents/{incident.reference}/postmortem",
            when=postmortem.due_at,
            urgent=True,
        )
        for postmortem, incident, owner in rows
    ]


def _status(postmortem: Postmortem) -> str:
    return postmortem.status.value.replace("_", " ")


def _owned(postmortem: Postmortem, owner: str | None, actor: Actor) -> str:
    if owner is None:
        return "no owner"
    return "owned by you" if postmortem.owner_id == actor.user_id else f"owned by {owner}"
