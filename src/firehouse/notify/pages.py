"""`/profile/notifications`: your contact methods (with a test button), your notification rules
and what was recently sent to you."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse.api.deps import Principal, UnitOfWork
from firehouse.errors import AppError
from firehouse.notify import contacts
from firehouse.notify import log as delivery_log
from firehouse.notify import service as notify
from firehouse.notify.models import MethodKind
from firehouse.web.deps import PagePrincipal, attempt, render

router = APIRouter(include_in_schema=False, prefix="/profile/notifications")
HERE = "/profile/notifications"


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    problem: str | None = None,
    saved: str | None = None,
    status: int = 200,
) -> Response:
    user_id = principal.user.id
    methods = contacts.list_methods(session, user_id=user_id)
    return render(
        request,
        "notify/profile.html",
        principal,
        {
            "section": "profile",
            "methods": methods,
            "labels": {m.id: m.label for m in methods},
            "rules": contacts.list_rules(session, user_id=user_id),
            "kinds": [k.value for k in MethodKind],
            "recent": delivery_log.for_user(session, user_id)[:20],
            "problem": problem,
            "saved": saved,
            "can_write_own": principal.actor.can_write,
        },
        status=status,
    )


def _done(request: Request, session: Session, principal: Principal, exc: AppError) -> Response:
    return _page(request, session, principal, problem=exc.message, status=exc.status_code)


@router.get("", response_class=HTMLResponse)
def notifications(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _page(request, session, principal, saved=request.query_params.get("saved"))


@router.post("/methods", response_class=HTMLResponse)
def add_method(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    kind: Annotated[str, Form(max_length=16)] = "email",
    address: Annotated[str, Form(max_length=2000)] = "",
    label: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        with attempt(session):
            contacts.create_method(
                session,
                actor=principal.actor,
                user_id=principal.user.id,
                kind=kind,
                address=address,
                label=label,
            )
    except AppError as exc:
        return _done(request, session, principal, exc)
    return RedirectResponse(f"{HERE}?saved=method", status_code=303)


@router.post("/methods/{method_id}/test", response_class=HTMLResponse)
def test_method(
    method_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        with attempt(session):
            method = contacts.get_method(session, actor=principal.actor, method_id=method_id)
            contacts.check_owner(principal.actor, method.user_id)
            notify.enqueue(
                session,
                channel=method.kind.channel.value,
                target=method.address,
                subject="firehouse test notification",
                body_text=f"This is a test of your contact method {method.label!r}.\n",
                kind="test",
                urgency="high",
                user_id=method.user_id,
                contact_method_id=method.id,
                payload={"event": "test", "contact_method": method.label},
                secret=method.secret,
            )
    except AppError as exc:
        return _done(request, session, principal, exc)
    return RedirectResponse(f"{HERE}?saved=test", status_code=303)


@router.post("/methods/{method_id}/delete", response_class=HTMLResponse)
def delete_method(
    method_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        with attempt(session):
            contacts.delete_method(session, actor=principal.actor, method_id=method_id)
    except AppError as exc:
        return _done(request, session, principal, exc)
    return RedirectResponse(f"{HERE}?saved=deleted", status_code=303)


@router.post("/rules", response_class=HTMLResponse)
def add_rule(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    contact_method_id: Annotated[int, Form()] = 0,
    urgency: Annotated[str, Form(max_length=8)] = "high",
    delay_minutes: Annotated[int, Form()] = 0,
) -> Response:
    try:
        with attempt(session):
            contacts.create_rule(
                session,
                actor=principal.actor,
                user_id=principal.user.id,
                contact_method_id=contact_method_id,
                urgency=urgency,
                delay_minutes=delay_minutes,
            )
    except AppError as exc:
        return _done(request, session, principal, exc)
    return RedirectResponse(f"{HERE}?saved=rule", status_code=303)


@router.post("/rules/{rule_id}/delete", response_class=HTMLResponse)
def delete_rule(
    rule_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        with attempt(session):
            contacts.delete_rule(session, actor=principal.actor, rule_id=rule_id)
    except AppError as exc:
        return _done(request, session, principal, exc)
    return RedirectResponse(f"{HERE}?saved=deleted", status_code=303)
