"""Server-rendered pages: login (rate-limited) and logout; the templates every page shares."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from firehouse import __version__
from firehouse.api.deps import (
    SESSION_COOKIE,
    UnitOfWork,
    client_address,
    database,
    settings,
)
from firehouse.auth import service as auth
from firehouse.errors import RateLimited, Unauthorized
from firehouse.web import ratelimit
from firehouse.web.deps import PagePrincipal, ago, duration, localtime

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "fh_login_csrf"


def routers() -> list[APIRouter]:
    """Every page route of the web UI (login, home, live events, incidents, admin, profile)."""
    from firehouse.incidents import page_actions as incident_actions
    from firehouse.incidents import pages as incident_pages
    from firehouse.web import admin, events, home, profile

    return [
        router,
        home.router,
        events.router,
        incident_pages.router,
        incident_actions.router,
        admin.router,
        profile.router,
    ]


def make_templates(directory: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(directory))
    templates.env.globals["version"] = __version__
    templates.env.filters["localtime"] = localtime
    templates.env.filters["ago"] = ago
    templates.env.filters["duration"] = duration
    return templates


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def _safe_next(target: str | None) -> str:
    """Only local paths, so the login form cannot be used to redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    # browsers read `/\host` as `//host` and drop tabs and newlines from URLs
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", {"csrf_token": token, "next": _safe_next(next), "error": None}
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings(request).cookie_secure,
        max_age=3600,
    )
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    handle: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie_token or not hmac.compare_digest(cookie_token, csrf_token):
        return render(
            request,
            "login.html",
            {
                "csrf_token": cookie_token,
                "next": _safe_next(next),
                "error": "Form expired; try again.",
            },
            status=403,
        )
    config = settings(request)
    db = database(request)
    source = client_address(request)
    window = timedelta(minutes=config.login_window_minutes)
    try:
        with db.session() as session:
            ratelimit.check_login_allowed(
                session,
                handle=handle,
                source=source,
                per_handle=config.login_failures_per_handle,
                per_address=config.login_failures_per_address,
                window=window,
            )
    except RateLimited as exc:
        response = render(
            request,
            "login.html",
            {
                "csrf_token": cookie_token,
                "next": _safe_next(next),
                "error": exc.message,
                "handle": handle,
            },
            status=429,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    try:
        with db.session() as session:
            ratelimit.clear_login_failures(session, handle=handle)
            _, new = auth.login(
                session,
                handle=handle.strip().lower(),
                password=password,
                source=source,
                lifetime=timedelta(hours=config.session_hours),
            )
    except Unauthorized:
        with db.session() as session:
            auth.record_failed_login(session, handle=handle, source=source)
            ratelimit.record_login_failure(session, handle=handle, source=source, window=window)
        return render(
            request,
            "login.html",
            {
                "csrf_token": cookie_token,
                "next": _safe_next(next),
                "error": "Wrong handle or password.",
                "handle": handle,
            },
            status=401,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        new.cookie,
        httponly=True,
        samesite="lax",
        secure=config.cookie_secure,
        max_age=config.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth.logout(session, actor=principal.actor, cookie=cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
