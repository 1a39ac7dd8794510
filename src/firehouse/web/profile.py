"""`/profile`: the signed-in user's name, time zone, password and API tokens (a new token's
secret is shown once, on the page that answers the form, and never stored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse.actor import require_writer
from firehouse.api.deps import SESSION_COOKIE, Principal, UnitOfWork
from firehouse.auth import service as auth
from firehouse.auth.models import TokenScope
from firehouse.errors import AppError, Invalid
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.web.deps import PagePrincipal, attempt, render

router = APIRouter(include_in_schema=False, prefix="/profile")
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
    "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
)  # fmt: skip


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    problem: str | None = None,
    status: int = 200,
    new_token: str | None = None,
    saved: str | None = None,
) -> Response:
    assert principal.actor.user_id is not None
    return render(
        request,
        "profile.html",
        principal,
        {
            "section": "profile",
            "tokens": auth.list_tokens(session, user_id=principal.actor.user_id),
            "zones": COMMON_ZONES,
            "problem": problem,
            "new_token": new_token,
            "saved": saved,
            "can_write_own": principal.actor.can_write,
        },
        status=status,
    )


@router.get("", response_class=HTMLResponse)
def profile(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _page(request, session, principal)


def _refused(request: Request, session: Session, principal: Principal, exc: AppError) -> Response:
    return _page(request, session, principal, problem=exc.message, status=exc.status_code)


@router.post("", response_class=HTMLResponse)
def update_profile(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
) -> Response:
    try:
        require_writer(principal.actor, Role.viewer)
        if not name.strip():
            raise Invalid("your name cannot be empty", field="name")
        with attempt(session):
            people.update_user(
                session,
                actor=principal.actor,
                user_id=principal.user.id,
                changes={"name": name.strip(), "timezone": timezone.strip()},
            )
    except AppError as exc:
        return _refused(request, session, principal, exc)
    return RedirectResponse("/profile", status_code=303)


@router.post("/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Every session of the user ends (this one too): log in again with the new password."""
    try:
        require_writer(principal.actor, Role.viewer)
        if not auth.check_password(principal.user, current):
            raise Invalid("the current password is wrong", field="current")
        with attempt(session):
            auth.set_password(
                session, actor=principal.actor, user_id=principal.user.id, password=new
            )
    except AppError as exc:
        return _refused(request, session, principal, exc)
    response = RedirectResponse("/login?next=/profile", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[TokenScope, Form()] = TokenScope.read,
    expires_in: Annotated[str, Form(max_length=16)] = "90d",
) -> Response:
    try:
        require_writer(principal.actor, Role.viewer)
        if not name.strip():
            raise Invalid("name the token after where it will be used", field="name")
        with attempt(session):
            issued = auth.create_token(
                session,
                actor=principal.actor,
                user_id=principal.user.id,
                name=name.strip(),
                scope=scope,
                expires_in=auth.parse_duration(expires_in) if expires_in.strip() else None,
            )
    except AppError as exc:
        return _refused(request, session, principal, exc)
    response = _page(request, session, principal, new_token=issued.secret, status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(
    request: Request, token_id: int, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        require_writer(principal.actor, Role.viewer)
        with attempt(session):
            token = auth.list_tokens(session, user_id=principal.user.id)
            if token_id not in {t.id for t in token}:
                raise Invalid("not one of your tokens", field="token")
            auth.revoke_token(session, actor=principal.actor, token_id=token_id)
    except AppError as exc:
        return _refused(request, session, principal, exc)
    return RedirectResponse("/profile#tokens", status_code=303)
