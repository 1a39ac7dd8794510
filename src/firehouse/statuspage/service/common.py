"""What every status-page write shares: the page row, who may change what, and the record of
each component status change (the uptime history is drawn from it)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.errors import Forbidden, Invalid
from firehouse.incidents.models import Incident, IncidentRole
from firehouse.incidents.service.roles import current_holder
from firehouse.people.models import Role
from firehouse.statuspage.models import (
    Component,
    ComponentStatus,
    ComponentStatusChange,
    StatusPage,
)

DEFAULT_NAME = "Service status"
PUBLISHING_ROLES = (IncidentRole.communications_lead, IncidentRole.incident_manager)


def page(session: Session, *, for_update: bool = False, create: bool = False) -> StatusPage:
    """The page-wide row. Writers (`create`) make it on first use; a reader gets the defaults
    without writing anything."""
    query = select(StatusPage).where(StatusPage.id == 1)
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        row = StatusPage(
            id=1,
            name=DEFAULT_NAME,
            signing_key=secrets.token_urlsafe(48),
            changed_at=clock.now(session),
            version=0,
            footer_links=[],
            about="",
            logo_url="",
            logo_type="",
            color_accent="#c2410c",
            color_background="#ffffff",
            color_text="#1f2328",
        )
        if create or for_update:
            # two first writers on PostgreSQL: keep whichever row was inserted first
            try:
                with session.begin_nested():
                    session.add(row)
                    session.flush()
            except IntegrityError:
                found = session.scalar(query)
                if found is None:
                    raise
                return found
    return row


def page_version(session: Session) -> tuple[str, int] | None:
    """The page's signing key (unique to its database) and version, without loading the rest
    of its row (the logo); None before the page's first change."""
    row = session.execute(
        select(StatusPage.signing_key, StatusPage.version).where(StatusPage.id == 1)
    ).first()
    return None if row is None else (row.signing_key, row.version or 0)


def touch(session: Session) -> None:
    """Something public changed: the page's version moves and a static export is due."""
    now = clock.now(session)
    row = page(session, create=True)
    row.changed_at = now
    row.version = (row.version or 0) + 1
    row.export_due_at = now
    wake(session)


def wake(session: Session) -> None:
    from firehouse.engine import wake_after_commit

    wake_after_commit(session)


def require_manager(actor: Actor) -> None:
    """Components, groups and maintenance: incident managers and admins."""
    require_writer(actor, Role.incident_manager)


def may_publish(session: Session, actor: Actor, incident: Incident | None) -> bool:
    """A global incident manager or admin, or whoever is the incident's communications lead or
    incident manager right now."""
    if not actor.can_write:
        return False
    if actor.has(Role.incident_manager):
        return True
    if incident is None or actor.user_id is None:
        return False
    for role in PUBLISHING_ROLES:
        holder = current_holder(session, incident.id, role)
        if holder is not None and holder.user_id == actor.user_id:
            return True
    return False


def require_publisher(session: Session, actor: Actor, incident: Incident | None) -> None:
    if not actor.can_write:
        raise Forbidden("this token is read-only")
    if not may_publish(session, actor, incident):
        raise Forbidden(
            "publishing to the status page needs the communications lead or incident manager "
            "role on the incident, or the incident_manager role"
        )


def set_component_status(
    session: Session, component: Component, status: ComponentStatus, *, at: datetime | None = None
) -> bool:
    """Change a component's status and record when; False when it already had it."""
    if component.status == status:
        return False
    now = at or clock.now(session)
    component.status = status
    component.updated_at = now
    session.add(ComponentStatusChange(component_id=component.id, status=status, started_at=now))
    return True


def parse_status(value: str, *, field: str) -> ComponentStatus:
    try:
        return ComponentStatus(value)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in ComponentStatus)
        raise Invalid(f"unknown component status {value!r}; one of {allowed}", field=field) from exc


def components_by_id(
    session: Session, ids: list[int], *, field: str, for_update: bool = False
) -> dict[int, Component]:
    """The components named, or 422 naming the first unknown one."""
    if not ids:
        return {}
    query = select(Component).where(Component.id.in_(set(ids)))
    if for_update:
        query = query.with_for_update()
    found = {c.id: c for c in session.scalars(query)}
    for index, component_id in enumerate(ids):
        if component_id not in found:
            raise Invalid(f"unknown component {component_id}", field=f"{field}.{index}")
    return found
