"""The form posts of the incident page: lifecycle buttons, roles, checklist, notes, pins,
participants, severity and links. Each is a real HTML form (works without JavaScript); a
refused write re-renders the incident page with the reason and the API's status code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from firehouse import markdown
from firehouse.api.deps import UnitOfWork
from firehouse.errors import AppError, Invalid
from firehouse.incidents import service as incidents
from firehouse.incidents.models import IncidentRole
from firehouse.incidents.pages import (
    links_from_form,
    page_for_error,
    redirect_to,
)
from firehouse.incidents.service.timeline import MAX_NOTE
from firehouse.web.deps import PagePrincipal, attempt

router = APIRouter(include_in_schema=False)
ACTIONS = ("acknowledge", "mitigate", "resolve", "close", "reopen", "cancel")


@router.post("/incidents/{ref}/actions/{action}", response_class=HTMLResponse)
def lifecycle(
    request: Request,
    ref: str,
    action: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        if action not in ACTIONS:
            raise Invalid(f"unknown action {action!r}", field="action")
        with attempt(session):
            incident = incidents.transition(
                session, actor=principal.actor, incident_ref=ref, action=action, reason=reason
            )
    except AppError as exc:
        return page_for_error(request, session, principal, ref, exc)
    return redirect_to(incident.reference)


@router.post("/incidents/{ref}/roles", response_class=HTMLResponse)
def assign_role(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    role: Annotated[IncidentRole, Form()],
    user: Annotated[str, Form(max_length=64)] = "",
    step_down: Annotated[bool, Form()] = False,
) -> Response:
    """Assign (or hand over) a role; an empty user means "I take it"."""
    try:
        with attempt(session):
            if step_down:
                incidents.unassign_role(session, actor=principal.actor, incident_ref=ref, role=role)
            else:
                handle = user.strip().lower() or principal.actor.handle
                incidents.assign_role(
                    session, actor=principal.actor, incident_ref=ref, role=role, handle=handle
                )
    except AppError as exc:
        return page_for_error(request, session, principal, ref, exc)
    return redirect_to(ref, "#roles")


@router.post("/incidents/{ref}/checklist/{item}", response_class=HTMLResponse)
def checklist_item(
    request: Request,
    ref: str,
    item: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    checked: Annotated[bool, Form()] = True,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        with attempt(session):
            if checked:
                incidents.check_item(
                    session, actor=principal.actor, incident_ref=ref, key=item, note=note
                )
            else:
                incidents.uncheck_item(session, actor=principal.actor, incident_ref=ref, key=item)
    except AppError as exc:
        return page_for_error(request, session, principal, ref, exc)
    return redirect_to(ref, "#checklist")


def parse_local_time(value: str, zone: str) -> datetime | None:
    """A `datetime-local` field, read in the user's time zone."""
    if not value.strip():
        return None
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid("use the form YYYY-MM-DDTHH:MM", field="occurred_at") from exc
    if naive.tzinfo is not None:
        return naive
    try:
        where = ZoneInfo(zone)
    except (KeyError, ValueError):
        where = ZoneInfo("UTC")
    return naive.replace(tzinfo=where)


@router.post("/incidents/{ref}/notes", response_class=HTMLResponse)
def add_note(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    body: Annotated[str, Form(max_length=MAX_NOTE)] = "",
    occurred_at: Annotated[str, Form(max_length=40)] = "",
    pinned: Annotated[bool, Form()] = False,
) -> Response:
    try:
        with attempt(session):
            incidents.add_note(
                session,
                actor=principal.actor,
                incident_ref=ref,
                body=body,
                occurred_at=parse_local_time(occurred_at, principal.user.timezone),
                pinned=pinned,
            )
    except AppError as exc:
        return page_for_error(request, session, principal, ref, exc, note=body)
    return redirect_to(ref, "#timeline")


@router.post("/incidents/{ref}/timeline/pin", response_class=HTMLResponse)
def pin(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    pin: Annotated[int | None, Form()] = None,
    unpin: Annotated[int | None, Form()] = None,
) -> Response:
    """One form for the whole timeline: each entry's button sends `pin` or `unpin` = its id."""
    try:
        entry_id = pin if pin is not None else unpin
        if entry_id is None:
            raise Invalid("say which entry to pin or unpin", field="pin")
        with attempt(session):
            incidents.set_pinned(
                session,
                actor=principal.actor,
                incident_ref=ref,
                entry_id=entry_id,
                pinned=pin is not None,
            )
    except AppError as exc:
        return page_for_error(request, session, principal, ref, exc)
    return redirect_to(ref, f"#entry-{entry_id}")


@router.post("/incidents/{ref}/participants", response_class=HTMLResponse)
def participate(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    leave: Annotated[bool, Form()] = False,
) -> Response:
    """Join or leave the incident yourself."""
    try:
        with attempt(session):
            if leave:
                incidents.leave(
                    session, actor=principal.actor, incident_ref=ref, handle=principal.actor.handle
                )
            else:
                incidents.join(
                    session, actor=principal.actor, incident_ref=ref, handle=principal.actor.handle
                )
    except AppError as exc:
        return page_for_error(request, session, principal, ref, exc)
    return redirect_to(ref, "#participants")


@router.post("/incidents/{ref}/edit", response_class=HTMLResponse)
def edit(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    severity: Annotated[str, Form(max_length=16)] = "",
    dashboard: Annotated[str, Form(max_length=2000)] = "",
    chat: Annotated[str, Form(max_length=2000)] = "",
    bridge: Annotated[str, Form(max_length=2000)] = "",
    runbook: Annotated[str, Form(max_length=2000)] = "",
    links: Annotated[bool, Form()] = False,
) -> Response:
    """Change the severity, or (with `links`) the incident's links."""
    try:
        changes: dict[str, object] = {}
        if severity:
            changes["severity"] = severity
        if links:
            changes["links"] = links_from_form(
                {"dashboard": dashboard, "chat": chat, "bridge": bridge, "runbook": runbook}
            )
        with attempt(session):
            incidents.update_fields(
                session, actor=principal.actor, incident_ref=ref, changes=changes
            )
    except AppError as exc:
        return page_for_error(request, session, principal, ref, exc)
    return redirect_to(ref)


@router.post("/preview", response_class=HTMLResponse)
def preview(
    principal: PagePrincipal, body: Annotated[str, Form(max_length=MAX_NOTE)] = ""
) -> Response:
    """Markdown rendered (raw HTML off, then sanitized) exactly as the timeline will show it."""
    return HTMLResponse(markdown.render(body) or '<p class="calm">Nothing to preview.</p>')
