"""The engine job: records on-call history as shifts change, sends shift-start notices and
gap warnings. Its timer is `schedules.next_check_at` (set to now whenever a schedule changes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from firehouse.db import Database
from firehouse.engine import Job
from firehouse.schedules import history
from firehouse.schedules.lookups import get_schedule
from firehouse.schedules.models import Schedule
from firehouse.schedules.service import JOB_NAME

BATCH = 20


def check_schedules(db: Database) -> datetime | None:
    now = db.clock.now()
    with db.session(write=False) as session:  # look before taking the write lock
        due = session.scalars(
            select(Schedule.id)
            .where(Schedule.next_check_at <= now)
            .order_by(Schedule.next_check_at)
            .limit(BATCH)
        ).all()
    for schedule_id in due:
        with db.session() as session:
            claimed = session.scalar(
                select(Schedule.id)
                .where(Schedule.id == schedule_id, Schedule.next_check_at <= now)
                .with_for_update(skip_locked=True)
            )
            if claimed is not None:  # another engine may have done it meanwhile
                history.record(session, get_schedule(session, schedule_id), now)
    with db.session(write=False) as session:
        earliest: datetime | None = session.scalar(select(func.min(Schedule.next_check_at)))
    return earliest


def jobs() -> list[Job]:
    return [Job(name=JOB_NAME, run=check_schedules)]
