"""Components and their groups: what customers see listed, and each one's status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.catalog import service as catalog
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.statuspage.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
)
from firehouse.statuspage.service.common import (
    parse_status,
    require_manager,
    set_component_status,
    touch,
)

MAX_NAME = 200


def list_groups(session: Session) -> list[ComponentGroup]:
    query = select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.id)
    return list(session.scalars(query).all())


def list_components(session: Session) -> list[Component]:
    query = select(Component).order_by(Component.position, Component.id)
    return list(session.scalars(query).all())


def get_group(session: Session, group_id: int) -> ComponentGroup:
    group = session.get(ComponentGroup, group_id)
    if group is None:
        raise NotFound(f"no component group {group_id}")
    return group


def get_component(session: Session, component_id: int, *, for_update: bool = False) -> Component:
    query = select(Component).where(Component.id == component_id)
    if for_update:
        query = query.with_for_update()
    component = session.scalar(query)
    if component is None:
        raise NotFound(f"no component {component_id}")
    return component


def _name(value: str, *, field: str = "name") -> str:
    name = value.strip()
    if not name:
        raise Invalid("a name is needed", field=field)
    if len(name) > MAX_NAME:
        raise Invalid(f"a name is at most {MAX_NAME} characters", field=field)
    return name


def _snapshot(component: Component) -> dict[str, Any]:
    return {
        "name": component.name,
        "description": component.description,
        "group_id": component.group_id,
        "position": component.position,
        "status": component.status.value,
        "service_id": component.service_id,
    }


def create_group(
    session: Session, *, actor: Actor, name: str, position: int | None = None
) -> ComponentGroup:
    require_manager(actor)
    name = _name(name)
    if session.scalar(select(ComponentGroup.id).where(ComponentGroup.name == name)) is not None:
        raise Conflict(f"a group named {name!r} exists", details={"field": "name"})
    if position is None:
        position = (session.scalar(select(func.max(ComponentGroup.position))) or 0) + 1
    group = ComponentGroup(name=name, position=position, created_at=clock.now(session))
    session.add(group)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="statuspage.group.create",
        target_type="status_group",
        target_id=group.id,
        after={"name": name, "position": position},
    )
    touch(session)
    return group


def update_group(
    session: Session, *, actor: Actor, group_id: int, changes: dict[str, Any]
) -> ComponentGroup:
    require_manager(actor)
    group = get_group(session, group_id)
    before = {"name": group.name, "position": group.position}
    if "name" in changes:
        name = _name(str(changes["name"]))
        clash = session.scalar(
            select(ComponentGroup.id).where(
                ComponentGroup.name == name, ComponentGroup.id != group.id
            )
        )
        if clash is not None:
            raise Conflict(f"a group named {name!r} exists", details={"field": "name"})
        group.name = name
    if changes.get("position") is not None:
        group.position = int(changes["position"])
    audit.record(
        session,
        actor=actor,
        action="statuspage.group.update",
        target_type="status_group",
        target_id=group.id,
        before=before,
        after={"name": group.name, "position": group.position},
    )
    touch(session)
    return group


def delete_group(session: Session, *, actor: Actor, group_id: int) -> None:
    """Its components stay, ungrouped."""
    require_manager(actor)
    group = get_group(session, group_id)
    for component in session.scalars(select(Component).where(Component.group_id == group.id)):
        component.group_id = None
    audit.record(
        session,
        actor=actor,
        action="statuspage.group.delete",
        target_type="status_group",
        target_id=group.id,
        before={"name": group.name},
    )
    session.delete(group)
    touch(session)


def create_component(
    session: Session,
    *,
    actor: Actor,
    name: str,
    description: str = "",
    group_id: int | None = None,
    position: int | None = None,
    status: str = ComponentStatus.operational.value,
    service: str | None = None,
) -> Component:
    require_manager(actor)
    name = _name(name)
    if session.scalar(select(Component.id).where(Component.name == name)) is not None:
        raise Conflict(f"a component named {name!r} exists", details={"field": "name"})
    if group_id is not None and session.get(ComponentGroup, group_id) is None:
        raise Invalid(f"unknown group {group_id}", field="group_id")
    initial = parse_status(status, field="status")
    service_id = catalog.find_service(session, service, field="service").id if service else None
    if position is None:
        position = (session.scalar(select(func.max(Component.position))) or 0) + 1
    now = clock.now(session)
    component = Component(
        name=name,
        description=description.strip(),
        group_id=group_id,
        position=position,
        status=initial,
        service_id=service_id,
        created_at=now,
        updated_at=now,
    )
    session.add(component)
    session.flush()
    session.add(ComponentStatusChange(component_id=component.id, status=initial, started_at=now))
    audit.record(
        session,
        actor=actor,
        action="statuspage.component.create",
        target_type="status_component",
        target_id=component.id,
        after=_snapshot(component),
    )
    touch(session)
    return component


def update_component(
    session: Session, *, actor: Actor, component_id: int, changes: dict[str, Any]
) -> Component:
    """Name, description, group, position, linked service and status (a status change is
    recorded in the uptime history)."""
    require_manager(actor)
    component = get_component(session, component_id, for_update=True)
    before = _snapshot(component)
    if "name" in changes:
        name = _name(str(changes["name"]))
        clash = session.scalar(
            select(Component.id).where(Component.name == name, Component.id != component.id)
        )
        if clash is not None:
            raise Conflict(f"a component named {name!r} exists", details={"field": "name"})
        component.name = name
    if "description" in changes:
        component.description = str(changes["description"] or "").strip()
    if "group_id" in changes:
        group_id = changes["group_id"]
        if group_id is not None and session.get(ComponentGroup, group_id) is None:
            raise Invalid(f"unknown group {group_id}", field="group_id")
        component.group_id = group_id
    if changes.get("position") is not None:
        component.position = int(changes["position"])
    if "service" in changes:
        slug = changes["service"]
        component.service_id = (
            catalog.find_service(session, slug, field="service").id if slug else None
        )
    if changes.get("status") is not None:
        set_component_status(session, component, parse_status(changes["status"], field="status"))
    component.updated_at = clock.now(session)
    audit.record(
        session,
        actor=actor,
        action="statuspage.component.update",
        target_type="status_component",
        target_id=component.id,
        before=before,
        after=_snapshot(component),
    )
    touch(session)
    return component


def delete_component(session: Session, *, actor: Actor, component_id: int) -> None:
    require_manager(actor)
    component = get_component(session, component_id, for_update=True)
    audit.record(
        session,
        actor=actor,
        action="statuspage.component.delete",
        target_type="status_component",
        target_id=component.id,
        before=_snapshot(component),
    )
    session.delete(component)
    touch(session)
