"""Severities and incident types: configurable, seeded with the defaults on first start."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Forbidden, Invalid, NotFound
from firehouse.incidents import defaults
from firehouse.incidents.models import Counter, Incident, IncidentType, Severity
from firehouse.people.models import Role

SEVERITY_FIELDS = (
    "name",
    "description",
    "ack_within_minutes",
    "update_every_minutes",
    "postmortem_required",
    "postmortem_due_days",
    "closure_checklist",
    "color",
)


def ensure_defaults(session: Session) -> None:
    """Seed severities, types and the incident counter when the tables are empty."""
    if session.scalar(select(func.count(Severity.id))) == 0:
        for spec in defaults.SEVERITIES:
            session.add(
                Severity(
                    **spec, closure_checklist=defaults.checklist_for(spec["postmortem_required"])
                )
            )
    if session.scalar(select(func.count(IncidentType.id))) == 0:
        for spec in defaults.INCIDENT_TYPES:
            session.add(IncidentType(**spec))
    if session.get(Counter, "incident") is None:
        highest = session.scalar(select(func.max(Incident.number))) or 0
        session.add(Counter(name="incident", value=highest))
    session.flush()


def list_severities(session: Session) -> list[Severity]:
    return list(session.scalars(select(Severity).order_by(Severity.rank)).all())


def list_types(session: Session) -> list[IncidentType]:
    return list(session.scalars(select(IncidentType).order_by(IncidentType.key)).all())


def find_severity(session: Session, key: str, *, field: str = "severity") -> Severity:
    severity = session.scalar(select(Severity).where(Severity.key == key.upper()))
    if severity is None:
        known = ", ".join(s.key for s in list_severities(session))
        raise Invalid(f"unknown severity {key!r}; one of {known}", field=field)
    return severity


def find_type(session: Session, key: str, *, field: str = "type") -> IncidentType:
    kind = session.scalar(select(IncidentType).where(IncidentType.key == key.lower()))
    if kind is None:
        known = ", ".join(t.key for t in list_types(session))
        raise Invalid(f"unknown incident type {key!r}; one of {known}", field=field)
    return kind


def severity_snapshot(severity: Severity) -> dict[str, Any]:
    return {"key": severity.key, **{f: getattr(severity, f) for f in SEVERITY_FIELDS}}


def _check_checklist(items: Any) -> None:
    if not isinstance(items, list):
        raise Invalid("a list of {key, label}", field="closure_checklist")
    keys = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("key") or not item.get("label"):
            raise Invalid("each item needs a key and a label", field=f"closure_checklist.{i}")
        if item["key"] in keys:
            raise Invalid(f"duplicate key {item['key']!r}", field=f"closure_checklist.{i}.key")
        keys.add(item["key"])


def update_severity(
    session: Session, *, actor: Actor, key: str, changes: dict[str, Any]
) -> Severity:
    if not actor.has(Role.admin):
        raise Forbidden("only admins change severities")
    severity = session.scalar(select(Severity).where(Severity.key == key.upper()))
    if severity is None:
        raise NotFound(f"no severity {key!r}")
    before = severity_snapshot(severity)
    if "closure_checklist" in changes:
        _check_checklist(changes["closure_checklist"])
    for name in SEVERITY_FIELDS:
        if name in changes:
            setattr(severity, name, changes[name])
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="severity.update",
        target_type="severity",
        target_id=severity.key,
        before=before,
        after=severity_snapshot(severity),
    )
    return severity


def create_severity(session: Session, *, actor: Actor, spec: dict[str, Any]) -> Severity:
    if not actor.has(Role.admin):
        raise Forbidden("only admins change severities")
    key = spec["key"].upper()
    if session.scalar(select(Severity.id).where(Severity.key == key)) is not None:
        raise Conflict(f"severity {key} exists", details={"field": "key"})
    if session.scalar(select(Severity.id).where(Severity.rank == spec["rank"])) is not None:
        raise Conflict(f"another severity has rank {spec['rank']}", details={"field": "rank"})
    checklist = spec.get("closure_checklist")
    if checklist is None:
        checklist = defaults.checklist_for(spec["postmortem_required"])
    _check_checklist(checklist)
    severity = Severity(**{**spec, "key": key, "closure_checklist": checklist})
    session.add(severity)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="severity.create",
        target_type="severity",
        target_id=key,
        after=severity_snapshot(severity),
    )
    return severity
