"""Dependencies for HTML pages: the principal of a browser form post, CSRF checked from the
form field, and the rendering helpers every page shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import BackgroundTasks, Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from firehouse.api.deps import SAFE_METHODS, Principal, UnitOfWork, check_csrf, resolve_principal
from firehouse.errors import AppError
from firehouse.people.models import Role


async def form_csrf_token(request: Request) -> str | None:
    """The `csrf_token` form field (Starlette caches the parsed form for the route)."""
    if request.method in SAFE_METHODS:
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def page_principal(
    request: Request,
    session: UnitOfWork,
    background: BackgroundTasks,
    form_token: Annotated[str | None, Depends(form_csrf_token)],
) -> Principal:
    principal = resolve_principal(request, session, background)
    if request.method not in SAFE_METHODS:
        check_csrf(principal.web_session, form_token or request.headers.get("x-csrf-token"))
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def render(
    request: Request,
    name: str,
    principal: Principal | None,
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    base: dict[str, Any] = {}
    if principal is not None:
        base = {
            "me": principal.user,
            "actor": principal.actor,
            "tz": principal.user.timezone or "UTC",
            "can_write": principal.actor.can_write and principal.actor.has(Role.responder),
            "csrf_token": principal.web_session.csrf_token if principal.web_session else "",
        }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def error_page(
    request: Request,
    principal: Principal | None,
    exc: AppError,
    *,
    back: str = "/",
) -> Response:
    """An AppError as a page with the same status the API would answer."""
    headings = {403: "Not allowed", 404: "Not found", 409: "Not now", 422: "Check the form"}
    return render(
        request,
        "error.html",
        principal,
        {
            "heading": headings.get(exc.status_code, "Something is wrong"),
            "message": exc.message,
            "back": back,
        },
        status=exc.status_code,
    )


@contextmanager
def attempt(session: Session) -> Iterator[None]:
    """Run a write in a savepoint, so that a refused write leaves nothing behind when the page
    catches the error to show it (the request's transaction still commits)."""
    with session.begin_nested():
        yield


def localtime(value: datetime | None, zone: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    try:
        where = ZoneInfo(zone)
    except (KeyError, ValueError):
        where = ZoneInfo("UTC")
    return value.astimezone(where).strftime(fmt)


def ago(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "—"
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def duration(seconds: float) -> str:
    """`3d 4h`, `2h 5m`, `7m`: the two largest units."""
    seconds = max(0, int(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2]) or "<1m"
