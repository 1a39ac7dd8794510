"""Overrides (someone takes a window of a schedule) and shift swaps (an override made by one of
the two people involved)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.errors import Invalid, NotFound
from firehouse.people import service as people
from firehouse.schedules.lookups import get_schedule, overrides_between
from firehouse.schedules.models import ScheduleOverride
from firehouse.schedules.service import mark_changed

KINDS = ("override", "swap")
MAX_OVERRIDE = timedelta(days=366)


def override_snapshot(row: ScheduleOverride) -> dict[str, Any]:
    return {
        "user_id": row.user_id,
        "replaces_user_id": row.replaces_user_id,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "kind": row.kind,
        "note": row.note,
    }


def list_overrides(
    session: Session, *, schedule_id: int, start: datetime, end: datetime
) -> list[ScheduleOverride]:
    get_schedule(session, schedule_id)
    return overrides_between(session, schedule_id, start, end)


def create_override(
    session: Session,
    *,
    actor: Actor,
    schedule_id: int,
    user: str,
    start: datetime,
    end: datetime,
    replaces: str | None = None,
    kind: str = "override",
    note: str = "",
) -> ScheduleOverride:
    require_writer(actor)
    schedule = get_schedule(session, schedule_id)
    if kind not in KINDS:
        raise Invalid("kind is override or swap", field="kind")
    if end <= start:
        raise Invalid("an override must end after it starts", field="end")
    if end - start > MAX_OVERRIDE:
        raise Invalid("an override lasts at most 366 days", field="end")
    taker = people.find_user(session, user, field="user")
    if not taker.active:
        raise Invalid(f"{user} is deactivated", field="user")
    replaced = people.find_user(session, replaces, field="replaces") if replaces else None
    if replaced is not None and replaced.id == taker.id:
        raise Invalid("a person cannot replace themselves", field="replaces")
    if kind == "swap":
        if replaced is None:
            raise Invalid("a swap names who is replaced", field="replaces")
        if actor.user_id not in (taker.id, replaced.id):
            raise Invalid("a swap is made by one of the two people involved", field="kind")
    replaced_id = replaced.id if replaced else None
    for other in overrides_between(session, schedule.id, start, end):
        if other.replaces_user_id == replaced_id:
            raise Invalid(
                f"overlaps override {other.id} ({other.starts_at.isoformat()} to "
                f"{other.ends_at.isoformat()}) for the same shift",
                field="start",
            )
    row = ScheduleOverride(
        schedule_id=schedule.id,
        user_id=taker.id,
        replaces_user_id=replaced_id,
        starts_at=start,
        ends_at=end,
        kind=kind,
        note=note,
        created_by_id=actor.user_id,
        created_at=clock.now(session),
    )
    session.add(row)
    mark_changed(session, schedule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.override.create",
        target_type="schedule",
        target_id=schedule.id,
        after={"override_id": row.id, **override_snapshot(row)},
    )
    return row


def delete_override(session: Session, *, actor: Actor, schedule_id: int, override_id: int) -> None:
    require_writer(actor)
    schedule = get_schedule(session, schedule_id)
    row = session.scalar(
        select(ScheduleOverride).where(
            ScheduleOverride.id == override_id, ScheduleOverride.schedule_id == schedule.id
        )
    )
    if row is None:
        raise NotFound(f"schedule {schedule_id} has no override {override_id}")
    before = override_snapshot(row)
    session.delete(row)
    mark_changed(session, schedule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.override.delete",
        target_type="schedule",
        target_id=schedule.id,
        before={"override_id": override_id, **before},
    )
