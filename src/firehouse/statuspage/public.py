"""The public status page at /status: no login. HTML that works without JavaScript, Atom and
RSS feeds, a JSON API, and the subscribe / confirm / unsubscribe links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.api.deps import UnitOfWork, database, settings
from firehouse.errors import AppError, Invalid, NotFound
from firehouse.statuspage import render
from firehouse.statuspage import service as status
from firehouse.statuspage.service.view import PageView, incident_views, maintenance_views

router = APIRouter(prefix="/status", include_in_schema=False)
SUBSCRIBED = (
    "Thanks. If the address was not subscribed yet, a confirmation mail is on its way: "
    "follow its link to start receiving updates."
)


def _links(request: Request) -> render.Links:
    return render.Links(root="/status", export=False, public_url=_public_url(request))


def _public_url(request: Request) -> str:
    return f"{settings(request).public_url()}/status"


def _html(body: str, view: PageView, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={
            "Content-Security-Policy": render.csp(view.branding),
            "Cache-Control": "public, max-age=15",
        },
    )


def _key(request: Request, session: Session, name: str) -> tuple[object, ...] | None:
    """The page's version and minute; None before the page's first change (nothing to key)."""
    version = status.page_version(session)
    if version is None:
        return None
    minute = clock.now(session).replace(second=0, microsecond=0)
    return (*version, minute, name, _public_url(request))


def _cached(request: Request, session: Session, name: str, build: Callable[[], str]) -> str:
    key = _key(request, session, name)
    return build() if key is None else render.CACHE.get(key, build)


def _page(request: Request, session: Session, name: str, build: Callable[[], str]) -> Response:
    key = _key(request, session, name)

    def policy() -> str:
        return render.csp(status.branding(session))

    if key is None:
        body, csp = build(), policy()
    else:
        # the policy follows the branding, which moves the version too
        body, csp = render.CACHE.get(key, build), render.CACHE.get((*key, "csp"), policy)
    return HTMLResponse(
        body, headers={"Content-Security-Policy": csp, "Cache-Control": "public, max-age=15"}
    )


@router.get("", response_class=HTMLResponse)
def status_page(request: Request, session: UnitOfWork) -> Response:
    return _page(
        request,
        session,
        "index",
        lambda: render.page_html(status.page_view(session), _links(request)),
    )


@router.get("/status.css")
def stylesheet(session: UnitOfWork) -> Response:
    body = render.css(status.branding(session))
    return Response(body, media_type="text/css", headers={"Cache-Control": "public, max-age=60"})


@router.get("/logo")
def logo(session: UnitOfWork) -> Response:
    row = status.page(session)
    if not row.logo_data:
        raise NotFound("no logo uploaded")
    return Response(
        row.logo_data, media_type=row.logo_type, headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/history", response_class=HTMLResponse)
def history(request: Request, session: UnitOfWork) -> Response:
    return _page(
        request,
        session,
        "history",
        lambda: render.history_html(
            status.page_view(session), status.history_view(session), _links(request)
        ),
    )


@router.get("/incidents/{public_id}", response_class=HTMLResponse)
def incident(public_id: int, request: Request, session: UnitOfWork) -> Response:
    row = status.get_public_incident(session, public_id)

    def build() -> str:
        item = incident_views(session, [row])[0]
        return render.incident_html(status.page_view(session), item, _links(request))

    return _page(request, session, f"incident-{public_id}", build)


@router.get("/maintenance/{maintenance_id}", response_class=HTMLResponse)
def maintenance(maintenance_id: int, request: Request, session: UnitOfWork) -> Response:
    row = status.get_maintenance(session, maintenance_id)

    def build() -> str:
        item = maintenance_views(session, [row])[0]
        return render.maintenance_html(status.page_view(session), item, _links(request))

    return _page(request, session, f"maintenance-{maintenance_id}", build)


@router.get("/feed.atom")
def atom(request: Request, session: UnitOfWork) -> Response:
    body = _cached(
        request,
        session,
        "atom",
        lambda: render.atom(
            status.page_view(session), status.history_view(session), _links(request)
        ),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/feed.rss")
def rss(request: Request, session: UnitOfWork) -> Response:
    body = _cached(
        request,
        session,
        "rss",
        lambda: render.rss(
            status.page_view(session), status.history_view(session), _links(request)
        ),
    )
    return Response(body, media_type="application/rss+xml; charset=utf-8")


@router.get("/api/summary.json")
def summary(request: Request, session: UnitOfWork) -> Response:
    body = _cached(
        request,
        session,
        "summary",
        lambda: render.summary(status.page_view(session), _links(request)),
    )
    return Response(
        body,
        media_type="application/json",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=15"},
    )


class SubscribeBody(BaseModel):
    email: str = Field(max_length=320)
    components: list[int] = Field(default_factory=list, max_length=500)


def _window(request: Request) -> timedelta:
    return timedelta(minutes=settings(request).status_confirm_window_minutes)


@router.post("/api/subscribers", status_code=202)
def subscribe_json(body: SubscribeBody, request: Request, session: UnitOfWork) -> JSONResponse:
    """The same answer whether or not a mail went out (it must not reveal who is subscribed)."""
    status.subscribe_email(
        session,
        email=body.email,
        component_ids=body.components,
        base_url=settings(request).public_url(),
        resend_window=_window(request),
    )
    return JSONResponse({"message": SUBSCRIBED}, status_code=202)


def _subscribe_form(
    request: Request,
    session: UnitOfWork,
    *,
    message: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = status.page_view(session)
    body = render.message_html(
        view,
        _links(request),
        title=f"Subscribe to {view.branding.name}",
        message=message,
        form="subscribe",
        components=status.list_components(session),
        errors=errors,
    )
    return _html(body, view, status_code)


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request, session: UnitOfWork) -> Response:
    return _subscribe_form(request, session)


@router.post("/subscribe", response_class=HTMLResponse)
def subscribe_form(
    request: Request,
    session: UnitOfWork,
    email: Annotated[str, Form(max_length=320)] = "",
    components: Annotated[list[int] | None, Form()] = None,
) -> Response:
    try:
        with session.begin_nested():
            status.subscribe_email(
                session,
                email=email,
                component_ids=components or [],
                base_url=settings(request).public_url(),
                resend_window=_window(request),
            )
    except Invalid as exc:
        key = "email" if exc.field == "email" else "components"
        return _subscribe_form(request, session, errors={key: exc.message}, status_code=422)
    view = status.page_view(session)
    body = render.message_html(view, _links(request), title="Check your inbox", message=SUBSCRIBED)
    return _html(body, view, 202)


def _message(
    request: Request,
    session: UnitOfWork,
    title: str,
    message: str,
    *,
    status_code: int = 200,
    form: str | None = None,
    token: str = "",
) -> Response:
    view = status.page_view(session)
    body = render.message_html(
        view, _links(request), title=title, message=message, form=form, token=token
    )
    return _html(body, view, status_code)


@router.get("/subscribe/confirm", response_class=HTMLResponse)
def confirm(
    request: Request, session: UnitOfWork, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    # a GET that writes: its own write transaction (the request's is a read transaction)
    try:
        with database(request).session() as writer:
            status.confirm(writer, token=token)
    except AppError as exc:
        return _message(
            request, session, "Link not valid", exc.message, status_code=exc.status_code
        )
    return _message(request, session, "Subscribed", "You will be told when something changes.")


@router.get("/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request, session: UnitOfWork, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """A page with one button: mail scanners that open links must not unsubscribe anyone."""
    return _message(
        request,
        session,
        "Unsubscribe",
        "Stop receiving status updates?",
        form="unsubscribe",
        token=token,
    )


@router.post("/unsubscribe", response_class=HTMLResponse)
def unsubscribe(
    request: Request,
    session: UnitOfWork,
    token: Annotated[str, Query(max_length=200)] = "",
    form_token: Annotated[str, Form(alias="token", max_length=200)] = "",
) -> Response:
    """The form's button, and RFC 8058 one-click (`List-Unsubscribe=One-Click` posted to the
    link, the token in its query string)."""
    try:
        with session.begin_nested():
            status.unsubscribe(session, token=token or form_token)
    except AppError as exc:
        return _message(
            request, session, "Link not valid", exc.message, status_code=exc.status_code
        )
    return _message(request, session, "Unsubscribed", "You will not get any more mail from us.")
