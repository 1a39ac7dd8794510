"""The alerts domain's sections on the home page and the incident page (see
`firehouse.web.home`): firing alerts outside incidents, recent deploys, an incident's alerts and
the recent changes to its services. Alerts of incidents the viewer may not see never show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.alerts.models import Alert, AlertStatus, ChangeEvent
from firehouse.alerts.service.changes import changes_for_incident
from firehouse.errors import NotFound
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident

HOME_ALERTS = 20
HOME_CHANGES = 20
INCIDENT_ALERTS = 50
FIRING = (AlertStatus.triggered, AlertStatus.acknowledged)


def visible_alerts(actor: Actor) -> ColumnElement[bool]:
    """Alerts outside incidents, or in incidents `actor` may see (restricted ones stay hidden)."""
    return or_(
        Alert.incident_id.is_(None),
        Alert.incident_id.in_(select(Incident.id).where(incidents.visible_to(actor))),
    )


def _row(**fields: Any) -> Any:
    from firehouse.web.home import HomeRow  # the web layer's shape; imported late (no cycle)

    return HomeRow(**fields)


def _alert_row(alert: Alert) -> Any:
    name = alert.labels.get("alertname", "") if isinstance(alert.labels, dict) else ""
    held = f"held: {alert.suppressed_by}" if alert.suppressed_by else ""
    parts = (alert.severity, alert.status.value, held, alert.source, name)
    detail = " · ".join(x for x in parts if x)
    return _row(
        title=alert.summary or name or alert.fingerprint,
        detail=detail,
        href=f"/alerts/{alert.id}",
        when=alert.first_seen_at,
        urgent=alert.status == AlertStatus.triggered,
    )


def home_rows(session: Session, *, actor: Actor, now: datetime) -> list[Any]:
    """Firing alerts not in an incident, newest first; the rest counted in a last row."""
    where = (Alert.status.in_(FIRING), Alert.incident_id.is_(None))
    # newest by id: first_seen_at is set at insert, and the primary-key walk stops after a page
    # where ordering by first_seen_at sorts every firing alert (10,000: 15 ms)
    found = list(
        session.scalars(
            select(Alert).where(*where).order_by(Alert.id.desc()).limit(HOME_ALERTS + 1)
        ).all()
    )
    rows = [_alert_row(a) for a in found[:HOME_ALERTS]]
    if len(found) > HOME_ALERTS:
        total = session.scalar(select(func.count()).select_from(Alert).where(*where)) or 0
        rows.append(
            _row(
                title=f"and {total - HOME_ALERTS} more",
                detail="every firing alert",
                href="/alerts?status=triggered&status=acknowledged",
            )
        )
    return rows


def _change_row(change: ChangeEvent) -> Any:
    detail = " · ".join(
        x for x in (change.service_name, change.version, change.who and f"by {change.who}") if x
    )
    link = change.link if change.link.startswith(("https://", "http://")) else None
    return _row(title=change.summary, detail=detail, href=link, when=change.occurred_at)


def home_change_rows(session: Session, *, actor: Actor, now: datetime) -> list[Any]:
    """Deploys and changes of the last 24 hours, newest first."""
    found = session.scalars(
        select(ChangeEvent)
        .where(ChangeEvent.occurred_at >= now - timedelta(hours=24))
        .order_by(ChangeEvent.occurred_at.desc(), ChangeEvent.id.desc())
        .limit(HOME_CHANGES)
    ).all()
    return [_change_row(c) for c in found]


def incident_rows(session: Session, *, actor: Actor, incident_id: int, now: datetime) -> list[Any]:
    """The alerts attached to an incident the viewer may see."""
    try:
        incidents.get_incident(session, actor, f"id:{incident_id}")
    except NotFound:
        return []
    found = session.scalars(
        select(Alert)
        .where(Alert.incident_id == incident_id)
        .order_by(Alert.first_seen_at.desc(), Alert.id.desc())
        .limit(INCIDENT_ALERTS)
    ).all()
    return [_alert_row(a) for a in found]


def incident_change_rows(
    session: Session, *, actor: Actor, incident_id: int, now: datetime
) -> list[Any]:
    """Changes to the incident's affected services in the day before it started."""
    try:
        found = changes_for_incident(session, actor=actor, incident_ref=f"id:{incident_id}")
    except NotFound:
        return []
    return [_change_row(c) for c in found[:HOME_CHANGES]]
