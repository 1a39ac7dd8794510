"""The status page's management pages (/statuspage) and the communication page of an incident
(/statuspage/incident/INC-42): real HTML forms over the same services as the API. A refused
write re-renders the page with the reason and the API's status code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import require_writer
from firehouse.api.deps import Principal, UnitOfWork, settings
from firehouse.errors import AppError, Invalid
from firehouse.people.models import Role
from firehouse.statuspage import service as status
from firehouse.statuspage.models import ComponentStatus, MaintenanceStatus, PublicStatus
from firehouse.statuspage.service.branding import snapshot
from firehouse.web.deps import PagePrincipal, attempt, render

router = APIRouter(include_in_schema=False)


def _manage(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    public = status.list_public_incidents(session, limit=20)
    return render(
        request,
        "statuspage/manage.html",
        principal,
        {
            "section": "statuspage",
            "problem": problem,
            "groups": status.list_groups(session),
            "components": status.list_components(session),
            "public": public,
            "updates": status.updates_of(session, [p.id for p in public]),
            "maintenance": status.list_maintenances(
                session, since=clock.now(session) - timedelta(days=7)
            ),
            "statuses": list(ComponentStatus),
            "public_statuses": list(PublicStatus),
            "counts": status.count_subscribers(session)
            if principal.actor.has(Role.admin)
            else None,
            "may_manage": principal.actor.can_write and principal.actor.has(Role.incident_manager),
        },
        status=status_code,
    )


def _back(path: str = "/statuspage") -> Response:
    return RedirectResponse(path, status_code=303)


def _base(request: Request) -> str:
    return settings(request).public_url()


@router.get("/statuspage", response_class=HTMLResponse)
def manage(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _manage(request, session, principal)


@router.post("/statuspage/groups", response_class=HTMLResponse)
def create_group(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        with attempt(session):
            status.create_group(session, actor=principal.actor, name=name)
    except AppError as exc:
        return _manage(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back()


@router.post("/statuspage/components", response_class=HTMLResponse)
def create_component(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=1000)] = "",
    group_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        with attempt(session):
            status.create_component(
                session,
                actor=principal.actor,
                name=name,
                description=description,
                group_id=int(group_id) if group_id.isdigit() else None,
            )
    except AppError as exc:
        return _manage(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back()


@router.post("/statuspage/components/{component_id}", response_class=HTMLResponse)
def set_component_status(
    request: Request,
    component_id: int,
    session: UnitOfWork,
    principal: PagePrincipal,
    component_status: Annotated[str, Form(alias="status", max_length=32)] = "",
) -> Response:
    try:
        with attempt(session):
            status.update_component(
                session,
                actor=principal.actor,
                component_id=component_id,
                changes={"status": component_status},
            )
    except AppError as exc:
        return _manage(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back()


def _publication(
    public_status: str, body: str, affected: list[int], affected_status: str, notify: bool
) -> status.Publication:
    try:
        chosen = PublicStatus(public_status)
    except ValueError as exc:
        raise Invalid("choose a status", field="status") from exc
    return status.Publication(
        status=chosen,
        body=body,
        component_statuses={cid: affected_status or "partial_outage" for cid in affected},
        notify=notify,
    )


@router.post("/statuspage/incidents", response_class=HTMLResponse)
def open_public_incident(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    title: Annotated[str, Form(max_length=300)] = "",
    body: Annotated[str, Form(max_length=20_000)] = "",
    public_status: Annotated[str, Form(alias="status", max_length=16)] = "investigating",
    incident: Annotated[str, Form(max_length=32)] = "",
    affected: Annotated[list[int] | None, Form()] = None,
    affected_status: Annotated[str, Form(max_length=32)] = "",
    notify: Annotated[bool, Form()] = False,
    back: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        with attempt(session):
            status.open_public_incident(
                session,
                actor=principal.actor,
                title=title,
                incident_ref=incident.strip() or None,
                spec=_publication(public_status, body, affected or [], affected_status, notify),
                base_url=_base(request),
            )
    except AppError as exc:
        if incident.strip():
            from firehouse.statuspage.communicate import communicate_page

            return communicate_page(request, session, principal, incident.strip(), exc)
        return _manage(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back(_local(back))


def _local(back: str) -> str:
    return back if back.startswith("/statuspage") and "//" not in back else "/statuspage"


@router.post("/statuspage/incidents/{public_id}/updates", response_class=HTMLResponse)
def post_public_update(
    request: Request,
    public_id: int,
    session: UnitOfWork,
    principal: PagePrincipal,
    body: Annotated[str, Form(max_length=20_000)] = "",
    public_status: Annotated[str, Form(alias="status", max_length=16)] = "",
    affected: Annotated[list[int] | None, Form()] = None,
    affected_status: Annotated[str, Form(max_length=32)] = "",
    notify: Annotated[bool, Form()] = False,
    back: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        with attempt(session):
            status.post_public_update(
                session,
                actor=principal.actor,
                public_id=public_id,
                spec=_publication(public_status, body, affected or [], affected_status, notify),
                base_url=_base(request),
            )
    except AppError as exc:
        return _manage(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back(_local(back))


def _when(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid("a time like 2026-03-05 01:00 (UTC)", field=field) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.post("/statuspage/maintenance", response_class=HTMLResponse)
def schedule_maintenance(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    title: Annotated[str, Form(max_length=300)] = "",
    body: Annotated[str, Form(max_length=20_000)] = "",
    starts_at: Annotated[str, Form(max_length=40)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    affected: Annotated[list[int] | None, Form()] = None,
    notify: Annotated[bool, Form()] = False,
) -> Response:
    try:
        with attempt(session):
            status.schedule_maintenance(
                session,
                actor=principal.actor,
                title=title,
                body=body,
                starts_at=_when(starts_at, "starts_at"),
                ends_at=_when(ends_at, "ends_at"),
                component_ids=affected or [],
                notify=notify,
                base_url=_base(request),
            )
    except AppError as exc:
        return _manage(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back()


@router.post("/statuspage/maintenance/{maintenance_id}", response_class=HTMLResponse)
def end_maintenance(
    request: Request,
    maintenance_id: int,
    session: UnitOfWork,
    principal: PagePrincipal,
    action: Annotated[str, Form(max_length=16)] = "completed",
) -> Response:
    try:
        with attempt(session):
            if action not in (MaintenanceStatus.completed.value, MaintenanceStatus.canceled.value):
                raise Invalid("completed or canceled", field="action")
            status.update_maintenance(
                session,
                actor=principal.actor,
                maintenance_id=maintenance_id,
                changes={"status": action},
                base_url=_base(request),
            )
    except AppError as exc:
        return _manage(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back()


def _branding_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "statuspage/branding.html",
        principal,
        {
            "section": "statuspage",
            "problem": problem,
            "b": snapshot(status.page(session)),
            "is_admin": principal.actor.has(Role.admin) and principal.actor.can_write,
        },
        status=status_code,
    )


@router.get("/statuspage/branding", response_class=HTMLResponse)
def branding(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _branding_page(request, session, principal)


@router.post("/statuspage/branding", response_class=HTMLResponse)
def update_branding(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    about: Annotated[str, Form(max_length=2000)] = "",
    logo_url: Annotated[str, Form(max_length=500)] = "",
    color_accent: Annotated[str, Form(max_length=16)] = "",
    color_background: Annotated[str, Form(max_length=16)] = "",
    color_text: Annotated[str, Form(max_length=16)] = "",
    links: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Footer links come one per line as `label | URL`."""
    changes: dict[str, Any] = {"about": about, "logo_url": logo_url}
    if name.strip():
        changes["name"] = name
    for key, value in (
        ("color_accent", color_accent),
        ("color_background", color_background),
        ("color_text", color_text),
    ):
        if value.strip():
            changes[key] = value
    changes["footer_links"] = [
        {"label": label.strip(), "url": url.strip()}
        for label, _, url in (line.partition("|") for line in links.splitlines() if line.strip())
    ]
    try:
        with attempt(session):
            status.update_branding(session, actor=principal.actor, changes=changes)
    except AppError as exc:
        return _branding_page(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back("/statuspage/branding")


@router.post("/statuspage/branding/logo", response_class=HTMLResponse)
def upload_logo(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    logo: Annotated[UploadFile | None, File()] = None,
    remove: Annotated[bool, Form()] = False,
) -> Response:
    try:
        require_writer(principal.actor, Role.admin)
        if not remove and (logo is None or not logo.filename):
            return _branding_page(
                request, session, principal, problem="Choose a file.", status_code=400
            )
        with attempt(session):
            if remove:
                status.remove_logo(session, actor=principal.actor)
            elif logo is not None:
                data = logo.file.read(256 * 1024 + 1)
                status.set_logo(
                    session, actor=principal.actor, data=data, content_type=logo.content_type or ""
                )
    except AppError as exc:
        return _branding_page(
            request, session, principal, problem=exc.message, status_code=exc.status_code
        )
    return _back("/statuspage/branding")
