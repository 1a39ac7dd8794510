"""Contact methods (with a test button), notification rules and what was recently sent: your
own at `/profile/notifications`, anyone's for admins at `/admin/users/{handle}/notifications`.
Both serve the same forms through the same service functions (which check who may write)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse.api.deps import Principal, UnitOfWork
from firehouse.errors import AppError, Forbidden, NotFound
from firehouse.notify import contacts
from firehouse.notify import log as delivery_log
from firehouse.notify import service as notify
from firehouse.notify.models import ContactMethod, MethodKind, NotificationRule
from firehouse.people import service as people
from firehouse.people.models import Role, User
from firehouse.web.deps import PagePrincipal, attempt, error_page, render

router = APIRouter(include_in_schema=False, prefix="/profile/notifications")
admin_router = APIRouter(include_in_schema=False, prefix="/admin/users/{handle}/notifications")
HERE = "/profile/notifications"


@dataclass(frozen=True)
class _Whose:
    """The person whose methods a page shows, and where its forms post."""

    user: User
    base: str
    own: bool


def _mine(principal: Principal) -> _Whose:
    return _Whose(user=principal.user, base=HERE, own=True)


def _theirs(session: Session, principal: Principal, handle: str) -> _Whose:
    """Another person's methods: admins only (read-only tokens may look)."""
    if not principal.actor.has(Role.admin):
        raise Forbidden("only admins manage other people's contact methods")
    user = people.find_user(session, handle)
    return _Whose(user=user, base=f"/admin/users/{user.handle}/notifications", own=False)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    whose: _Whose,
    *,
    problem: str | None = None,
    saved: str | None = None,
    status: int = 200,
) -> Response:
    user_id = whose.user.id
    methods = contacts.list_methods(session, user_id=user_id)
    return render(
        request,
        "notify/profile.html",
        principal,
        {
            "section": "profile" if whose.own else "admin",
            "whose": whose,
            "base": whose.base,
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


def _method_of(session: Session, principal: Principal, whose: _Whose, method_id: int) -> int:
    """`method_id` if it is one of `whose`'s methods (another person's is a 404 here)."""
    method = contacts.get_method(session, actor=principal.actor, method_id=method_id)
    if method.user_id != whose.user.id:
        raise NotFound(f"no contact method {method_id} of @{whose.user.handle}")
    return method.id


def _rule_of(session: Session, whose: _Whose, rule_id: int) -> int:
    rule = session.get(NotificationRule, rule_id)
    if rule is None or rule.user_id != whose.user.id:
        raise NotFound(f"no notification rule {rule_id} of @{whose.user.handle}")
    return rule.id


def _send_test(session: Session, principal: Principal, method: ContactMethod) -> None:
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


def _whose(request: Request, session: UnitOfWork, principal: PagePrincipal) -> _Whose | AppError:
    handle = request.path_params.get("handle")
    if handle is None:
        return _mine(principal)
    try:
        return _theirs(session, principal, str(handle))
    except AppError as exc:
        return exc


Whose = Annotated[_Whose | AppError, Depends(_whose)]


def _apply(
    request: Request,
    session: Session,
    principal: Principal,
    whose: _Whose | AppError,
    change: Callable[[_Whose], str],
) -> Response:
    """Run one write for `whose`; on refusal show the page again with the reason."""
    if isinstance(whose, AppError):
        return error_page(request, principal, whose, back="/admin/users")
    if not principal.actor.can_write:
        return error_page(request, principal, Forbidden("this token is read-only"), back=whose.base)
    try:
        with attempt(session):
            saved = change(whose)
    except AppError as exc:
        if exc.status_code == 403:
            return error_page(request, principal, exc, back=whose.base)
        return _page(
            request, session, principal, whose, problem=exc.message, status=exc.status_code
        )
    return RedirectResponse(f"{whose.base}?saved={saved}", status_code=303)


@router.get("", response_class=HTMLResponse)
@admin_router.get("", response_class=HTMLResponse)
def notifications(
    request: Request, session: UnitOfWork, principal: PagePrincipal, whose: Whose
) -> Response:
    if isinstance(whose, AppError):
        return error_page(request, principal, whose, back="/admin/users")
    return _page(request, session, principal, whose, saved=request.query_params.get("saved"))


@router.post("/methods", response_class=HTMLResponse)
@admin_router.post("/methods", response_class=HTMLResponse)
def add_method(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    whose: Whose,
    kind: Annotated[str, Form(max_length=16)] = "email",
    address: Annotated[str, Form(max_length=2000)] = "",
    label: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    def change(whose: _Whose) -> str:
        contacts.create_method(
            session,
            actor=principal.actor,
            user_id=whose.user.id,
            kind=kind,
            address=address,
            label=label,
        )
        return "method"

    return _apply(request, session, principal, whose, change)


@router.post("/methods/{method_id}", response_class=HTMLResponse)
@admin_router.post("/methods/{method_id}", response_class=HTMLResponse)
def edit_method(
    method_id: int,
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    whose: Whose,
    address: Annotated[str, Form(max_length=2000)] = "",
    label: Annotated[str, Form(max_length=100)] = "",
    enabled: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Change a method's address or label, or turn it off (an unchecked box sends nothing)."""

    def change(whose: _Whose) -> str:
        contacts.update_method(
            session,
            actor=principal.actor,
            method_id=_method_of(session, principal, whose, method_id),
            changes={
                "address": address or None,
                "label": label or None,
                "enabled": enabled == "true",
            },
        )
        return "method"

    return _apply(request, session, principal, whose, change)


@router.post("/methods/{method_id}/test", response_class=HTMLResponse)
@admin_router.post("/methods/{method_id}/test", response_class=HTMLResponse)
def test_method(
    method_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal, whose: Whose
) -> Response:
    """Queue a test message: it shows as sent (or why not) in the list of recent messages,
    which is how a person (or an admin for them) checks that a method works."""

    def change(whose: _Whose) -> str:
        found = _method_of(session, principal, whose, method_id)
        _send_test(
            session, principal, contacts.get_method(session, actor=principal.actor, method_id=found)
        )
        return "test"

    return _apply(request, session, principal, whose, change)


@router.post("/methods/{method_id}/delete", response_class=HTMLResponse)
@admin_router.post("/methods/{method_id}/delete", response_class=HTMLResponse)
def delete_method(
    method_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal, whose: Whose
) -> Response:
    def change(whose: _Whose) -> str:
        found = _method_of(session, principal, whose, method_id)
        contacts.delete_method(session, actor=principal.actor, method_id=found)
        return "deleted"

    return _apply(request, session, principal, whose, change)


@router.post("/rules", response_class=HTMLResponse)
@admin_router.post("/rules", response_class=HTMLResponse)
def add_rule(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    whose: Whose,
    contact_method_id: Annotated[int, Form()] = 0,
    urgency: Annotated[str, Form(max_length=8)] = "high",
    delay_minutes: Annotated[int, Form()] = 0,
) -> Response:
    def change(whose: _Whose) -> str:
        contacts.create_rule(
            session,
            actor=principal.actor,
            user_id=whose.user.id,
            contact_method_id=contact_method_id,
            urgency=urgency,
            delay_minutes=delay_minutes,
        )
        return "rule"

    return _apply(request, session, principal, whose, change)


@router.post("/rules/{rule_id}/delete", response_class=HTMLResponse)
@admin_router.post("/rules/{rule_id}/delete", response_class=HTMLResponse)
def delete_rule(
    rule_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal, whose: Whose
) -> Response:
    def change(whose: _Whose) -> str:
        found = _rule_of(session, whose, rule_id)
        contacts.delete_rule(session, actor=principal.actor, rule_id=found)
        return "deleted"

    return _apply(request, session, principal, whose, change)
