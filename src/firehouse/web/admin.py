"""Admin pages: users and teams, services, severities and incident types, and the audit log
with filters and the result of chain verification. Admins only (read-only tokens may look)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse.api.deps import Principal, UnitOfWork
from firehouse.audit import service as audit
from firehouse.auth import service as auth
from firehouse.catalog import service as catalog
from firehouse.errors import AppError, Forbidden, Invalid
from firehouse.incidents import service as incidents
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.web.deps import PagePrincipal, attempt, error_page, render

router = APIRouter(include_in_schema=False, prefix="/admin")


def _require_admin(principal: Principal, *, write: bool = False) -> None:
    if not principal.actor.has(Role.admin):
        raise Forbidden("admins only")
    if write and not principal.actor.can_write:
        raise Forbidden("this token is read-only")


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    tab: str,
    problem: str | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    try:
        _require_admin(principal)
    except AppError as exc:
        return error_page(request, principal, exc)
    context: dict[str, Any] = {"section": "admin", "tab": tab, "problem": problem, **extra}
    if tab == "users":
        context.update(users=people.list_users(session), teams=people.list_teams(session))
        context["roles"] = list(Role)
    elif tab == "services":
        context.update(services=catalog.list_services(session), teams=people.list_teams(session))
    elif tab == "severities":
        context.update(
            severities=incidents.list_severities(session), types=incidents.list_types(session)
        )
    return render(request, f"admin/{tab}.html", principal, context, status=status)


def _write(
    request: Request,
    session: Session,
    principal: Principal,
    tab: str,
    change: Any,
) -> Response:
    """Run an admin write; on refusal show the tab again with the reason."""
    try:
        _require_admin(principal, write=True)
        with attempt(session):
            change()
    except AppError as exc:
        if exc.status_code == 403:
            return error_page(request, principal, exc, back=f"/admin/{tab}")
        return _page(request, session, principal, tab, exc.message, exc.status_code)
    return RedirectResponse(f"/admin/{tab}", status_code=303)


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _page(request, session, principal, "index")


@router.get("/users", response_class=HTMLResponse)
def users(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    removed: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    return _page(request, session, principal, "users", removed=removed)


@router.post("/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    handle: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[Role, Form()] = Role.responder,
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    def change() -> None:
        if not name.strip() or "@" not in email:
            raise Invalid("a user needs a name and an email address", field="email")
        people.create_user(
            session,
            actor=principal.actor,
            handle=handle.strip().lower(),
            name=name.strip(),
            email=email.strip(),
            role=role,
            password_hash=auth.hash_password(password) if password else None,
        )

    return _write(request, session, principal, "users", change)


@router.post("/users/{handle}", response_class=HTMLResponse)
def update_user(
    request: Request,
    handle: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    role: Annotated[Role, Form()],
    active: Annotated[bool, Form()] = False,
) -> Response:
    def change() -> None:
        user = people.find_user(session, handle)
        if user.id == principal.actor.user_id and (role != Role.admin or not active):
            raise Invalid("you cannot demote or deactivate yourself", field="role")
        people.update_user(
            session,
            actor=principal.actor,
            user_id=user.id,
            changes={"role": role, "active": active},
        )

    return _write(request, session, principal, "users", change)


def _removal_page(
    request: Request,
    session: Session,
    principal: Principal,
    handle: str,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    """What removing a person does, and the button that does it; or why it cannot be done yet
    (asked up front, so the admin sees the schedule or policy before pressing anything)."""
    try:
        _require_admin(principal)
        user = people.find_user(session, handle)
    except AppError as exc:
        return error_page(request, principal, exc, back="/admin/users")
    blocker = problem
    if blocker is None and user.active:
        try:
            people.check_removable(session, actor=principal.actor, user=user)
        except AppError as exc:
            blocker = exc.message
    context = {
        "section": "admin",
        "tab": "users",
        "person": user,
        "person_teams": sorted(m.team.name for m in user.memberships),
        "blocker": blocker,
        "problem": f"Not removed: {problem}" if problem else None,
    }
    return render(request, "admin/remove_user.html", principal, context, status=status)


@router.get("/users/{handle}/remove", response_class=HTMLResponse)
def confirm_removal(
    request: Request, handle: str, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    return _removal_page(request, session, principal, handle)


@router.post("/users/{handle}/remove", response_class=HTMLResponse)
def remove_user(
    request: Request, handle: str, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    """Deactivate a person, as `DELETE /api/v1/users/{handle}` does; a refusal (409: on call,
    themselves, the last admin) shows the confirmation again with the reason."""
    try:
        _require_admin(principal, write=True)
        user = people.find_user(session, handle)
        with attempt(session):
            people.deactivate_user(session, actor=principal.actor, user_id=user.id)
    except AppError as exc:
        if exc.status_code in (403, 404):
            return error_page(request, principal, exc, back="/admin/users")
        return _removal_page(
            request, session, principal, handle, problem=exc.message, status=exc.status_code
        )
    return RedirectResponse(f"/admin/users?removed={user.handle}", status_code=303)


@router.post("/teams", response_class=HTMLResponse)
def create_team(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    slug: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def change() -> None:
        people.create_team(
            session,
            actor=principal.actor,
            slug=slug.strip().lower(),
            name=name.strip() or slug.strip(),
        )

    return _write(request, session, principal, "users", change)


@router.post("/teams/{slug}/members", response_class=HTMLResponse)
def add_member(
    request: Request,
    slug: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    user: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    def change() -> None:
        team = people.find_team(session, slug)
        member = people.find_user(session, user.strip().lower(), field="user")
        people.add_member(session, actor=principal.actor, team_id=team.id, user_id=member.id)

    return _write(request, session, principal, "users", change)


@router.get("/services", response_class=HTMLResponse)
def services(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _page(request, session, principal, "services")


@router.post("/services", response_class=HTMLResponse)
def create_service(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    slug: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    team: Annotated[str, Form(max_length=64)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def change() -> None:
        catalog.create_service(
            session,
            actor=principal.actor,
            slug=slug.strip().lower(),
            name=name.strip() or slug.strip(),
            team=team or None,
            description=description,
        )

    return _write(request, session, principal, "services", change)


@router.get("/severities", response_class=HTMLResponse)
def severities(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _page(request, session, principal, "severities")


@router.post("/severities/{key}", response_class=HTMLResponse)
def update_severity(
    request: Request,
    key: str,
    session: UnitOfWork,
    principal: PagePrincipal,
    description: Annotated[str, Form(max_length=2000)] = "",
    ack_within_minutes: Annotated[int, Form(ge=1, le=100_000)] = 15,
    update_every_minutes: Annotated[int, Form(ge=1, le=100_000)] = 30,
) -> Response:
    def change() -> None:
        incidents.update_severity(
            session,
            actor=principal.actor,
            key=key,
            changes={
                "description": description,
                "ack_within_minutes": ack_within_minutes,
                "update_every_minutes": update_every_minutes,
            },
        )

    return _write(request, session, principal, "severities", change)


def _parse_day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).astimezone()
    except ValueError as exc:
        raise Invalid("use YYYY-MM-DD", field=field) from exc


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    try:
        _require_admin(principal)
        actor_id = people.find_user(session, actor.strip(), field="actor").id if actor else None
        target_type, _, target_id = (target or "").partition(":")
        filters = audit.AuditFilter(
            actor_id=actor_id,
            action=action or None,
            target_type=target_type or None,
            target_id=target_id or None,
            since=_parse_day(since, "since"),
            until=_parse_day(until, "until"),
        )
        rows, next_cursor = audit.search(session, filters=filters, limit=100, cursor=cursor)
    except AppError as exc:
        return error_page(request, principal, exc, back="/admin/audit")
    values = {"actor": actor, "action": action, "target": target, "since": since, "until": until}
    query = [(k, v) for k, v in values.items() if v]
    return _page(
        request,
        session,
        principal,
        "audit",
        rows=rows,
        next_cursor=next_cursor,
        values=values,
        query=query,
        verification=audit.verify(session),
    )
