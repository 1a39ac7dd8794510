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
from firehouse.incidents.models import (
    OPEN_STATUSES,
    Incident,
    IncidentRole,
    Kind,
    RoleAssignment,
    Severity,
    TimelineEntry,
)
from firehouse.people.models import User
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


@dataclass(slots=True)
class OpenRow:
    """One open incident as the home page shows it (columns, not a loaded Incident)."""

    reference: str
    title: str
    status: str
    drill: bool
    restricted: bool
    manager: str | None
    age: float
    since_update: float
    overdue: bool


@dataclass(slots=True)
class SeverityGroup:
    key: str
    name: str
    rank: int
    cadence: timedelta  # stakeholder updates are due this often
    rows: list[OpenRow]


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


def _managers(session: Session, incident_ids: list[int]) -> dict[int, str]:
    """The name of each incident's current incident manager, in one query."""
    if not incident_ids:
        return {}
    rows = session.execute(
        select(RoleAssignment.incident_id, User.name)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.incident_id.in_(incident_ids),
            RoleAssignment.role == IncidentRole.incident_manager,
            RoleAssignment.ended_at.is_(None),
        )
    )
    return {incident_id: name for incident_id, name in rows}


def open_incidents(session: Session, actor: Actor, now: datetime) -> dict[str, Any]:
    """The open incidents `actor` may see, most severe first and newest first within a
    severity, as columns: loading whole incidents (and their severities' checklists) per row
    cost most of the page."""
    visible = (Incident.status.in_(OPEN_STATUSES), incidents.visible_to(actor))
    rows = session.execute(
        select(
            Incident.id,
            Incident.number,
            Incident.title,
            Incident.status,
            Incident.kind,
            Incident.restricted,
            Incident.declared_at,
            Severity.key,
            Severity.name,
            Severity.rank,
            Severity.update_every_minutes,
        )
        .join(Severity, Severity.id == Incident.severity_id)
        .where(*visible)
        .order_by(Severity.rank, Incident.declared_at.desc(), Incident.id.desc())
        .limit(HOME_LIMIT)
    ).all()
    total = len(rows)
    if total == HOME_LIMIT:
        total = session.scalar(select(func.count(Incident.id)).where(*visible)) or 0
    ids = [r.id for r in rows]
    updates = last_updates(session, ids)
    managers = _managers(session, ids)
    groups: dict[str, SeverityGroup] = {}
    for r in rows:
        group = groups.get(r.key)
        if group is None:
            group = groups[r.key] = SeverityGroup(
                r.key, r.name, r.rank, timedelta(minutes=r.update_every_minutes), []
            )
        since_update = now - updates.get(r.id, r.declared_at)
        group.rows.append(
            OpenRow(
                reference=f"INC-{r.number}",
                title=r.title,
                status=r.status.value,
                drill=r.kind == Kind.drill,
                restricted=r.restricted,
                manager=managers.get(r.id),
                age=(now - r.declared_at).total_seconds(),
                since_update=since_update.total_seconds(),
                overdue=since_update > group.cadence,
            )
        )
    return {"groups": list(groups.values()), "total": total, "shown": len(rows)}


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
