"""Roles on an incident (with the full history of who held each) and the bridge team."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.catalog.models import Service
from firehouse.errors import Conflict, NotFound
from firehouse.incidents.models import (
    TERMINAL_STATUSES,
    Incident,
    IncidentRole,
    IncidentService,
    Participation,
    RoleAssignment,
)
from firehouse.incidents.service.access import get_incident
from firehouse.incidents.service.timeline import append_entry
from firehouse.people import service as people


def services_of(session: Session, incident_id: int) -> list[Service]:
    query = (
        select(Service)
        .join(IncidentService, IncidentService.service_id == Service.id)
        .where(IncidentService.incident_id == incident_id)
        .order_by(Service.name)
    )
    return list(session.scalars(query).all())


def current_holder(session: Session, incident_id: int, role: IncidentRole) -> RoleAssignment | None:
    return session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.incident_id == incident_id,
            RoleAssignment.role == role,
            RoleAssignment.ended_at.is_(None),
        )
    )


def current_roles(session: Session, incident_ids: list[int]) -> dict[int, list[RoleAssignment]]:
    """Current role holders for many incidents in one query (list pages)."""
    result: dict[int, list[RoleAssignment]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return result
    query = select(RoleAssignment).where(
        RoleAssignment.incident_id.in_(incident_ids), RoleAssignment.ended_at.is_(None)
    )
    for row in session.scalars(query):
        result[row.incident_id].append(row)
    return result


def role_history(
    session: Session, *, actor: Actor, incident_ref: str | int
) -> list[RoleAssignment]:
    incident = get_incident(session, actor, incident_ref)
    query = (
        select(RoleAssignment)
        .where(RoleAssignment.incident_id == incident.id)
        .order_by(RoleAssignment.started_at, RoleAssignment.id)
    )
    return list(session.scalars(query).all())


def _writable(session: Session, actor: Actor, incident_ref: str | int) -> Incident:
    require_writer(actor)
    incident = get_incident(session, actor, incident_ref, for_update=True)
    if incident.status in TERMINAL_STATUSES:
        raise Conflict(
            f"{incident.reference} is {incident.status.value}",
            details={"status": incident.status.value, "allowed_actions": []},
        )
    return incident


def _ensure_joined(session: Session, incident: Incident, user_id: int) -> bool:
    present = session.scalar(
        select(Participation.id).where(
            Participation.incident_id == incident.id,
            Participation.user_id == user_id,
            Participation.left_at.is_(None),
        )
    )
    if present is not None:
        return False
    session.add(
        Participation(incident_id=incident.id, user_id=user_id, joined_at=clock.now(session))
    )
    return True


def assign_role(
    session: Session, *, actor: Actor, incident_ref: str | int, role: IncidentRole, handle: str
) -> RoleAssignment:
    """Give `role` to `handle`, ending the current holder's stint. Also joins them to the bridge."""
    incident = _writable(session, actor, incident_ref)
    user = people.find_user(session, handle, field="user")
    if not user.active:
        raise Conflict(f"{handle} is deactivated", details={"field": "user"})
    now = clock.now(session)
    holder = current_holder(session, incident.id, role)
    if holder is not None and holder.user_id == user.id:
        return holder
    previous = None
    if holder is not None:
        holder.ended_at = now
        previous = people.get_user(session, holder.user_id).handle
    assignment = RoleAssignment(
        incident_id=incident.id,
        role=role,
        user_id=user.id,
        assigned_by_id=actor.user_id,
        started_at=now,
    )
    session.add(assignment)
    _ensure_joined(session, incident, user.id)
    label = role.value.replace("_", " ")
    handover = f"{previous} \u2192 {user.handle}" if previous else user.handle
    append_entry(
        session,
        incident,
        actor=actor,
        kind="role_change",
        body=f"{label}: {handover} (by {actor.handle})",
        data={"role": role.value, "from": previous, "to": user.handle},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.role.assign",
        target_type="incident",
        target_id=incident.reference,
        before={"role": role.value, "user": previous},
        after={"role": role.value, "user": user.handle},
    )
    return assignment


def unassign_role(
    session: Session, *, actor: Actor, incident_ref: str | int, role: IncidentRole
) -> None:
    incident = _writable(session, actor, incident_ref)
    holder = current_holder(session, incident.id, role)
    if holder is None:
        raise NotFound(f"nobody holds {role.value} on {incident.reference}")
    holder.ended_at = clock.now(session)
    previous = people.get_user(session, holder.user_id).handle
    append_entry(
        session,
        incident,
        actor=actor,
        kind="role_change",
        body=f"{role.value.replace('_', ' ')}: {previous} stepped down (by {actor.handle})",
        data={"role": role.value, "from": previous, "to": None},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.role.unassign",
        target_type="incident",
        target_id=incident.reference,
        before={"role": role.value, "user": previous},
    )


def join(session: Session, *, actor: Actor, incident_ref: str | int, handle: str) -> None:
    incident = _writable(session, actor, incident_ref)
    user = people.find_user(session, handle, field="user")
    if not _ensure_joined(session, incident, user.id):
        raise Conflict(f"{handle} is already on {incident.reference}")
    append_entry(
        session,
        incident,
        actor=actor,
        kind="participant",
        body=f"{user.handle} joined",
        data={"user": user.handle, "joined": True},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.participant.join",
        target_type="incident",
        target_id=incident.reference,
        after={"user": user.handle},
    )


def leave(session: Session, *, actor: Actor, incident_ref: str | int, handle: str) -> None:
    incident = _writable(session, actor, incident_ref)
    user = people.find_user(session, handle, field="user")
    stint = session.scalar(
        select(Participation).where(
            Participation.incident_id == incident.id,
            Participation.user_id == user.id,
            Participation.left_at.is_(None),
        )
    )
    if stint is None:
        raise NotFound(f"{handle} is not on {incident.reference}")
    stint.left_at = clock.now(session)
    append_entry(
        session,
        incident,
        actor=actor,
        kind="participant",
        body=f"{user.handle} left",
        data={"user": user.handle, "joined": False},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.participant.leave",
        target_type="incident",
        target_id=incident.reference,
        before={"user": user.handle},
    )


def participants(session: Session, *, actor: Actor, incident_ref: str | int) -> list[Participation]:
    incident = get_incident(session, actor, incident_ref)
    query = (
        select(Participation)
        .where(Participation.incident_id == incident.id)
        .order_by(Participation.joined_at, Participation.id)
    )
    return list(session.scalars(query).all())
