"""Home, the single pane of glass: open incidents first, then what the other domains report
(on call, firing alerts, unacknowledged pages, deploys, overdue postmortems).

A domain joins the home page by exposing, in its `service` module, a function
`home_rows(session, *, actor, now) -> list[HomeRow]` (the name per section is in `SECTIONS`).
A section whose domain or function does not exist is left out.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.api.deps import CurrentPrincipal, UnitOfWork
from firehouse.incidents import service as incidents
from firehouse.incidents.models import OPEN_STATUSES, Incident, IncidentRole, TimelineEntry
from firehouse.incidents.present import people_by_id
from firehouse.web.deps import render

router = APIRouter(include_in_schema=False)
HOME_LIMIT = 200


@dataclass(frozen=True)
class HomeRow:
    """One line of a home section, as a domain reports it."""

    title: str
    detail: str = ""
    href: str | None = None
    when: datetime | None = None
    urgent: bool = False


@dataclass(frozen=True)
class OpenRow:
    incident: Incident
    manager: str | None
    age: float
    since_update: float
    overdue: bool


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    module: str
    function: str
    live_topic: str
    empty: str


SECTIONS = (
    Section("oncall", "On call now and next", "firehouse.schedules.service", "home_rows",
            "oncall", "No schedules yet."),
    Section("alerts", "Firing alerts not in an incident", "firehouse.alerts.service",
            "home_rows", "alert", "Nothing firing outside an incident."),
    Section("pages", "Unacknowledged pages", "firehouse.escalation.service", "home_rows",
            "page", "Every page is acknowledged."),
    Section("deploys", "Recent deploys", "firehouse.alerts.service", "home_change_rows",
            "change", "No recent deploys."),
    Section("updates", "Overdue stakeholder updates", "firehouse.updates.service", "home_rows",
            "incident", "Every stakeholder update is on time."),
    Section("postmortems", "Overdue postmortems", "firehouse.postmortems.service", "home_rows",
            "postmortem", "No overdue postmortems."),
)  # fmt: skip


# the incident page's sections from other domains: fn(session, *, actor, incident_id, now)
INCIDENT_SECTIONS = (
    Section("attached-alerts", "Attached alerts", "firehouse.alerts.service", "incident_rows",
            "alert", "No alerts attached."),
    Section("deliveries", "Delivery log", "firehouse.notify.service", "incident_rows",
            "delivery", "Nothing sent for this incident yet."),
    Section("changes", "Recent changes to affected services", "firehouse.alerts.service",
            "incident_change_rows", "change", "No recent changes."),
)  # fmt: skip


def _provider(section: Section) -> Callable[..., list[HomeRow]] | None:
    try:
        module = importlib.import_module(section.module)
    except ImportError:
        return None
    found = getattr(module, section.function, None)
    return found if callable(found) else None


def provided_sections(
    specs: tuple[Section, ...], session: Session, **arguments: Any
) -> list[dict[str, Any]]:
    """Each spec whose domain provides its function, with the rows it returns."""
    result = []
    for section in specs:
        provider = _provider(section)
        if provider is not None:
            result.append({"section": section, "rows": provider(session, **arguments)})
    return result


def domain_sections(session: Session, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    return provided_sections(SECTIONS, session, actor=actor, now=now)


def last_updates(session: Session, incident_ids: list[int]) -> dict[int, datetime]:
    """When each incident last had a timeline entry (a note, a status change, ...)."""
    if not incident_ids:
        return {}
    rows = session.execute(
        select(TimelineEntry.incident_id, func.max(TimelineEntry.recorded_at))
        .where(TimelineEntry.incident_id.in_(incident_ids))
        .group_by(TimelineEntry.incident_id)
    )
    return {incident_id: when for incident_id, when in rows}


def open_incidents(session: Session, actor: Actor, now: datetime) -> dict[str, Any]:
    rows, _, total = incidents.list_incidents(
        session,
        actor=actor,
        filters=incidents.IncidentFilter(status=list(OPEN_STATUSES)),
        sort="severity",
        limit=HOME_LIMIT,
        with_total=True,
    )
    ids = [i.id for i in rows]
    updates = last_updates(session, ids)
    managers = {
        incident_id: next(
            (r.user_id for r in roles if r.role == IncidentRole.incident_manager), None
        )
        for incident_id, roles in incidents.current_roles(session, ids).items()
    }
    names = {uid: u.name for uid, u in people_by_id(session, managers.values()).items()}
    by_severity: dict[str, list[OpenRow]] = {}
    for incident in rows:
        last = updates.get(incident.id, incident.declared_at)
        cadence = timedelta(minutes=incident.severity.update_every_minutes)
        manager = managers.get(incident.id)
        by_severity.setdefault(incident.severity.key, []).append(
            OpenRow(
                incident=incident,
                manager=names.get(manager) if manager is not None else None,
                age=(now - incident.declared_at).total_seconds(),
                since_update=(now - last).total_seconds(),
                overdue=now - last > cadence,
            )
        )
    return {"groups": by_severity, "total": total or 0, "shown": len(rows)}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: UnitOfWork, principal: CurrentPrincipal) -> Response:
    now = clock.now(session)
    return render(
        request,
        "home.html",
        principal,
        {
            "section": "home",
            "now": now,
            "open": open_incidents(session, principal.actor, now),
            "sections": domain_sections(session, principal.actor, now),
        },
    )
