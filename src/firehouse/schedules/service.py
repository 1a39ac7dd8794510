"""Schedules and their layers: create, change, delete. Every write is audited.

Other domains call the lookups re-exported here: `on_call_user_ids`, `team_on_call_user_ids`
and `schedules_referencing_user`; the home page calls `home_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.engine import wake_after_commit
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.schedules import compute
from firehouse.schedules.home import home_rows
from firehouse.schedules.lookups import (
    final_schedule,
    get_schedule,
    list_schedules,
    on_call_user_ids,
    schedule_gaps,
    schedules_referencing_user,
    team_on_call_user_ids,
)
from firehouse.schedules.models import LayerMember, Schedule, ScheduleLayer
from firehouse.schedules.schemas import WEEKDAYS

__all__ = [
    "LayerDefinition",
    "add_layer",
    "create_schedule",
    "delete_layer",
    "delete_schedule",
    "final_schedule",
    "get_schedule",
    "home_rows",
    "list_schedules",
    "on_call_user_ids",
    "schedule_gaps",
    "schedules_referencing_user",
    "team_on_call_user_ids",
    "update_layer",
    "update_schedule",
]

JOB_NAME = "schedules.oncall"  # the engine job that reads changed schedules
MAX_SHIFT = {"hours": 24 * 366, "days": 366, "weeks": 52}
EARLIEST_START, LATEST_START = date(2000, 1, 1), date(2100, 1, 1)


@dataclass(frozen=True)
class LayerDefinition:
    """A layer as a request describes it (rotation slots by handle; weekdays by name)."""

    name: str
    rotation: list[str | list[str]]
    shift_length: int
    shift_unit: str
    handoff_time: time
    start_date: date
    weekdays: list[str] | None = None
    windows: list[tuple[time, time]] | None = None
    position: int | None = None


def schedule_snapshot(schedule: Schedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "team_id": schedule.team_id,
        "timezone": schedule.timezone,
        "description": schedule.description,
    }


def layer_snapshot(layer: ScheduleLayer) -> dict[str, Any]:
    slots: dict[int, list[int]] = {}
    for member in layer.members:
        slots.setdefault(member.slot, []).append(member.user_id)
    return {
        "name": layer.name,
        "position": layer.position,
        "rotation": [slots[k] for k in sorted(slots)],
        "shift_length": layer.shift_length,
        "shift_unit": layer.shift_unit,
        "handoff_time": layer.handoff_time.strftime("%H:%M"),
        "start_date": layer.start_date.isoformat(),
        "restrict_weekdays": layer.restrict_weekdays,
        "restrict_windows": layer.restrict_windows,
    }


def mark_changed(session: Session, schedule: Schedule) -> None:
    """The engine re-reads a changed schedule at once (history, shift-start notices, gaps)."""
    now = clock.now(session)
    schedule.updated_at = now
    schedule.next_check_at = now
    wake_after_commit(session, jobs=(JOB_NAME,))


def _check_name(session: Session, name: str, *, other_than: int | None = None) -> None:
    query = select(Schedule.id).where(func.lower(Schedule.name) == name.lower())
    if other_than is not None:
        query = query.where(Schedule.id != other_than)
    if session.scalar(query) is not None:
        raise Conflict(f"a schedule named {name!r} exists", details={"field": "name"})


def _rotation(session: Session, rotation: list[str | list[str]], field: str) -> list[list[int]]:
    if not rotation:
        raise Invalid("a rotation needs at least one person", field=field)
    slots: list[list[int]] = []
    for i, slot in enumerate(rotation):
        handles = [slot] if isinstance(slot, str) else slot
        if not handles:
            raise Invalid("a rotation slot needs at least one person", field=f"{field}[{i}]")
        ids: list[int] = []
        for j, handle in enumerate(handles):
            where = f"{field}[{i}]" if isinstance(slot, str) else f"{field}[{i}][{j}]"
            user = people.find_user(session, handle, field=where)
            if not user.active:
                raise Invalid(f"{handle} is deactivated", field=where)
            if user.id not in ids:
                ids.append(user.id)
        slots.append(ids)
    return slots


def _check_layer(definition: LayerDefinition, timezone: str, field: str) -> None:
    if definition.shift_unit not in compute.SHIFT_UNITS:
        raise Invalid("shift_unit is hours, days or weeks", field=f"{field}shift_unit")
    limit = MAX_SHIFT[definition.shift_unit]
    if not 1 <= definition.shift_length <= limit:
        raise Invalid(
            f"a shift is 1 to {limit} {definition.shift_unit}", field=f"{field}shift_length"
        )
    if not EARLIEST_START <= definition.start_date <= LATEST_START:
        raise Invalid("start_date must be between 2000 and 2100", field=f"{field}start_date")
    tz = compute.zone(timezone)
    if not compute.wall_time_exists(definition.start_date, definition.handoff_time, tz):
        raise Invalid(
            f"{definition.handoff_time.strftime('%H:%M')} does not exist on "
            f"{definition.start_date.isoformat()} in {timezone} (clocks skip it for daylight "
            "saving): pick another handoff time or start date",
            field=f"{field}handoff_time",
        )
    for i, (opens, closes) in enumerate(definition.windows or []):
        if opens == closes:
            raise Invalid(
                "a restriction window needs a length (start and end differ)",
                field=f"{field}restrictions.windows[{i}]",
            )
    if definition.weekdays is not None and not definition.weekdays:
        raise Invalid(
            "restricted to no weekday at all: list at least one, or omit weekdays",
            field=f"{field}restrictions.weekdays",
        )


def _apply_layer(
    session: Session, layer: ScheduleLayer, definition: LayerDefinition, members: list[list[int]]
) -> None:
    layer.name = definition.name
    layer.shift_length = definition.shift_length
    layer.shift_unit = definition.shift_unit
    layer.handoff_time = definition.handoff_time.replace(second=0, microsecond=0, tzinfo=None)
    layer.start_date = definition.start_date
    layer.restrict_weekdays = (
        None
        if definition.weekdays is None
        else sorted({WEEKDAYS.index(d) for d in definition.weekdays})
    )
    layer.restrict_windows = [
        [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
        for opens, closes in definition.windows or []
    ] or None
    layer.members.clear()
    session.flush()
    for slot, user_ids in enumerate(members):
        for user_id in user_ids:
            layer.members.append(LayerMember(slot=slot, user_id=user_id))


def _new_layer(
    session: Session, schedule: Schedule, definition: LayerDefinition, field: str
) -> ScheduleLayer:
    _check_layer(definition, schedule.timezone, field)
    members = _rotation(session, definition.rotation, f"{field}rotation")
    top = max((layer.position for layer in schedule.layers), default=-1)
    layer = ScheduleLayer(
        schedule_id=schedule.id,
        position=top + 1 if definition.position is None else definition.position,
        created_at=clock.now(session),
    )
    schedule.layers.append(layer)
    _apply_layer(session, layer, definition, members)
    return layer


def create_schedule(
    session: Session,
    *,
    actor: Actor,
    name: str,
    timezone: str,
    team: str | None = None,
    description: str = "",
    layers: list[LayerDefinition] | None = None,
) -> Schedule:
    require_writer(actor, Role.incident_manager)
    people.check_timezone(timezone)
    _check_name(session, name)
    team_id = people.find_team(session, team, field="team").id if team else None
    now = clock.now(session)
    schedule = Schedule(
        name=name,
        team_id=team_id,
        timezone=timezone,
        description=description,
        created_at=now,
        updated_at=now,
    )
    session.add(schedule)
    session.flush()
    for i, definition in enumerate(layers or []):
        _new_layer(session, schedule, definition, f"layers[{i}].")
    mark_changed(session, schedule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.create",
        target_type="schedule",
        target_id=schedule.id,
        after={
            **schedule_snapshot(schedule),
            "layers": [layer_snapshot(x) for x in schedule.layers],
        },
    )
    return schedule


def update_schedule(
    session: Session, *, actor: Actor, schedule_id: int, changes: dict[str, Any]
) -> Schedule:
    require_writer(actor, Role.incident_manager)
    schedule = get_schedule(session, schedule_id)
    before = schedule_snapshot(schedule)
    if changes.get("name") is not None:
        _check_name(session, changes["name"], other_than=schedule.id)
        schedule.name = changes["name"]
    if changes.get("timezone") is not None:
        people.check_timezone(changes["timezone"])
        for i, layer in enumerate(schedule.layers):
            if not compute.wall_time_exists(
                layer.start_date, layer.handoff_time, compute.zone(changes["timezone"])
            ):
                raise Invalid(
                    f"layer {layer.name!r} hands off at a time that does not exist on its "
                    f"start date in {changes['timezone']}",
                    field="timezone",
                    details=[{"field": "timezone", "layer": i}],
                )
        schedule.timezone = changes["timezone"]
    if "team" in changes:
        team = changes["team"]
        schedule.team_id = people.find_team(session, team, field="team").id if team else None
    if changes.get("description") is not None:
        schedule.description = changes["description"]
    mark_changed(session, schedule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.update",
        target_type="schedule",
        target_id=schedule.id,
        before=before,
        after=schedule_snapshot(schedule),
    )
    return schedule


def delete_schedule(session: Session, *, actor: Actor, schedule_id: int) -> None:
    require_writer(actor, Role.incident_manager)
    schedule = get_schedule(session, schedule_id)
    before = schedule_snapshot(schedule)
    session.delete(schedule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.delete",
        target_type="schedule",
        target_id=schedule_id,
        before=before,
    )


def _get_layer(schedule: Schedule, layer_id: int) -> ScheduleLayer:
    for layer in schedule.layers:
        if layer.id == layer_id:
            return layer
    raise NotFound(f"schedule {schedule.id} has no layer {layer_id}")


def add_layer(
    session: Session, *, actor: Actor, schedule_id: int, definition: LayerDefinition
) -> ScheduleLayer:
    require_writer(actor, Role.incident_manager)
    schedule = get_schedule(session, schedule_id)
    layer = _new_layer(session, schedule, definition, "")
    mark_changed(session, schedule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.layer.create",
        target_type="schedule",
        target_id=schedule.id,
        after={"layer_id": layer.id, **layer_snapshot(layer)},
    )
    return layer


def update_layer(
    session: Session,
    *,
    actor: Actor,
    schedule_id: int,
    layer_id: int,
    definition: LayerDefinition,
) -> ScheduleLayer:
    """Replace a layer's definition (the caller merges a partial update into `definition`)."""
    require_writer(actor, Role.incident_manager)
    schedule = get_schedule(session, schedule_id)
    layer = _get_layer(schedule, layer_id)
    before = layer_snapshot(layer)
    _check_layer(definition, schedule.timezone, "")
    members = _rotation(session, definition.rotation, "rotation")
    _apply_layer(session, layer, definition, members)
    if definition.position is not None:
        layer.position = definition.position
    mark_changed(session, schedule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.layer.update",
        target_type="schedule",
        target_id=schedule.id,
        before={"layer_id": layer.id, **before},
        after={"layer_id": layer.id, **layer_snapshot(layer)},
    )
    return layer


def delete_layer(session: Session, *, actor: Actor, schedule_id: int, layer_id: int) -> None:
    require_writer(actor, Role.incident_manager)
    schedule = get_schedule(session, schedule_id)
    layer = _get_layer(schedule, layer_id)
    before = layer_snapshot(layer)
    schedule.layers.remove(layer)
    mark_changed(session, schedule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.layer.delete",
        target_type="schedule",
        target_id=schedule.id,
        before={"layer_id": layer_id, **before},
    )
