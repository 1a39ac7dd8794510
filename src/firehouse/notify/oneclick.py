"""The public routes behind the links in a page. GET only shows what the link would do (mail
scanners follow links); the POST from that page acts. The signed token is the credential."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firehouse.api.deps import UnitOfWork, settings
from firehouse.errors import AppError
from firehouse.notify import actions
from firehouse.web.deps import render

router = APIRouter(include_in_schema=False)
VERBS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}


@router.get("/a/{token}", response_class=HTMLResponse)
def confirm_link(token: str, request: Request, session: UnitOfWork) -> Response:
    try:
        seen = actions.preview(session, secret=settings(request).link_secret, token=token)
    except AppError as exc:
        return render(
            request,
            "notify/link.html",
            None,
            {"heading": "This link does not work", "message": exc.message},
            status=exc.status_code,
        )
    verb = VERBS[seen.action]
    return render(
        request,
        "notify/link.html",
        None,
        {
            "heading": f"{verb} {seen.incident.reference}?",
            "incident": seen.incident,
            "user": seen.user,
            "token": token,
            "confirm": None if seen.used else verb,
            "message": "This link was already used." if seen.used else "",
        },
    )


@router.post("/a/{token}", response_class=HTMLResponse)
def use_link(token: str, request: Request, session: UnitOfWork) -> Response:
    try:
        with session.begin_nested():  # a refused action leaves nothing behind
            seen, done = actions.act(session, secret=settings(request).link_secret, token=token)
    except AppError as exc:
        return render(
            request,
            "notify/link.html",
            None,
            {"heading": "Nothing was done", "message": exc.message},
            status=exc.status_code,
        )
    return render(
        request,
        "notify/link.html",
        None,
        {"heading": "Done", "incident": seen.incident, "message": done},
    )
