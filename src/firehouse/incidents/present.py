"""Build response models from incidents, loading related rows in batches (no N+1 on lists)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import markdown
from firehouse.catalog.models import Service
from firehouse.incidents import schemas
from firehouse.incidents.models import (
    Incident,
    IncidentRole,
    IncidentService,
    Participation,
    RoleAssignment,
    Status,
    TimelineEntry,
)
from firehouse.incidents.service import allowed_actions
from firehouse.incidents.service.checklist import ChecklistItem
from firehouse.people.models import Team, User

ROLE_ORDER = list(IncidentRole)
_ROLE_RANK = {role: n for n, role in enumerate(ROLE_ORDER)}
_ACTIONS = {status: allowed_actions(status) for status in Status}


def people_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def person(user: User) -> schemas.PersonRef:
    return schemas.PersonRef(id=user.id, handle=user.handle, name=user.name)


def incidents_read(session: Session, incidents: list[Incident]) -> list[schemas.IncidentRead]:
    """One query per related table for the whole page, read as plain rows (no ORM objects)."""
    ids = [i.id for i in incidents]
    roles = _current_holders(session, ids)
    services: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = session.execute(
            select(IncidentService.incident_id, Service.slug)
            .join(Service, Service.id == IncidentService.service_id)
            .where(IncidentService.incident_id.in_(ids))
            .order_by(Service.slug)
        )
        for incident_id, slug in rows:
            services[incident_id].append(slug)
    team_ids = {i.team_id for i in incidents if i.team_id is not None}
    teams: dict[int | None, str] = (
        dict(session.execute(select(Team.id, Team.slug).where(Team.id.in_(team_ids))).all())
        if team_ids
        else {}
    )
    merged_ids = {i.merged_into_id for i in incidents if i.merged_into_id is not None}
    merged: dict[int | None, int] = (
        dict(
            session.execute(
                select(Incident.id, Incident.number).where(Incident.id.in_(merged_ids))
            ).all()
        )
        if merged_ids
        else {}
    )
    severities: dict[int, schemas.SeverityRef] = {}
    types: dict[tuple[int, bool], schemas.TypeRef] = {}
    items = []
    for i in incidents:
        severity = severities.get(i.severity_id)
        if severity is None:
            s = i.severity
            severity = severities[i.severity_id] = schemas.SeverityRef(
                key=s.key, name=s.name, rank=s.rank, color=s.color
            )
        kind = types.get((i.type_id, i.restricted))
        if kind is None:
            t = i.type
            kind = types[(i.type_id, i.restricted)] = schemas.TypeRef(
                key=t.key, name=t.name, restricted=i.restricted
            )
        items.append(
            schemas.IncidentRead(
                id=i.id,
                number=i.number,
                reference=f"INC-{i.number}",
                title=i.title,
                summary=i.summary,
                status=i.status,
                kind=i.kind,
                severity=severity,
                type=kind,
                team=teams.get(i.team_id),
                services=services[i.id],
                impact=schemas.ImpactRead(
                    customer_facing=i.customer_facing,
                    users_affected=i.users_affected,
                    business_functions=list(i.business_functions),
                ),
                links=dict(i.links),
                milestones=schemas.Milestones(
                    detected_at=i.detected_at,
                    declared_at=i.declared_at,
                    acknowledged_at=i.acknowledged_at,
                    mitigated_at=i.mitigated_at,
                    resolved_at=i.resolved_at,
                    closed_at=i.closed_at,
                    canceled_at=i.canceled_at,
                ),
                merged_into=_reference(merged.get(i.merged_into_id)),
                roles=roles[i.id],
                allowed_actions=_ACTIONS[i.status],
                created_at=i.created_at,
                updated_at=i.updated_at,
            )
        )
    return items


def _current_holders(session: Session, ids: list[int]) -> dict[int, list[schemas.RoleHolder]]:
    """Current role holders of many incidents, in role order, from one joined query."""
    holders: dict[int, list[schemas.RoleHolder]] = defaultdict(list)
    if not ids:
        return holders
    rows = session.execute(
        select(
            RoleAssignment.incident_id,
            RoleAssignment.role,
            RoleAssignment.started_at,
            User.id,
            User.handle,
            User.name,
        )
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.incident_id.in_(ids), RoleAssignment.ended_at.is_(None))
        .order_by(RoleAssignment.id)
    )
    people: dict[int, schemas.PersonRef] = {}
    for incident_id, role, since, user_id, handle, name in sorted(rows, key=_role_rank):
        ref = people.get(user_id)
        if ref is None:
            ref = people[user_id] = schemas.PersonRef(id=user_id, handle=handle, name=name)
        holders[incident_id].append(schemas.RoleHolder(role=role, user=ref, since=since))
    return holders


def _reference(number: int | None) -> str | None:
    return None if number is None else f"INC-{number}"


def _role_rank(row: tuple[int, IncidentRole, datetime, int, str, str]) -> int:
    return _ROLE_RANK[row[1]]


def incident_read(session: Session, incident: Incident) -> schemas.IncidentRead:
    return incidents_read(session, [incident])[0]


def timeline_read(
    session: Session, entries: list[TimelineEntry]
) -> list[schemas.TimelineEntryRead]:
    users = people_by_id(session, {e.author_id for e in entries})
    numbers = dict(
        session.execute(
            select(Incident.id, Incident.number).where(
                Incident.id.in_({e.incident_id for e in entries})
            )
        ).all()
    )
    return [
        schemas.TimelineEntryRead(
            id=e.id,
            incident=f"INC-{numbers[e.incident_id]}",
            kind=e.kind,
            body=e.body,
            html=markdown.render(e.body) if e.kind == "note" else "",
            data=dict(e.data),
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            author=person(users[e.author_id]) if e.author_id in users else None,
            pinned=e.pinned,
        )
        for e in entries
    ]


def roles_read(session: Session, history: list[RoleAssignment]) -> schemas.RolesRead:
    users = people_by_id(
        session, {r.user_id for r in history} | {r.assigned_by_id for r in history}
    )
    return schemas.RolesRead(
        current=[
            schemas.RoleHolder(role=r.role, user=person(users[r.user_id]), since=r.started_at)
            for r in history
            if r.ended_at is None
        ],
        history=[
            schemas.RoleStint(
                role=r.role,
                user=person(users[r.user_id]),
                started_at=r.started_at,
                ended_at=r.ended_at,
                assigned_by=users[r.assigned_by_id].handle if r.assigned_by_id in users else None,
            )
            for r in history
        ],
    )


def participants_read(
    session: Session, stints: list[Participation]
) -> list[schemas.ParticipantRead]:
    users = people_by_id(session, {p.user_id for p in stints})
    return [
        schemas.ParticipantRead(
            user=person(users[p.user_id]), joined_at=p.joined_at, left_at=p.left_at
        )
        for p in stints
    ]


def checklist_read(session: Session, items: list[ChecklistItem]) -> schemas.ChecklistRead:
    users = people_by_id(session, {i.checked_by_id for i in items})
    return schemas.ChecklistRead(
        complete=all(i.checked for i in items),
        items=[
            schemas.ChecklistItemRead(
                key=i.key,
                label=i.label,
                checked=i.checked,
                checked_by=users[i.checked_by_id].handle if i.checked_by_id in users else None,
                checked_at=i.checked_at,
                note=i.note,
                automatic=i.automatic,
            )
            for i in items
        ],
    )
