"""The communication page of an incident (/statuspage/incident/INC-42): the stakeholder update
form and what was sent, and the incident's public incidents with a form to publish."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from firehouse.api.deps import Principal, UnitOfWork
from firehouse.errors import AppError
from firehouse.incidents import service as incidents
from firehouse.statuspage import service as status
from firehouse.statuspage.models import ComponentStatus, PublicStatus
from firehouse.statuspage.pages import _back, _base, _when
from firehouse.updates import service as updates
from firehouse.web.deps import PagePrincipal, attempt, render

router = APIRouter(include_in_schema=False)


def communicate_page(
    request: Request,
    session: Session,
    principal: Principal,
    ref: str,
    error: AppError | None = None,
) -> Response:
    incident = incidents.get_incident(session, principal.actor, ref)
    public = status.for_incident(session, actor=principal.actor, incident_ref=ref)
    return render(
        request,
        "statuspage/communicate.html",
        principal,
        {
            "section": "statuspage",
            "problem": error.message if error else None,
            "incident": incident,
            "sent": updates.list_updates(session, actor=principal.actor, incident_ref=ref),
            "templates": list(updates.TEMPLATES.values()),
            "lists": updates.list_lists(session),
            "teams": _teams(session),
            "public": public,
            "public_updates": status.updates_of(session, [p.id for p in public]),
            "components": status.list_components(session),
            "statuses": list(ComponentStatus),
            "public_statuses": list(PublicStatus),
            "may_publish": status.may_publish(session, principal.actor, incident),
            "overdue": {o.reference for o in updates.overdue_updates(session, principal.actor)},
        },
        status=error.status_code if error else 200,
    )


def _teams(session: Session) -> list[Any]:
    from firehouse.people import service as people

    return people.list_teams(session)


@router.get("/statuspage/incident/{ref}", response_class=HTMLResponse)
def communicate(
    request: Request, ref: str, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    return communicate_page(request, session, principal, ref)


@router.post("/statuspage/incident/{ref}/updates", response_class=HTMLResponse)
def send_update(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    template: Annotated[str, Form(max_length=32)] = "update",
    impact: Annotated[str, Form(max_length=5000)] = "",
    current_actions: Annotated[str, Form(max_length=5000)] = "",
    next_update_at: Annotated[str, Form(max_length=40)] = "",
    audiences: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        with attempt(session):
            updates.send_update(
                session,
                actor=principal.actor,
                incident_ref=ref,
                draft=updates.Draft(
                    template=template,
                    impact=impact,
                    current_actions=current_actions,
                    next_update_at=_when(next_update_at, "next_update_at")
                    if next_update_at.strip()
                    else None,
                    audiences=tuple(audiences or ()),
                ),
                base_url=_base(request),
            )
    except AppError as exc:
        return communicate_page(request, session, principal, ref, exc)
    return _back(f"/statuspage/incident/{ref}")
