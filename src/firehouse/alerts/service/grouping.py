"""Alerts into incidents: open one, join the open one of the same group, note resolutions,
and page through the escalation domain."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.alerts.models import Alert, AlertStatus, RoutingRule
from firehouse.catalog.models import Service
from firehouse.errors import AppError
from firehouse.incidents import service as incidents
from firehouse.incidents.models import OPEN_STATUSES, Incident, Status
from firehouse.incidents.service.lifecycle import Declaration
from firehouse.incidents.service.timeline import append_entry
from firehouse.people import service as people

log = logging.getLogger("firehouse.alerts")


def alerts_actor(integration_name: str) -> Actor:
    return Actor.system(f"integration:{integration_name}"[:100])


def group_key(labels: dict[str, str], group_by: tuple[str, ...], fingerprint: str) -> str:
    """The labels named by `group_by`; an alert carrying none of them is a group of its own."""
    parts = [f"{name}={labels[name]}" for name in group_by if labels.get(name)]
    return ",".join(parts)[:255] if parts else f"fingerprint={fingerprint}"[:255]


def open_incident_of(session: Session, incident_id: int | None) -> Incident | None:
    if incident_id is None:
        return None
    try:
        incident = incidents.get_incident(session, Actor.system("alerts"), f"id:{incident_id}")
    except AppError:
        return None
    return incident if incident.status in OPEN_STATUSES else None


def find_group_incident(
    session: Session, *, key: str, window_minutes: int, now: datetime
) -> Incident | None:
    """The open incident of the latest alert of this group seen within the window."""
    incident_id = session.scalar(
        select(Alert.incident_id)
        .where(
            Alert.group_key == key,
            Alert.incident_id.is_not(None),
            Alert.first_seen_at >= now - timedelta(minutes=window_minutes),
        )
        .order_by(Alert.first_seen_at.desc(), Alert.id.desc())
        .limit(1)
    )
    return open_incident_of(session, incident_id)


def declare_for_alert(
    session: Session, *, alert: Alert, integration_name: str, incident_type: str, title: str
) -> Incident:
    team = people.get_team(session, alert.team_id).slug if alert.team_id else None
    service = session.get(Service, alert.service_id) if alert.service_id else None
    spec = Declaration(
        title=title[:300] or "Alert",
        severity=alert.severity,
        type=incident_type,
        summary=alert.summary,
        team=team,
        services=[service.slug] if service else [],
        detected_at=alert.starts_at
        if alert.starts_at and alert.starts_at <= alert.first_seen_at
        else alert.first_seen_at,
    )
    return incidents.declare(session, actor=alerts_actor(integration_name), spec=spec)


def note_on_incident(
    session: Session, incident: Incident, *, kind: str, body: str, alert: Alert
) -> None:
    append_entry(
        session,
        incident,
        actor=Actor.system("alerts"),
        kind=kind,
        body=body,
        data={"alert_id": alert.id, "fingerprint": alert.fingerprint},
    )


def page(
    session: Session, *, incident_id: int, policy_id: int | None, urgency: str, reason: str
) -> bool:
    """Ask the escalation domain to page; False when it is not installed."""
    try:
        from firehouse.escalation import service as escalation
    except ImportError:
        log.info("escalation is not installed; not paging for incident %s", incident_id)
        return False
    escalation.page_for_incident(  # type: ignore[attr-defined,unused-ignore]
        session, incident_id=incident_id, policy_id=policy_id, urgency=urgency, reason=reason
    )
    return True


def after_alert_resolved(session: Session, alert: Alert) -> None:
    """Say so on the incident; when its last alert resolves, say that, and resolve the
    incident if the alert's routing rule asks for it."""
    incident = open_incident_of(session, alert.incident_id)
    if incident is None:
        return
    note_on_incident(
        session,
        incident,
        kind="alert_resolved",
        body=f"Alert resolved: {alert.summary}",
        alert=alert,
    )
    still_open = session.scalar(
        select(func.count())
        .select_from(Alert)
        .where(Alert.incident_id == incident.id, Alert.resolved_at.is_(None))
    )
    if still_open:
        return
    append_entry(
        session,
        incident,
        actor=Actor.system("alerts"),
        kind="alerts_resolved",
        body="All alerts of this incident have resolved.",
    )
    rule = session.get(RoutingRule, alert.rule_id) if alert.rule_id else None
    if rule is None or not rule.resolve_incident_when_alerts_resolve:
        return
    actor = Actor.system("alerts")
    reference = f"id:{incident.id}"
    if incident.status == Status.triggered:
        incidents.transition(session, actor=actor, incident_ref=reference, action="acknowledge")
    incidents.transition(
        session,
        actor=actor,
        incident_ref=reference,
        action="resolve",
        reason="every alert of the incident resolved",
    )


def open_alert_count(session: Session, incident_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(
                Alert.incident_id == incident_id,
                Alert.status.in_((AlertStatus.triggered, AlertStatus.acknowledged)),
            )
        )
        or 0
    )
