"""Editing an incident after it is declared: its fields and its milestone times, each change
on the timeline and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.catalog import service as catalog
from firehouse.errors import Conflict, Invalid
from firehouse.incidents.models import (
    Incident,
    IncidentService,
    Status,
)
from firehouse.incidents.service import config
from firehouse.incidents.service.access import get_incident
from firehouse.incidents.service.lifecycle import (
    MILESTONES,
    REQUIRED_MILESTONES,
    incident_snapshot,
)
from firehouse.incidents.service.roles import services_of
from firehouse.incidents.service.timeline import append_entry
from firehouse.people import service as people

EDITABLE = (
    "title",
    "summary",
    "severity",
    "type",
    "kind",
    "team",
    "services",
    "customer_facing",
    "users_affected",
    "business_functions",
    "links",
)


def update_fields(
    session: Session, *, actor: Actor, incident_ref: str | int, changes: dict[str, Any]
) -> Incident:
    """Edit fields; each change is written to the timeline and the audit trail."""
    require_writer(actor)
    incident = get_incident(session, actor, incident_ref, for_update=True)
    if incident.status in (Status.closed, Status.canceled, Status.merged):
        raise Conflict(
            f"{incident.reference} is {incident.status.value}; reopen it to edit",
            details={"status": incident.status.value, "allowed_actions": []},
        )
    before = incident_snapshot(session, incident)
    for name in changes:
        if name not in EDITABLE:
            raise Invalid(f"{name} cannot be edited here", field=name)
    if "title" in changes:
        if not str(changes["title"]).strip():
            raise Invalid("an incident needs a title", field="title")
        incident.title = str(changes["title"]).strip()
    if "severity" in changes:
        severity = config.find_severity(session, changes["severity"])
        if severity.id != incident.severity_id:
            append_entry(
                session,
                incident,
                actor=actor,
                kind="severity_change",
                body=f"severity {incident.severity.key} \u2192 {severity.key} by {actor.handle}",
                data={"from": incident.severity.key, "to": severity.key},
            )
            incident.severity_id = severity.id
    if "type" in changes:
        kind = config.find_type(session, changes["type"])
        incident.type_id = kind.id
        incident.restricted = kind.restricted
    if "team" in changes:
        slug = changes["team"]
        incident.team_id = people.find_team(session, slug, field="team").id if slug else None
    if "services" in changes:
        wanted = [
            catalog.find_service(session, slug, field=f"services.{i}")
            for i, slug in enumerate(changes["services"])
        ]
        current = {s.id for s in services_of(session, incident.id)}
        for service in wanted:
            if service.id not in current:
                session.add(IncidentService(incident_id=incident.id, service_id=service.id))
        keep = {s.id for s in wanted}
        for link in session.scalars(
            select(IncidentService).where(IncidentService.incident_id == incident.id)
        ):
            if link.service_id not in keep:
                session.delete(link)
    for name in ("summary", "kind", "customer_facing", "users_affected"):
        if name in changes:
            setattr(incident, name, changes[name])
    if "business_functions" in changes:
        incident.business_functions = list(changes["business_functions"])
    if "links" in changes:
        incident.links = dict(changes["links"])
    session.flush()
    session.refresh(incident)
    after = incident_snapshot(session, incident)
    changed = sorted(k for k in after if after[k] != before[k] and k != "severity")
    if changed:
        append_entry(
            session,
            incident,
            actor=actor,
            kind="field_change",
            body=f"{', '.join(changed)} changed by {actor.handle}",
            data={"changed": {k: {"from": before[k], "to": after[k]} for k in changed}},
        )
    if changed or before["severity"] != after["severity"]:
        incident.updated_at = clock.now(session)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="incident.update",
            target_type="incident",
            target_id=incident.reference,
            before=before,
            after=after,
        )
    return incident


def edit_milestones(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    changes: dict[str, datetime | None],
) -> Incident:
    """Record the real time of a milestone later. Times stay in lifecycle order, never in the
    future, and only milestones the status has reached can be set."""
    require_writer(actor)
    incident = get_incident(session, actor, incident_ref, for_update=True)
    now = clock.now(session)
    before = incident_snapshot(session, incident)
    required = REQUIRED_MILESTONES.get(incident.status)
    if required is None:  # canceled or merged: what was reached before it ended, nothing more
        required = tuple(m for m in MILESTONES[2:] if getattr(incident, m) is not None)
    for name, value in changes.items():
        if name not in MILESTONES:
            raise Invalid(f"{name} is not a milestone", field=name)
        if value is not None and value > now:
            raise Invalid("a milestone cannot be in the future", field=name)
        if name == "declared_at" and value is None:
            raise Invalid("declared_at cannot be cleared", field=name)
        if name not in ("detected_at", "declared_at"):
            if value is None and name in required:
                raise Invalid(f"{incident.status.value} incidents need {name}", field=name)
            if value is not None and name not in required:
                raise Invalid(
                    f"{incident.reference} is {incident.status.value}; {name} is not reached yet",
                    field=name,
                )
    proposed = {m: changes.get(m, getattr(incident, m)) for m in MILESTONES}
    last_name, last_value = None, None
    for name in MILESTONES:
        value = proposed[name]
        if value is None:
            continue
        if last_value is not None and value < last_value:
            culprit = name if name in changes else last_name
            raise Invalid(f"{name} cannot be before {last_name}", field=culprit)
        last_name, last_value = name, value
    changed = {n: v for n, v in changes.items() if getattr(incident, n) != v}
    for name, value in changed.items():
        setattr(incident, name, value)
    if changed:
        append_entry(
            session,
            incident,
            actor=actor,
            kind="milestone_change",
            body="; ".join(
                f"{n.removesuffix('_at')} set to {v.isoformat() if v else 'none'}"
                for n, v in changed.items()
            )
            + f" by {actor.handle}",
            data={
                n: {
                    "from": before[n].isoformat() if before[n] else None,
                    "to": v.isoformat() if v else None,
                }
                for n, v in changed.items()
            },
        )
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="incident.milestones",
            target_type="incident",
            target_id=incident.reference,
            before={n: before[n] for n in changed},
            after=changed,
        )
    return incident
