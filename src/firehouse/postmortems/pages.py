"""Postmortem pages: the list (overdue highlighted) with search, the editor per incident, and
the action item lists. Form posts go to the same services as the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse import clock, markdown
from firehouse.actor import Actor
from firehouse.api.deps import Principal, UnitOfWork
from firehouse.errors import AppError, Invalid, NotFound
from firehouse.incidents import service as incidents
from firehouse.postmortems import present
from firehouse.postmortems import service as postmortems
from firehouse.postmortems.models import ActionCategory, ActionStatus, Priority
from firehouse.postmortems.service import template_files
from firehouse.web.deps import PagePrincipal, attempt, error_page, render

router = APIRouter(include_in_schema=False)
_BACK = re.compile(r"/actions(\?view=[a-z]+)?|/incidents/INC-[0-9]+/postmortem#actions")
VIEWS = {"mine": "Mine", "team": "My teams", "overdue": "Overdue", "all": "All open"}
STEPS: dict[str, Callable[..., object]] = {
    "regenerate": postmortems.regenerate,
    "submit": postmortems.submit_for_review,
    "approve": postmortems.approve,
    "publish": postmortems.publish,
    "approve-customer": postmortems.approve_customer_review,
}


def _to(ref: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/incidents/{ref}/postmortem{anchor}", status_code=303)


def _date(value: str, field: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=UTC)
    except ValueError:
        raise Invalid("use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)", field=field) from None


@router.get("/postmortems", response_class=HTMLResponse)
def postmortem_list(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    overdue: bool = False,
    mine: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    filters = postmortems.PostmortemFilter(owner="me" if mine else None, overdue=overdue)
    rows = postmortems.list_postmortems(session, actor=principal.actor, filters=filters)
    hits: list[dict[str, Any]] = []
    problem = None
    if q and q.strip():
        try:
            hits = [
                {"hit": h, "html": markdown.render(h.snippet)}
                for h in postmortems.search(session, actor=principal.actor, query=q)
            ]
        except AppError as exc:
            problem = exc.message
    return render(
        request,
        "postmortems/list.html",
        principal,
        {
            "section": "postmortems",
            "items": present.postmortem_summaries(session, rows).items,
            "overdue": overdue,
            "mine": mine,
            "q": q or "",
            "hits": hits,
            "problem": problem,
        },
    )


@router.get("/actions", response_class=HTMLResponse)
def action_list(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    view: Annotated[str, Query(max_length=16)] = "mine",
    category: ActionCategory | None = None,
) -> Response:
    view = view if view in VIEWS else "mine"
    filters = postmortems.ActionFilter(
        owner="me" if view == "mine" else None,
        team="mine" if view == "team" else None,
        overdue=view == "overdue",
        category=[category] if category else [],
    )
    items = postmortems.list_actions(session, actor=principal.actor, filters=filters)
    return render(
        request,
        "postmortems/actions.html",
        principal,
        {
            "section": "postmortems",
            "items": present.actions_read(session, items),
            "view": view,
            "views": VIEWS,
            "category": category,
            "categories": list(ActionCategory),
            "statuses": list(ActionStatus),
        },
    )


def _editor(
    request: Request,
    session: Session,
    principal: Principal,
    ref: str,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    actor: Actor = principal.actor
    incident = incidents.get_incident(session, actor, ref)
    context: dict[str, Any] = {
        "section": "postmortems",
        "incident": incident,
        "problem": problem,
        "templates": template_files.TEMPLATES,
        "suggested": template_files.choose(
            type_key=incident.type.key, postmortem_required=incident.severity.postmortem_required
        ),
        "pm": None,
    }
    try:
        _, postmortem = postmortems.find(session, actor=actor, incident_ref=ref)
    except NotFound:
        return render(request, "postmortems/editor.html", principal, context, status=status)
    read = present.postmortem_read(session, postmortem, incident)
    actions = postmortems.list_actions(
        session, actor=actor, filters=postmortems.ActionFilter(incident=ref)
    )
    context.update(
        {
            "pm": read,
            "rendered": {s.key: markdown.render(s.body) for s in read.sections},
            "customer_html": markdown.render(read.customer_review.text),
            "actions": present.actions_read(session, actions),
            "categories": list(ActionCategory),
            "priorities": list(Priority),
            "statuses": list(ActionStatus),
            "now": clock.now(session),
        }
    )
    return render(request, "postmortems/editor.html", principal, context, status=status)


@router.get("/incidents/{ref}/postmortem", response_class=HTMLResponse)
def editor(request: Request, ref: str, session: UnitOfWork, principal: PagePrincipal) -> Response:
    try:
        return _editor(request, session, principal, ref)
    except AppError as exc:
        return error_page(request, principal, exc, back="/postmortems")


def _failed(
    request: Request, session: Session, principal: Principal, ref: str, exc: AppError
) -> Response:
    try:
        return _editor(request, session, principal, ref, exc.message, exc.status_code)
    except AppError:
        return error_page(request, principal, exc, back="/postmortems")


@router.post("/incidents/{ref}/postmortem", response_class=HTMLResponse)
def create(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    template: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        with attempt(session):
            postmortems.create_postmortem(
                session, actor=principal.actor, incident_ref=ref, template=template or None
            )
    except AppError as exc:
        return _failed(request, session, principal, ref, exc)
    return _to(ref)


@router.post("/incidents/{ref}/postmortem/sections/{key}", response_class=HTMLResponse)
def write_section(
    request: Request,
    ref: str,
    key: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    body: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    try:
        with attempt(session):
            postmortems.edit_section(
                session, actor=principal.actor, incident_ref=ref, key=key, body=body
            )
    except AppError as exc:
        return _failed(request, session, principal, ref, exc)
    return _to(ref, f"#s-{key}")


@router.post("/incidents/{ref}/postmortem/do/{step}", response_class=HTMLResponse)
def workflow_step(
    request: Request, ref: str, step: str, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        if step not in STEPS:
            raise Invalid(f"unknown step {step!r}", field="step")
        with attempt(session):
            STEPS[step](session, actor=principal.actor, incident_ref=ref)
    except AppError as exc:
        return _failed(request, session, principal, ref, exc)
    return _to(ref)


@router.post("/incidents/{ref}/postmortem/people", response_class=HTMLResponse)
def people_form(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    owner: Annotated[str, Form(max_length=64)] = "",
    reviewer: Annotated[str, Form(max_length=64)] = "",
    due: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Owner, due date, and one more reviewer."""
    try:
        with attempt(session):
            changes: dict[str, Any] = {}
            if owner.strip():
                changes["owner"] = owner.strip().lower()
            if due.strip():
                changes["due_at"] = _date(due, "due")
            if changes:
                postmortems.update_postmortem(
                    session, actor=principal.actor, incident_ref=ref, changes=changes
                )
            if reviewer.strip():
                postmortems.add_reviewer(
                    session,
                    actor=principal.actor,
                    incident_ref=ref,
                    handle=reviewer.strip().lower(),
                )
    except AppError as exc:
        return _failed(request, session, principal, ref, exc)
    return _to(ref, "#people")


@router.post("/incidents/{ref}/postmortem/retrospective", response_class=HTMLResponse)
def retrospective_form(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    facilitator: Annotated[str, Form(max_length=64)] = "",
    held_at: Annotated[str, Form(max_length=32)] = "",
    attendees: Annotated[str, Form(max_length=5000)] = "",
    notes: Annotated[str, Form(max_length=100_000)] = "",
    decisions: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        with attempt(session):
            postmortems.record_retrospective(
                session,
                actor=principal.actor,
                incident_ref=ref,
                facilitator=facilitator.strip().lower() or None,
                held_at=_date(held_at, "held_at"),
                attendees=[
                    h.strip().lower().lstrip("@") for h in attendees.split(",") if h.strip()
                ],
                notes=notes,
                decisions=decisions.splitlines(),
            )
    except AppError as exc:
        return _failed(request, session, principal, ref, exc)
    return _to(ref, "#retrospective")


@router.post("/incidents/{ref}/postmortem/customer-review", response_class=HTMLResponse)
def customer_review_form(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    text: Annotated[str, Form(max_length=100_000)] = "",
    reviewer: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        with attempt(session):
            postmortems.update_customer_review(
                session,
                actor=principal.actor,
                incident_ref=ref,
                text=text if text.strip() else None,
                reviewer=reviewer.strip().lower() or None,
            )
    except AppError as exc:
        return _failed(request, session, principal, ref, exc)
    return _to(ref, "#customer")


@router.post("/incidents/{ref}/postmortem/actions", response_class=HTMLResponse)
def add_action(
    request: Request,
    ref: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    title: Annotated[str, Form(max_length=300)] = "",
    category: Annotated[ActionCategory, Form()] = ActionCategory.other,
    priority: Annotated[Priority, Form()] = Priority.medium,
    owner: Annotated[str, Form(max_length=64)] = "",
    due: Annotated[str, Form(max_length=32)] = "",
    tracker_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        with attempt(session):
            postmortems.create_action(
                session,
                actor=principal.actor,
                incident_ref=ref,
                title=title,
                category=category,
                priority=priority,
                owner=owner.strip().lower() or None,
                due_at=_date(due, "due"),
                tracker_url=tracker_url.strip() or None,
            )
    except AppError as exc:
        return _failed(request, session, principal, ref, exc)
    return _to(ref, "#actions")


@router.post("/actions/{action_id}", response_class=HTMLResponse)
def update_action(
    request: Request,
    action_id: int,
    session: UnitOfWork,
    principal: PagePrincipal,
    status: Annotated[ActionStatus, Form()],
    reason: Annotated[str, Form(max_length=10_000)] = "",
    back: Annotated[str, Form(max_length=300)] = "/actions",
) -> Response:
    try:
        with attempt(session):
            postmortems.update_action(
                session,
                actor=principal.actor,
                action_id=action_id,
                changes={"status": status, "reason": reason} if reason else {"status": status},
            )
    except AppError as exc:
        return error_page(request, principal, exc, back="/actions")
    target = back if _BACK.fullmatch(back) else "/actions"
    return RedirectResponse(target, status_code=303)
