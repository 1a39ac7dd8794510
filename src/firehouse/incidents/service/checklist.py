"""The closure checklist: configured per severity, each item checked by a named person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.errors import Conflict, NotFound
from firehouse.incidents.models import (
    ChecklistCheck,
    Incident,
    IncidentRole,
    RoleAssignment,
    Status,
)
from firehouse.incidents.service.access import get_incident
from firehouse.incidents.service.timeline import append_entry

AUTOMATIC = "postmortem_owner"


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    checked: bool
    checked_by_id: int | None
    checked_at: datetime | None
    note: str
    automatic: bool


def _items(session: Session, incident: Incident) -> list[ChecklistItem]:
    checks = {
        c.item_key: c
        for c in session.scalars(
            select(ChecklistCheck).where(ChecklistCheck.incident_id == incident.id)
        )
    }
    result = []
    for spec in incident.severity.closure_checklist:
        key = spec["key"]
        if key == AUTOMATIC:
            owner = session.scalar(
                select(RoleAssignment).where(
                    RoleAssignment.incident_id == incident.id,
                    RoleAssignment.role == IncidentRole.retrospective_leader,
                    RoleAssignment.ended_at.is_(None),
                )
            )
            # a postmortem with an owner satisfies the item too (lazy: postmortems imports us)
            from firehouse.postmortems.service import owner_of

            pm_owner = None if owner else owner_of(session, incident.id)
            result.append(
                ChecklistItem(
                    key=key,
                    label=spec["label"],
                    checked=owner is not None or pm_owner is not None,
                    checked_by_id=owner.assigned_by_id if owner else pm_owner,
                    checked_at=owner.started_at if owner else None,
                    note=""
                    if owner or pm_owner
                    else "assign the retrospective leader role or a postmortem owner",
                    automatic=True,
                )
            )
            continue
        check = checks.get(key)
        result.append(
            ChecklistItem(
                key=key,
                label=spec["label"],
                checked=check is not None,
                checked_by_id=check.checked_by_id if check else None,
                checked_at=check.checked_at if check else None,
                note=check.note if check else "",
                automatic=False,
            )
        )
    return result


def checklist(session: Session, *, actor: Actor, incident_ref: str | int) -> list[ChecklistItem]:
    return _items(session, get_incident(session, actor, incident_ref))


def missing_items(session: Session, incident: Incident) -> list[dict[str, str]]:
    return [
        {"key": item.key, "label": item.label}
        for item in _items(session, incident)
        if not item.checked
    ]


def _editable(session: Session, actor: Actor, incident_ref: str | int, key: str) -> Incident:
    require_writer(actor)
    incident = get_incident(session, actor, incident_ref, for_update=True)
    if incident.status in (Status.closed, Status.canceled, Status.merged):
        raise Conflict(
            f"{incident.reference} is {incident.status.value}",
            details={"status": incident.status.value},
        )
    keys = {spec["key"] for spec in incident.severity.closure_checklist}
    if key not in keys:
        raise NotFound(
            f"{incident.severity.key} has no checklist item {key!r}",
            details={"field": "item", "items": sorted(keys)},
        )
    if key == AUTOMATIC:
        raise Conflict(
            "this item is checked by assigning the retrospective leader role",
            details={"field": "item"},
        )
    return incident


def check_item(
    session: Session, *, actor: Actor, incident_ref: str | int, key: str, note: str = ""
) -> ChecklistCheck:
    incident = _editable(session, actor, incident_ref, key)
    existing = session.scalar(
        select(ChecklistCheck).where(
            ChecklistCheck.incident_id == incident.id, ChecklistCheck.item_key == key
        )
    )
    if existing is not None:
        return existing
    assert actor.user_id is not None
    check = ChecklistCheck(
        incident_id=incident.id,
        item_key=key,
        checked_by_id=actor.user_id,
        checked_at=clock.now(session),
        note=note,
    )
    session.add(check)
    append_entry(
        session,
        incident,
        actor=actor,
        kind="checklist",
        body=f"checklist: {key} checked by {actor.handle}" + (f" ({note})" if note else ""),
        data={"item": key, "checked": True, "note": note},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.checklist.check",
        target_type="incident",
        target_id=incident.reference,
        after={"item": key, "note": note},
    )
    return check


def uncheck_item(session: Session, *, actor: Actor, incident_ref: str | int, key: str) -> None:
    incident = _editable(session, actor, incident_ref, key)
    existing = session.scalar(
        select(ChecklistCheck).where(
            ChecklistCheck.incident_id == incident.id, ChecklistCheck.item_key == key
        )
    )
    if existing is None:
        return
    session.delete(existing)
    append_entry(
        session,
        incident,
        actor=actor,
        kind="checklist",
        body=f"checklist: {key} unchecked by {actor.handle}",
        data={"item": key, "checked": False},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.checklist.uncheck",
        target_type="incident",
        target_id=incident.reference,
        before={"item": key},
    )
