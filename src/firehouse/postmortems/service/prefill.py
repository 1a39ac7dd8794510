"""The facts a postmortem is pre-filled with, read from the incident record."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident
from firehouse.incidents.service.roles import services_of
from firehouse.people import service as people
from firehouse.postmortems.models import ActionItem

CHANGE_KINDS = ("change", "deploy", "deployment")
NONE = "_none recorded_"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "not yet"


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "n/a"
    seconds = max(0, int((end - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def _handle(session: Session, user_id: int | None, cache: dict[int, str]) -> str:
    if user_id is None:
        return "firehouse"
    if user_id not in cache:
        cache[user_id] = people.get_user(session, user_id).handle
    return cache[user_id]


def _alerts(session: Session, incident: Incident) -> list[str]:
    """Alerts grouped into the incident, when the alerts domain is installed."""
    try:
        from firehouse.alerts.service.queries import AlertFilter, list_alerts
    except ImportError:
        return []
    alerts = list_alerts(session, AlertFilter(incident_id=incident.id, limit=200))
    return [
        f"- {when(a.first_seen_at)}: {' '.join(a.summary.split())} "
        f"({a.severity}, {a.status.value}{', ' + a.source if a.source else ''})"
        for a in sorted(alerts, key=lambda a: (a.first_seen_at, a.id))
    ]


def _changes(session: Session, actor: Actor, incident: Incident) -> list[str]:
    """Deploys and changes to the incident's services around it, from the alerts domain."""
    try:
        from firehouse.alerts.service import changes_for_incident
    except ImportError:
        return []
    changes = changes_for_incident(session, actor=actor, incident_ref=f"id:{incident.id}")
    return [
        f"- {when(c.occurred_at)}: {c.service_name or 'change'}: {' '.join(c.summary.split())}"
        + (f" ({c.version})" if c.version else "")
        + (f" by {c.who}" if c.who else "")
        for c in sorted(changes, key=lambda c: (c.occurred_at, c.id))
    ]


def facts(session: Session, *, actor: Actor, incident: Incident) -> dict[str, str]:
    ref = f"id:{incident.id}"
    handles: dict[int, str] = {}
    start = incident.detected_at or incident.declared_at
    end = incident.mitigated_at or incident.resolved_at
    entries = incidents.timeline(session, actor=actor, incident_ref=ref)
    pinned = [e for e in entries if e.pinned]
    timeline = [
        f"- **{when(e.occurred_at)}** ({_handle(session, e.author_id, handles)}): "
        + " ".join(e.body.split())
        for e in pinned
    ]
    roles = [
        f"- **{a.role.value.replace('_', ' ')}**: @{_handle(session, a.user_id, handles)}, "
        f"{when(a.started_at)} to {when(a.ended_at) if a.ended_at else 'now'}"
        for a in incidents.role_history(session, actor=actor, incident_ref=ref)
    ]
    alert_lines = _alerts(session, incident) or [
        f"- {when(e.occurred_at)}: {' '.join(e.body.split())}" for e in entries if e.kind == "alert"
    ]
    changes = _changes(session, actor, incident) + [
        f"- {when(e.occurred_at)}: {' '.join(e.body.split())}"
        for e in entries
        if e.kind in CHANGE_KINDS
    ]
    actions = session.scalars(
        select(ActionItem).where(ActionItem.incident_id == incident.id).order_by(ActionItem.id)
    ).all()
    action_lines = [
        f"- [{'x' if a.status.value in ('done', 'wont_do') else ' '}] {a.title} "
        f"({a.category.value.replace('_', ' ')}, {a.priority.value}"
        + (f", @{_handle(session, a.owner_id, handles)}" if a.owner_id else "")
        + (f", due {a.due_at:%Y-%m-%d}" if a.due_at else "")
        + f", {a.status.value.replace('_', ' ')})"
        for a in actions
    ]
    services = [s.name for s in services_of(session, incident.id)]
    return {
        "reference": incident.reference,
        "title": incident.title,
        "summary": incident.summary,
        "severity": f"{incident.severity.key} ({incident.severity.name})",
        "type": incident.type.name,
        "services": ", ".join(services) or NONE,
        "users_affected": str(incident.users_affected)
        if incident.users_affected is not None
        else "unknown",
        "business_functions": ", ".join(incident.business_functions) or NONE,
        "impact_window": f"{when(start)} to {when(end) if end else 'ongoing'}"
        + (f" ({duration(start, end)})" if end else ""),
        "declared": when(incident.declared_at),
        "time_to_detect": duration(incident.detected_at, incident.declared_at),
        "time_to_acknowledge": duration(incident.declared_at, incident.acknowledged_at),
        "time_to_mitigate": duration(incident.declared_at, incident.mitigated_at),
        "time_to_resolve": duration(incident.declared_at, incident.resolved_at),
        "timeline": "\n".join(timeline) or "_no pinned timeline entries; pin the key moments_",
        "roles": "\n".join(roles) or NONE,
        "alerts": "**Alerts**\n\n" + ("\n".join(alert_lines) or NONE),
        "changes": "**Changes**\n\n" + ("\n".join(changes) or NONE),
        "action_items": "\n".join(action_lines) or "_no action items yet_",
    }


def due_after(resolved_at: datetime | None, days: int) -> datetime | None:
    return resolved_at + timedelta(days=days) if resolved_at else None
