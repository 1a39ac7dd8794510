"""Acting on a one-click link from a page: acknowledge or resolve the incident as the person
the page was sent to, once, before the link expires."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.errors import NotFound
from firehouse.escalation import service as escalation
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident, Status
from firehouse.notify import links
from firehouse.people import service as people
from firehouse.people.models import User


@dataclass(frozen=True)
class LinkPreview:
    action: str
    incident: Incident
    user: User
    used: bool


def _resolve(session: Session, secret: str | None, token: str) -> tuple[links.LinkClaim, User]:
    claim = links.read_token(links.link_secret(session, secret), token, now=clock.now(session))
    if claim.user_id is None:
        raise NotFound("this link is not valid")
    user = session.get(User, claim.user_id)
    if user is None or not user.active:
        raise NotFound("this link is not valid")
    return claim, user


def _actor(session: Session, user: User) -> Actor:
    return Actor(
        user_id=user.id,
        handle=user.handle,
        role=user.role,
        source="one-click link",
        team_ids=people.team_ids_of(session, user.id),
    )


def preview(session: Session, *, secret: str | None, token: str) -> LinkPreview:
    """What the link would do (the GET confirm page); changes nothing."""
    claim, user = _resolve(session, secret, token)
    incident = incidents.get_incident(session, _actor(session, user), f"id:{claim.incident_id}")
    return LinkPreview(claim.action, incident, user, links.is_used(session, claim))


def act(session: Session, *, secret: str | None, token: str) -> tuple[LinkPreview, str]:
    """Use the link: acknowledge (stops paging) or resolve. Returns what happened, in words."""
    claim, user = _resolve(session, secret, token)
    links.use(session, claim)
    actor = _actor(session, user)
    ref = f"id:{claim.incident_id}"
    incident = incidents.get_incident(session, actor, ref, for_update=True)
    status = incident.status
    done: str
    if claim.action == "acknowledge":
        if status == Status.triggered:
            incident = incidents.transition(
                session, actor=actor, incident_ref=ref, action="acknowledge"
            )
            done = f"{incident.reference} acknowledged"
        elif status in (Status.acknowledged, Status.mitigated):
            done = f"{incident.reference} was already {status.value}; paging stopped"
        else:
            done = f"{incident.reference} is already {status.value}; nothing to do"
        escalation.stop_for_incident(
            session,
            incident_id=incident.id,
            reason=f"acknowledged by {user.handle} from a page",
            actor=actor,
        )
    else:
        if status == Status.triggered:
            incidents.transition(session, actor=actor, incident_ref=ref, action="acknowledge")
            status = Status.acknowledged
        if status in (Status.acknowledged, Status.mitigated):
            incident = incidents.transition(
                session, actor=actor, incident_ref=ref, action="resolve"
            )
            done = f"{incident.reference} resolved"
        else:
            done = f"{incident.reference} is already {status.value}; nothing to do"
        escalation.stop_for_incident(
            session,
            incident_id=incident.id,
            reason=f"resolved by {user.handle} from a page",
            actor=actor,
        )
    return LinkPreview(claim.action, incident, user, True), done
