"""Response models for schedules, loading the people they name in one query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse.errors import NotFound
from firehouse.people import service as people
from firehouse.people.models import Team, User
from firehouse.schedules import compute, schemas
from firehouse.schedules.models import Schedule, ScheduleLayer, ScheduleOverride


def users_by_id(session: Session, ids: Iterable[int]) -> dict[int, schemas.UserRef]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(User).where(User.id.in_(wanted))).all()
    return {u.id: schemas.UserRef(id=u.id, handle=u.handle, name=u.name) for u in rows}


def _ref(refs: dict[int, schemas.UserRef], user_id: int) -> schemas.UserRef:
    return refs.get(user_id) or schemas.UserRef(id=user_id, handle="?", name="?")


def team_of(session: Session, team_id: int | None) -> Team | None:
    return people.get_team(session, team_id) if team_id is not None else None


def layer_read_by_id(session: Session, schedule: Schedule, layer_id: int) -> schemas.LayerRead:
    for layer in schedule.layers:
        if layer.id == layer_id:
            refs = users_by_id(session, (m.user_id for m in layer.members))
            return layer_read(layer, refs)
    raise NotFound(f"schedule {schedule.id} has no layer {layer_id}")


def layer_read(layer: ScheduleLayer, refs: dict[int, schemas.UserRef]) -> schemas.LayerRead:
    slots: dict[int, list[schemas.UserRef]] = {}
    for member in layer.members:
        slots.setdefault(member.slot, []).append(_ref(refs, member.user_id))
    restrictions = None
    if layer.restrict_weekdays is not None or layer.restrict_windows:
        restrictions = schemas.Restrictions(
            weekdays=None
            if layer.restrict_weekdays is None
            else [schemas.WEEKDAYS[d] for d in layer.restrict_weekdays],
            windows=[
                schemas.WindowIn(start=time.fromisoformat(s), end=time.fromisoformat(e))
                for s, e in layer.restrict_windows or []
            ],
        )
    return schemas.LayerRead(
        id=layer.id,
        name=layer.name,
        position=layer.position,
        rotation=[slots[k] for k in sorted(slots)],
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        handoff_time=layer.handoff_time.strftime("%H:%M"),
        start_date=layer.start_date,
        restrictions=restrictions,
    )


def schedules_read(session: Session, schedules: list[Schedule]) -> list[schemas.ScheduleRead]:
    refs = users_by_id(
        session, (m.user_id for s in schedules for layer in s.layers for m in layer.members)
    )
    team_ids = {s.team_id for s in schedules if s.team_id is not None}
    teams = (
        {t.id: t.slug for t in session.scalars(select(Team).where(Team.id.in_(team_ids)))}
        if team_ids
        else {}
    )
    return [
        schemas.ScheduleRead(
            id=s.id,
            name=s.name,
            team=teams.get(s.team_id) if s.team_id is not None else None,
            timezone=s.timezone,
            description=s.description,
            layers=[
                layer_read(layer, refs)
                for layer in sorted(s.layers, key=lambda x: (x.position, x.id))
            ],
            created_at=s.created_at,
            updated_at=s.updated_at,
        )
        for s in schedules
    ]


def schedule_read(session: Session, schedule: Schedule) -> schemas.ScheduleRead:
    return schedules_read(session, [schedule])[0]


def overrides_read(session: Session, rows: list[ScheduleOverride]) -> list[schemas.OverrideRead]:
    ids = {r.user_id for r in rows} | {r.replaces_user_id for r in rows if r.replaces_user_id}
    ids |= {r.created_by_id for r in rows if r.created_by_id}
    refs = users_by_id(session, ids)
    return [
        schemas.OverrideRead(
            id=r.id,
            user=_ref(refs, r.user_id),
            replaces=_ref(refs, r.replaces_user_id) if r.replaces_user_id else None,
            start=r.starts_at,
            end=r.ends_at,
            kind=r.kind,
            note=r.note,
            created_by=_ref(refs, r.created_by_id).handle if r.created_by_id else None,
            created_at=r.created_at,
        )
        for r in rows
    ]


def local(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).isoformat()


def source_names(schedule: Schedule) -> dict[tuple[str, int], str]:
    names = {(compute.LAYER, layer.id): layer.name for layer in schedule.layers}
    return names


def shifts_read(
    session: Session, schedule: Schedule, shifts: list[compute.Shift]
) -> list[schemas.ShiftRead]:
    tz = compute.zone(schedule.timezone)
    refs = users_by_id(session, (u for s in shifts for u in s.user_ids))
    names = source_names(schedule)
    return [
        schemas.ShiftRead(
            start=s.start,
            end=s.end,
            start_local=local(s.start, tz),
            end_local=local(s.end, tz),
            users=[_ref(refs, u) for u in s.user_ids],
            source=s.source,
            source_id=s.source_id,
            source_name=names.get((s.source, s.source_id), "override"),
        )
        for s in shifts
    ]


def gaps_read(schedule: Schedule, holes: list[tuple[datetime, datetime]]) -> list[schemas.GapRead]:
    tz = compute.zone(schedule.timezone)
    return [
        schemas.GapRead(start=a, end=b, start_local=local(a, tz), end_local=local(b, tz))
        for a, b in holes
    ]
