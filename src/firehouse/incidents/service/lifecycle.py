"""Declaring an incident and moving it through its lifecycle:
triggered -> acknowledged -> mitigated -> resolved -> closed, plus canceled and merged."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.catalog import service as catalog
from firehouse.errors import Conflict, Forbidden, Invalid
from firehouse.incidents.models import (
    OPEN_STATUSES,
    Counter,
    Incident,
    IncidentRole,
    IncidentService,
    Kind,
    Status,
)
from firehouse.incidents.service import config
from firehouse.incidents.service.access import get_incident
from firehouse.incidents.service.checklist import missing_items
from firehouse.incidents.service.roles import assign_role, current_holder, services_of
from firehouse.incidents.service.timeline import append_entry
from firehouse.people import service as people
from firehouse.people.models import Role


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status
    milestone: str | None


TRANSITIONS: dict[str, Transition] = {
    "acknowledge": Transition(
        frozenset({Status.triggered}), Status.acknowledged, "acknowledged_at"
    ),
    "mitigate": Transition(frozenset({Status.acknowledged}), Status.mitigated, "mitigated_at"),
    "resolve": Transition(
        frozenset({Status.acknowledged, Status.mitigated}), Status.resolved, "resolved_at"
    ),
    "close": Transition(frozenset({Status.resolved}), Status.closed, "closed_at"),
    "reopen": Transition(frozenset({Status.mitigated, Status.resolved}), Status.acknowledged, None),
    "cancel": Transition(frozenset(OPEN_STATUSES), Status.canceled, "canceled_at"),
    "merge": Transition(frozenset({*OPEN_STATUSES, Status.resolved}), Status.merged, None),
}

# In lifecycle order; editing one never moves it before the one to its left.
MILESTONES = (
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
)
# Which milestones each status requires to be set (and which must then be empty).
REQUIRED_MILESTONES: dict[Status, tuple[str, ...]] = {
    Status.triggered: (),
    Status.acknowledged: ("acknowledged_at",),
    Status.mitigated: ("acknowledged_at", "mitigated_at"),
    Status.resolved: ("acknowledged_at", "mitigated_at", "resolved_at"),
    Status.closed: ("acknowledged_at", "mitigated_at", "resolved_at", "closed_at"),
}


def allowed_actions(status: Status) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]


def _not_allowed(incident: Incident, action: str) -> Conflict:
    return Conflict(
        f"{incident.reference} is {incident.status.value}; it cannot {action}",
        details={
            "status": incident.status.value,
            "allowed_actions": allowed_actions(incident.status),
        },
    )


def next_number(session: Session) -> int:
    """Gap-free incident numbers. The UPDATE takes a row lock, so instances never collide."""
    value = session.scalar(
        update(Counter)
        .where(Counter.name == "incident")
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    if value is None:
        config.ensure_defaults(session)
        return next_number(session)
    return int(value)


def incident_snapshot(session: Session, incident: Incident) -> dict[str, Any]:
    return {
        "number": incident.number,
        "title": incident.title,
        "summary": incident.summary,
        "status": incident.status.value,
        "severity": incident.severity.key,
        "type": incident.type.key,
        "kind": incident.kind.value,
        "team_id": incident.team_id,
        "services": sorted(s.slug for s in services_of(session, incident.id)),
        "customer_facing": incident.customer_facing,
        "users_affected": incident.users_affected,
        "business_functions": list(incident.business_functions),
        "links": dict(incident.links),
        **{m: getattr(incident, m) for m in (*MILESTONES, "canceled_at")},
        "merged_into_id": incident.merged_into_id,
    }


@dataclass
class Declaration:
    title: str
    severity: str
    type: str = "operational"
    summary: str = ""
    kind: Kind = Kind.real
    team: str | None = None
    services: list[str] = field(default_factory=list)
    customer_facing: bool = False
    users_affected: int | None = None
    business_functions: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    detected_at: datetime | None = None
    incident_manager: str | None = None


def declare(session: Session, *, actor: Actor, spec: Declaration) -> Incident:
    require_writer(actor)
    now = clock.now(session)
    if not spec.title.strip():
        raise Invalid("an incident needs a title", field="title")
    if spec.detected_at is not None and spec.detected_at > now:
        raise Invalid("detection cannot be in the future", field="detected_at")
    severity = config.find_severity(session, spec.severity)
    kind = config.find_type(session, spec.type)
    services = [
        catalog.find_service(session, slug, field=f"services.{i}")
        for i, slug in enumerate(spec.services)
    ]
    team_id = None
    if spec.team:
        team_id = people.find_team(session, spec.team, field="team").id
    elif kind.default_team_id is not None:
        team_id = kind.default_team_id
    elif services and services[0].team_id is not None:
        team_id = services[0].team_id
    manager = (
        people.find_user(session, spec.incident_manager, field="incident_manager")
        if spec.incident_manager
        else None
    )
    incident = Incident(
        number=next_number(session),
        title=spec.title.strip(),
        summary=spec.summary,
        type_id=kind.id,
        severity_id=severity.id,
        status=Status.triggered,
        kind=spec.kind,
        team_id=team_id,
        restricted=kind.restricted,
        customer_facing=spec.customer_facing,
        users_affected=spec.users_affected,
        business_functions=spec.business_functions,
        links=spec.links,
        detected_at=spec.detected_at,
        declared_at=now,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    for service in services:
        session.add(IncidentService(incident_id=incident.id, service_id=service.id))
    session.refresh(incident)
    append_entry(
        session,
        incident,
        actor=actor,
        kind="declared",
        body=f"{incident.reference} declared as {severity.key} ({severity.name}) by {actor.handle}",
        data={"severity": severity.key, "type": kind.key, "kind": spec.kind.value},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.declare",
        target_type="incident",
        target_id=incident.reference,
        after=incident_snapshot(session, incident),
    )
    if manager is not None:
        assign_role(
            session,
            actor=actor,
            incident_ref=f"id:{incident.id}",
            role=IncidentRole.incident_manager,
            handle=manager.handle,
        )
    elif actor.user_id is not None:
        assign_role(
            session,
            actor=actor,
            incident_ref=f"id:{incident.id}",
            role=IncidentRole.incident_manager,
            handle=actor.handle,
        )
    return incident


def can_close(session: Session, actor: Actor, incident: Incident) -> bool:
    if actor.has(Role.incident_manager):
        return True
    holder = current_holder(session, incident.id, IncidentRole.incident_manager)
    return holder is not None and holder.user_id == actor.user_id


def transition(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    action: str,
    reason: str = "",
) -> Incident:
    """Apply a lifecycle action. 409 with the allowed actions when the status forbids it."""
    require_writer(actor)
    if action not in TRANSITIONS or action == "merge":
        raise Invalid(f"unknown action {action!r}", field="action")
    incident = get_incident(session, actor, incident_ref, for_update=True)
    spec = TRANSITIONS[action]
    if action == "close" and not can_close(session, actor, incident):
        raise Forbidden(
            "only this incident's incident manager, or a global incident_manager or admin, "
            "may close it"
        )
    if incident.status not in spec.sources:
        raise _not_allowed(incident, action)
    if action == "reopen" and not reason.strip():
        raise Invalid("say why the incident is reopened", field="reason")
    if action == "close":
        missing = missing_items(session, incident)
        if missing:
            raise Conflict(
                f"{incident.reference} cannot close: {len(missing)} checklist item(s) open",
                details={"missing": missing},
            )
    before = incident_snapshot(session, incident)
    now = clock.now(session)
    old = incident.status
    incident.status = spec.target
    if spec.milestone:
        setattr(incident, spec.milestone, now)
    if action == "resolve" and incident.mitigated_at is None:
        incident.mitigated_at = now  # resolving implies the impact was mitigated
    if action == "reopen":
        incident.mitigated_at = None
        incident.resolved_at = None
    append_entry(
        session,
        incident,
        actor=actor,
        kind="status_change",
        body=f"{old.value} \u2192 {spec.target.value} by {actor.handle}"
        + (f": {reason.strip()}" if reason.strip() else ""),
        data={"from": old.value, "to": spec.target.value, "action": action, "reason": reason},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"incident.{action}",
        target_type="incident",
        target_id=incident.reference,
        before=before,
        after=incident_snapshot(session, incident),
    )
    return incident


def merge(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    into_ref: str | int,
    reason: str = "",
) -> Incident:
    """Merge one incident into another; the survivor then carries both timelines."""
    require_writer(actor)
    source = get_incident(session, actor, incident_ref, for_update=True)
    target = get_incident(session, actor, into_ref, for_update=True)
    if source.id == target.id:
        raise Invalid("an incident cannot be merged into itself", field="into")
    if source.status not in TRANSITIONS["merge"].sources:
        raise _not_allowed(source, "merge")
    if target.status not in (*OPEN_STATUSES, Status.resolved):
        raise Conflict(
            f"{target.reference} is {target.status.value}; merge into an incident still open",
            details={"field": "into", "status": target.status.value},
        )
    before = incident_snapshot(session, source)
    old = source.status
    source.status = Status.merged
    source.merged_into_id = target.id
    existing = {s.id for s in services_of(session, target.id)}
    for service in services_of(session, source.id):
        if service.id not in existing:
            session.add(IncidentService(incident_id=target.id, service_id=service.id))
    append_entry(
        session,
        source,
        actor=actor,
        kind="status_change",
        body=f"{old.value} \u2192 merged into {target.reference} by {actor.handle}",
        data={"from": old.value, "to": "merged", "action": "merge", "into": target.reference},
    )
    append_entry(
        session,
        target,
        actor=actor,
        kind="merged",
        body=f"{source.reference} ({source.title}) merged into this incident"
        + (f": {reason.strip()}" if reason.strip() else ""),
        data={"from": source.reference},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.merge",
        target_type="incident",
        target_id=source.reference,
        before=before,
        after={"status": "merged", "into": target.reference},
    )
    return source
