"""Who may see an incident. Restricted incidents (security) are visible only to the owning
team, the people on the incident and admins, everywhere: lists, counts, search, live updates."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.errors import NotFound
from firehouse.incidents.models import Incident, Participation, RoleAssignment
from firehouse.people.models import Role


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on Incident selecting what `actor` may see."""
    if actor.has(Role.admin):
        return true()
    if actor.user_id is None:
        return Incident.restricted == false()
    return or_(Incident.restricted == false(), _involved(actor))


def visible_parts(actor: Actor) -> tuple[ColumnElement[bool], ColumnElement[bool]] | None:
    """What `actor` may see as two disjoint clauses, the unrestricted incidents and the
    restricted ones the actor may see, for a query that reads them apart; None for admins
    and callers without a user, whom one plain clause describes."""
    if actor.has(Role.admin) or actor.user_id is None:
        return None
    return Incident.restricted == false(), and_(Incident.restricted == true(), _involved(actor))


def _involved(actor: Actor) -> ColumnElement[bool]:
    """The restricted incidents `actor` may see: created, in one of the actor's teams, or on.
    The cheap tests come first; the incidents the actor is on are one uncorrelated subquery on
    the user_id indexes, found once per query instead of probed per restricted incident (UNION
    ALL: IN needs no duplicates removed, and removing them doubled the cost for someone on
    tens of thousands of incidents)."""
    clauses: list[ColumnElement[bool]] = [Incident.created_by_id == actor.user_id]
    if actor.team_ids:
        clauses.append(Incident.team_id.in_(actor.team_ids))
    clauses.append(
        Incident.id.in_(
            select(RoleAssignment.incident_id)
            .where(RoleAssignment.user_id == actor.user_id)
            .union_all(
                select(Participation.incident_id).where(Participation.user_id == actor.user_id)
            )
        )
    )
    return or_(*clauses)


def parse_reference(ref: str | int) -> tuple[str, int]:
    """`INC-42` or `42` is a number; the API also accepts the internal id as `id:7`."""
    text = str(ref).strip()
    if text.upper().startswith("INC-"):
        text = text[4:]
    if text.startswith("id:") and text[3:].isdigit():
        return "id", int(text[3:])
    if not text.isdigit():
        raise NotFound(f"no incident {ref}")
    return "number", int(text)


def get_incident(
    session: Session, actor: Actor, ref: str | int, *, for_update: bool = False
) -> Incident:
    """The incident, or NotFound, also when `actor` may not see it (its existence is private)."""
    column, value = parse_reference(ref)
    key = Incident.id if column == "id" else Incident.number
    query = select(Incident).where(key == value, visible_to(actor))
    if for_update:
        query = query.with_for_update(of=Incident)
    incident = session.scalar(query)
    if incident is None:
        raise NotFound(f"no incident {ref}")
    return incident
