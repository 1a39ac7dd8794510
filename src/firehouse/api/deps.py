"""Request-scoped dependencies: the unit of work and the actor behind the request."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy import update
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.auth import service as auth
from firehouse.auth.models import ApiToken, TokenScope, WebSession
from firehouse.db import Database
from firehouse.errors import Forbidden, Unauthorized
from firehouse.people import service as people
from firehouse.people.models import Role, User
from firehouse.settings import Settings

SESSION_COOKIE = "fh_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def unit_of_work(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (scope=function)."""
    write = request.method not in SAFE_METHODS
    with database(request).session(write=write) as session:
        yield session


UnitOfWork = Annotated[Session, Depends(unit_of_work, scope="function")]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@dataclass(frozen=True)
class Principal:
    user: User
    actor: Actor
    web_session: WebSession | None


def _touch_token(db: Database, token_id: int, when: datetime) -> None:
    with db.session() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when))


def resolve_principal(
    request: Request, session: Session, background: BackgroundTasks | None = None
) -> Principal:
    """From `Authorization: Bearer <token>`, else the browser session cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    web_session = None
    can_write = True
    if scheme.lower() == "bearer" and credential.strip():
        user, token = auth.authenticate_token(session, credential.strip())
        can_write = token.scope == TokenScope.write
        now = clock.now(session)
        if background is not None and auth.token_needs_touch(token, now):
            background.add_task(_touch_token, database(request), token.id, now)
    elif header:
        raise Unauthorized("use Authorization: Bearer <token>")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthorized("authentication required")
        user, web_session = auth.authenticate_session(session, cookie)
    actor = Actor(
        user_id=user.id,
        handle=user.handle,
        role=user.role,
        source=client_address(request),
        request_id=getattr(request.state, "request_id", None),
        can_write=can_write,
        team_ids=people.team_ids_of(session, user.id),
    )
    return Principal(user, actor, web_session)


def check_csrf(web_session: WebSession | None, token: str | None) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token (header or form field)."""
    if web_session is None:
        return
    if not token or not hmac.compare_digest(token, web_session.csrf_token):
        raise Forbidden("missing or wrong CSRF token", details={"field": "csrf_token"})


def current_principal(
    request: Request, session: UnitOfWork, background: BackgroundTasks
) -> Principal:
    principal = resolve_principal(request, session, background)
    if request.method not in SAFE_METHODS:
        check_csrf(principal.web_session, request.headers.get("x-csrf-token"))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def current_actor(principal: CurrentPrincipal) -> Actor:
    return principal.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def admin_actor(request: Request, actor: CurrentActor) -> Actor:
    if not actor.has(Role.admin):
        raise Forbidden("admins only")
    if request.method not in SAFE_METHODS and not actor.can_write:
        raise Forbidden("this token is read-only")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]
