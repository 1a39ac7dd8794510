"""Incident pages: the list with filters and search, the declare form and the incident page.
The buttons on the incident page post to the routes in `page_actions`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock, markdown
from firehouse.api.deps import Principal, UnitOfWork
from firehouse.catalog import service as catalog
from firehouse.errors import AppError, Forbidden, Invalid
from firehouse.incidents import present, schemas
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident, IncidentRole, Kind, Status, TimelineEntry
from firehouse.incidents.schemas import PersonRef
from firehouse.incidents.service.checklist import missing_items
from firehouse.incidents.service.lifecycle import Declaration, can_close
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.web import home
from firehouse.web.deps import PagePrincipal, attempt, error_page, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
TIMELINE_PAGE = 200  # newest entries on the incident page; `?timeline=all` shows every one
ROLE_LABELS = {
    IncidentRole.incident_manager: "Incident manager",
    IncidentRole.communications_lead: "Communications lead",
    IncidentRole.technical_lead: "Technical lead",
    IncidentRole.scribe: "Scribe",
    IncidentRole.retrospective_leader: "Retrospective leader",
    IncidentRole.on_call_engineer: "On-call engineer",
}
ACTION_LABELS = {
    "acknowledge": "Acknowledge",
    "mitigate": "Mitigate",
    "resolve": "Resolve",
    "close": "Close",
    "reopen": "Reopen",
    "cancel": "Cancel incident",
}


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    status: Annotated[list[Status] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    kind: Annotated[Kind | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    filters = incidents.IncidentFilter(
        status=status or [],
        severity=severity or [],
        kind=kind,
        text=q.strip() if q and q.strip() else None,
    )
    try:
        rows, next_cursor, total = incidents.list_incidents(
            session,
            actor=principal.actor,
            filters=filters,
            limit=PAGE_SIZE,
            cursor=cursor or None,
            with_total=True,
        )
    except AppError as exc:
        return error_page(request, principal, exc, back="/incidents")
    query = [("status", s.value) for s in filters.status]
    query += [("severity", s) for s in filters.severity]
    if kind:
        query.append(("kind", kind.value))
    if filters.text:
        query.append(("q", filters.text))
    return render(
        request,
        "incidents/list.html",
        principal,
        {
            "section": "incidents",
            "items": present.incidents_read(session, rows),
            "total": total,
            "next_cursor": next_cursor,
            "query": query,
            "filters": filters,
            "statuses": list(Status),
            "severities": incidents.list_severities(session),
            "now": clock.now(session),
        },
    )


def _declare_form(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, Any],
    problem: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "incidents/new.html",
        principal,
        {
            "section": "incidents",
            "severities": incidents.list_severities(session),
            "types": incidents.list_types(session),
            "services": catalog.list_services(session),
            "teams": people.list_teams(session),
            "values": values,
            "problem": problem,
        },
        status=status,
    )


@router.get("/incidents/new", response_class=HTMLResponse)
def declare_form(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    if not (principal.actor.can_write and principal.actor.has(Role.responder)):
        refused = Forbidden("declaring an incident needs the responder role or higher")
        return error_page(request, principal, refused, back="/incidents")
    return _declare_form(request, session, principal, {"severity": "SEV3", "type": "operational"})


@router.post("/incidents", response_class=HTMLResponse)
def declare(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    title: Annotated[str, Form(max_length=300)] = "",
    severity: Annotated[str, Form(max_length=16)] = "",
    type: Annotated[str, Form(max_length=32)] = "operational",
    summary: Annotated[str, Form(max_length=20_000)] = "",
    services: Annotated[list[str] | None, Form()] = None,
    team: Annotated[str, Form(max_length=64)] = "",
    customer_facing: Annotated[bool, Form()] = False,
    drill: Annotated[bool, Form()] = False,
) -> Response:
    values = {
        "title": title,
        "severity": severity,
        "type": type,
        "summary": summary,
        "services": services or [],
        "team": team,
        "customer_facing": customer_facing,
        "drill": drill,
    }
    if not title.strip():
        return _declare_form(
            request, session, principal, values, "An incident needs a title.", status=422
        )
    try:
        with attempt(session):
            incident = incidents.declare(
                session,
                actor=principal.actor,
                spec=Declaration(
                    title=title.strip(),
                    severity=severity,
                    type=type or "operational",
                    summary=summary,
                    kind=Kind.drill if drill else Kind.real,
                    team=team or None,
                    services=[s for s in services or [] if s],
                    customer_facing=customer_facing,
                ),
            )
    except AppError as exc:
        if exc.status_code in (403, 404):
            return error_page(request, principal, exc, back="/incidents")
        return _declare_form(
            request, session, principal, values, exc.message, status=exc.status_code
        )
    return RedirectResponse(f"/incidents/{incident.reference}", status_code=303)


@lru_cache(maxsize=8192)
def note_html(body: str) -> str:
    """Markdown is pure, so a note renders once per process, not on every page view."""
    return markdown.render(body)


@dataclass(frozen=True)
class EntryView:
    id: int
    incident: str
    kind: str
    body: str
    html: str
    occurred_at: datetime
    author: PersonRef | None
    pinned: bool


def timeline_view(
    session: Session, incident: Incident, *, newest: int | None
) -> tuple[list[EntryView], int]:
    """The incident's timeline newest first (with the entries of incidents merged into it), at
    most `newest` entries, and how many there are in all. Reads the columns the page shows, not
    whole entries: the page with 1,000 entries spent most of its time loading them."""
    references = {incident.id: incident.reference}
    merged = session.execute(
        select(Incident.id, Incident.number).where(Incident.merged_into_id == incident.id)
    )
    references.update((incident_id, f"INC-{number}") for incident_id, number in merged)
    where = TimelineEntry.incident_id.in_(references)
    query = (
        select(
            TimelineEntry.id,
            TimelineEntry.incident_id,
            TimelineEntry.kind,
            TimelineEntry.body,
            TimelineEntry.occurred_at,
            TimelineEntry.author_id,
            TimelineEntry.pinned,
        )
        .where(where)
        .order_by(TimelineEntry.occurred_at.desc(), TimelineEntry.id.desc())
    )
    if newest is not None:
        query = query.limit(newest)
    entries = session.execute(query).all()
    total = len(entries)
    if newest is not None and total == newest:
        total = session.scalar(select(func.count()).select_from(TimelineEntry).where(where)) or 0
    users = present.people_by_id(session, {e.author_id for e in entries})
    authors = {uid: present.person(user) for uid, user in users.items()}
    views = [
        EntryView(
            id=e.id,
            incident=references[e.incident_id],
            kind=e.kind,
            body=e.body,
            html=note_html(e.body) if e.kind == "note" else "",
            occurred_at=e.occurred_at,
            author=authors.get(e.author_id) if e.author_id is not None else None,
            pinned=e.pinned,
        )
        for e in entries
    ]
    return views, total


def incident_page(
    request: Request,
    session: Session,
    principal: Principal,
    ref: str,
    *,
    problem: str | None = None,
    status: int = 200,
    note: str = "",
    everything: bool = False,
) -> Response:
    """The incident page; the timeline shows its newest entries unless `everything`."""
    actor = principal.actor
    try:
        incident = incidents.get_incident(session, actor, ref)
    except AppError as exc:
        return error_page(request, principal, exc, back="/incidents")
    read = present.incident_read(session, incident)
    ref = incident.reference
    shown, timeline_total = timeline_view(
        session, incident, newest=None if everything else TIMELINE_PAGE
    )
    checklist = present.checklist_read(
        session, incidents.checklist(session, actor=actor, incident_ref=ref)
    )
    participants = present.participants_read(
        session, incidents.participants(session, actor=actor, incident_ref=ref)
    )
    here = [p for p in participants if p.left_at is None]
    return render(
        request,
        "incidents/show.html",
        principal,
        {
            "section": "incidents",
            "i": read,
            "summary_html": markdown.render(read.summary) if read.summary else "",
            "incident_id": incident.id,
            "timeline": shown,
            "timeline_total": timeline_total,
            "timeline_hidden": timeline_total - len(shown),
            "checklist": checklist,
            "missing": missing_items(session, incident),
            "may_close": can_close(session, actor, incident),
            "participants": here,
            "joined": any(p.user.id == actor.user_id for p in here),
            "roles": ROLE_LABELS,
            "action_labels": ACTION_LABELS,
            "severities": incidents.list_severities(session),
            "users": people.list_users(session),
            "sections": home.provided_sections(
                home.INCIDENT_SECTIONS,
                session,
                actor=actor,
                incident_id=incident.id,
                now=clock.now(session),
            ),
            "problem": problem,
            "note": note,
            "now": clock.now(session),
        },
        status=status,
    )


@router.get("/incidents/{ref}", response_class=HTMLResponse)
def show(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    timeline: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    return incident_page(request, session, principal, ref, everything=timeline == "all")


def links_from_form(values: dict[str, str]) -> dict[str, str]:
    """The four link fields as the incident stores them; 422 naming a bad URL."""
    try:
        parsed = schemas.Links(**{k: v.strip() for k, v in values.items() if v.strip()})
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "links"
        raise Invalid(f"{field}: not a valid http(s) URL", field=field) from exc
    return {k: str(v) for k, v in parsed.model_dump().items() if v}


def form_value(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def redirect_to(ref: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/incidents/{ref}{anchor}", status_code=303)


def page_for_error(
    request: Request,
    session: Session,
    principal: Principal,
    ref: str,
    exc: AppError,
    note: str = "",
) -> Response:
    if exc.status_code == 404:
        return error_page(request, principal, exc, back="/incidents")
    message = exc.message
    details = exc.details if isinstance(exc.details, dict) else {}
    if details.get("missing"):
        labels = ", ".join(item["label"] for item in details["missing"])
        message = f"{message}: {labels}"
    return incident_page(
        request, session, principal, ref, problem=message, status=exc.status_code, note=note
    )
