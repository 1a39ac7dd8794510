"""Reading schedules: the stored definition turned into the pure model, and who is on call."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from firehouse.errors import Invalid, NotFound
from firehouse.schedules import compute
from firehouse.schedules.models import LayerMember, Schedule, ScheduleLayer, ScheduleOverride

MAX_RANGE = timedelta(days=366)


def get_schedule(session: Session, schedule_id: int) -> Schedule:
    schedule = session.scalar(
        select(Schedule)
        .where(Schedule.id == schedule_id)
        .options(selectinload(Schedule.layers).selectinload(ScheduleLayer.members))
    )
    if schedule is None:
        raise NotFound(f"no schedule {schedule_id}")
    return schedule


def list_schedules(session: Session, *, team_id: int | None = None) -> list[Schedule]:
    query = select(Schedule).options(
        selectinload(Schedule.layers).selectinload(ScheduleLayer.members)
    )
    if team_id is not None:
        query = query.where(Schedule.team_id == team_id)
    return list(session.scalars(query.order_by(Schedule.name)).all())


def windows_of(layer: ScheduleLayer) -> tuple[compute.Window, ...]:
    return tuple(
        compute.Window(time.fromisoformat(start), time.fromisoformat(end))
        for start, end in (layer.restrict_windows or [])
    )


def layer_spec(layer: ScheduleLayer) -> compute.Layer:
    slots: dict[int, list[int]] = {}
    for member in layer.members:
        slots.setdefault(member.slot, []).append(member.user_id)
    weekdays = layer.restrict_weekdays
    return compute.Layer(
        id=layer.id,
        members=tuple(tuple(slots[k]) for k in sorted(slots)),
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        handoff=layer.handoff_time,
        start_date=layer.start_date,
        weekdays=None if weekdays is None else frozenset(weekdays),
        windows=windows_of(layer),
    )


def override_spec(row: ScheduleOverride) -> compute.Override:
    return compute.Override(
        id=row.id,
        user_id=row.user_id,
        start=row.starts_at,
        end=row.ends_at,
        replaces_user_id=row.replaces_user_id,
    )


def overrides_between(
    session: Session, schedule_id: int, start: datetime, end: datetime
) -> list[ScheduleOverride]:
    return list(
        session.scalars(
            select(ScheduleOverride)
            .where(
                ScheduleOverride.schedule_id == schedule_id,
                ScheduleOverride.starts_at < end,
                ScheduleOverride.ends_at > start,
            )
            .order_by(ScheduleOverride.starts_at, ScheduleOverride.id)
        ).all()
    )


def spec(session: Session, schedule: Schedule, start: datetime, end: datetime) -> compute.Schedule:
    """The pure model of `schedule`, with the overrides that touch [start, end)."""
    layers = sorted(schedule.layers, key=lambda layer: (layer.position, layer.id))
    return compute.Schedule(
        timezone=schedule.timezone,
        layers=tuple(layer_spec(layer) for layer in layers),
        overrides=tuple(
            override_spec(o) for o in overrides_between(session, schedule.id, start, end)
        ),
    )


def check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise Invalid("end must be after start", field="end")
    if end - start > MAX_RANGE:
        raise Invalid("a range is at most 366 days", field="end")


def final_schedule(
    session: Session, *, schedule_id: int, start: datetime, end: datetime
) -> list[compute.Shift]:
    check_range(start, end)
    schedule = get_schedule(session, schedule_id)
    return compute.final_schedule(spec(session, schedule, start, end), start, end)


def schedule_gaps(
    session: Session, *, schedule_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    check_range(start, end)
    schedule = get_schedule(session, schedule_id)
    return compute.gaps(spec(session, schedule, start, end), start, end)


def current_shift(session: Session, schedule: Schedule, at: datetime) -> compute.Shift | None:
    """The piece of the final schedule covering `at`, its ends looked up a week either side."""
    start, end = at - timedelta(days=7), at + timedelta(days=7)
    for shift in compute.final_schedule(spec(session, schedule, start, end), start, end):
        if shift.start <= at < shift.end:
            return shift
    return None


def on_call_user_ids(session: Session, *, schedule_id: int, at: datetime) -> list[int]:
    """Who is on call on the schedule at `at` (empty in a gap)."""
    schedule = get_schedule(session, schedule_id)
    shift = compute.on_call_at(spec(session, schedule, at, at + timedelta(seconds=1)), at)
    return list(shift.user_ids) if shift else []


def team_on_call_user_ids(session: Session, *, team_id: int, at: datetime) -> list[int]:
    """Who is on call on any of the team's schedules at `at`, each once, in schedule order."""
    found: dict[int, None] = {}
    for schedule in list_schedules(session, team_id=team_id):
        probe = spec(session, schedule, at, at + timedelta(seconds=1))
        shift = compute.on_call_at(probe, at)
        for user_id in shift.user_ids if shift else ():
            found[user_id] = None
    return list(found)


def schedules_referencing_user(session: Session, user_id: int) -> list[str]:
    """Where a person is part of on-call (rotations, overrides): for a 409 that says where."""
    places: list[str] = []
    rows: Any = session.execute(
        select(Schedule.name, ScheduleLayer.name)
        .join(ScheduleLayer, ScheduleLayer.schedule_id == Schedule.id)
        .join(LayerMember, LayerMember.layer_id == ScheduleLayer.id)
        .where(LayerMember.user_id == user_id)
        .distinct()
        .order_by(Schedule.name, ScheduleLayer.name)
    ).all()
    for schedule_name, layer_name in rows:
        places.append(f"schedule {schedule_name!r}, rotation of layer {layer_name!r}")
    overrides: Any = session.execute(
        select(Schedule.name, ScheduleOverride.starts_at, ScheduleOverride.ends_at)
        .join(ScheduleOverride, ScheduleOverride.schedule_id == Schedule.id)
        .where(
            or_(
                ScheduleOverride.user_id == user_id,
                ScheduleOverride.replaces_user_id == user_id,
            )
        )
        .order_by(Schedule.name, ScheduleOverride.starts_at)
    ).all()
    for schedule_name, starts_at, ends_at in overrides:
        places.append(
            f"schedule {schedule_name!r}, override {starts_at.isoformat()} to {ends_at.isoformat()}"
        )
    return places
