"""Server-rendered pages: login, logout and the home page over the same services as the API."""

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
    CurrentPrincipal,
    UnitOfWork,
    client_address,
    database,
    settings,
)
from firehouse.auth import service as auth
from firehouse.errors import Unauthorized
from firehouse.incidents import present
from firehouse.incidents import service as incidents
from firehouse.incidents.models import OPEN_STATUSES
from firehouse.web.deps import PagePrincipal

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "fh_login_csrf"


def make_templates(directory: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(directory))
    templates.env.globals["version"] = __version__
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
    try:
        with db.session() as session:
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


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: UnitOfWork, principal: CurrentPrincipal) -> Response:
    rows, _, total = incidents.list_incidents(
        session,
        actor=principal.actor,
        filters=incidents.IncidentFilter(status=list(OPEN_STATUSES)),
        sort="severity",
        limit=100,
        with_total=True,
    )
    return render(
        request,
        "home.html",
        {
            "me": principal.user,
            "csrf_token": principal.web_session.csrf_token if principal.web_session else "",
            "incidents": present.incidents_read(session, rows),
            "open_total": total,
        },
    )
