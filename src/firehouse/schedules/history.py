"""On-call history (who was actually on call, recorded as it happens), shift-start notices
and gap warnings. The engine job in `firehouse.schedules.jobs` drives it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from firehouse.notify import contacts
from firehouse.notify import service as notify
from firehouse.people import service as people
from firehouse.people.models import User
from firehouse.schedules import compute
from firehouse.schedules.lookups import spec
from firehouse.schedules.models import OnCallRecord, Schedule

GAP_WINDOW = timedelta(days=14)  # a team hears about a gap this far ahead
GAP_LOOKBACK = timedelta(days=28)  # how far back a gap that is already open is traced
RECHECK = timedelta(hours=1)  # re-read a schedule at least this often (gaps moving into view)
NOTICE_WINDOW = timedelta(hours=1)  # a shift that started longer ago than this gets no notice


@dataclass(frozen=True)
class Change:
    at: datetime
    user_ids: tuple[int, ...]  # empty: nobody from here on
    source: str
    source_id: int


def changes(shifts: list[compute.Shift], start: datetime, end: datetime) -> list[Change]:
    """The moments the set of people on call changes within [start, end), from `start` on."""
    found: list[Change] = []
    cursor = start
    for shift in shifts:
        if shift.start > cursor:
            found.append(Change(cursor, (), compute.LAYER, 0))
        found.append(Change(shift.start, shift.user_ids, shift.source, shift.source_id))
        cursor = shift.end
    if cursor < end:
        found.append(Change(cursor, (), compute.LAYER, 0))
    return found


def list_history(
    session: Session, *, schedule_id: int, start: datetime, end: datetime
) -> list[OnCallRecord]:
    return list(
        session.scalars(
            select(OnCallRecord)
            .where(
                OnCallRecord.schedule_id == schedule_id,
                OnCallRecord.started_at < end,
                or_(OnCallRecord.ended_at.is_(None), OnCallRecord.ended_at > start),
            )
            .order_by(OnCallRecord.started_at, OnCallRecord.id)
        ).all()
    )


def _tell(
    session: Session, user: User, *, subject: str, body: str, kind: str, key: str, data: Any
) -> None:
    """Through the person's low-urgency notification rules, the immediate ones only (an email
    to their account address when they have none)."""
    rules = contacts.rules_for(session, user, "low")
    soonest = min(rule.delay_minutes for rule in rules)
    for rule in rules:
        if rule.delay_minutes != soonest:
            continue
        notify.enqueue(
            session,
            channel=rule.channel,
            target=rule.target,
            subject=subject,
            body_text=body,
            kind=kind,
            user_id=user.id,
            contact_method_id=rule.contact_method_id,
            secret=rule.secret,
            payload={"event": kind, "subject": subject, **data}
            if rule.channel == "webhook"
            else None,
            dedup_key=f"{key}:{rule.key}",
        )


def _notify_shift_start(session: Session, schedule: Schedule, user_id: int, at: datetime) -> None:
    user = people.get_user(session, user_id)
    if not user.active:
        return
    local = at.astimezone(compute.zone(schedule.timezone)).strftime("%a %d %b %H:%M %Z")
    _tell(
        session,
        user,
        subject=f"You are on call: {schedule.name}",
        body=f"Your on-call shift for {schedule.name} started at {local}.",
        kind="schedule.shift_start",
        key=f"schedule-shift:{schedule.id}:{user.id}:{at.isoformat()}",
        data={"schedule_id": schedule.id, "user": user.handle, "started_at": at.isoformat()},
    )


def _warn_gaps(
    session: Session,
    schedule: Schedule,
    shifts: list[compute.Shift],
    since: datetime,
    now: datetime,
) -> None:
    """Tell the schedule's team (its managers, else every member) once about each gap."""
    if schedule.team_id is None or not schedule.layers:
        return  # nobody to tell, or a schedule still being set up
    horizon = now + GAP_WINDOW
    holes = [(a, b) for a, b in compute.gaps_of(shifts, since, horizon) if b > now]
    if not holes:
        return
    team = people.get_team(session, schedule.team_id)
    managers = [m.user for m in team.members if m.is_manager and m.user.active]
    recipients = managers or [m.user for m in team.members if m.user.active]
    tz = compute.zone(schedule.timezone)
    for start, end in holes:
        key = "open" if start <= since else start.isoformat()
        when = (
            f"from {max(start, now).astimezone(tz):%a %d %b %H:%M} "
            f"to {end.astimezone(tz):%a %d %b %H:%M %Z}"
        )
        ends_in_view = "" if end < horizon else " (or later)"
        for user in recipients:
            _tell(
                session,
                user,
                subject=f"Nobody is on call for {schedule.name} {when}",
                body=(
                    f"The schedule {schedule.name} has nobody on call {when}{ends_in_view}. "
                    "Add an override or change a layer to cover it."
                ),
                kind="schedule.gap",
                key=f"schedule-gap:{schedule.id}:{key}:{user.id}",
                data={
                    "schedule_id": schedule.id,
                    "gap_start": start.isoformat(),
                    "gap_end": end.isoformat(),
                },
            )


def record(session: Session, schedule: Schedule, now: datetime) -> datetime:
    """Bring the schedule's history up to `now`, send what is due, and return when the people
    on call next change (or the next periodic re-check, whichever is sooner)."""
    since = min(schedule.recorded_until or now, now)
    start = min(since, now - GAP_LOOKBACK)
    horizon = now + GAP_WINDOW
    shifts = compute.final_schedule(spec(session, schedule, start, horizon), start, horizon)
    open_rows = {
        row.user_id: row
        for row in session.scalars(
            select(OnCallRecord).where(
                OnCallRecord.schedule_id == schedule.id, OnCallRecord.ended_at.is_(None)
            )
        )
    }
    found = changes(shifts, start, horizon)
    in_effect = [c for c in found if c.at <= since]
    steps = [(since, in_effect[-1])] if in_effect else []
    steps += [(c.at, c) for c in found if since < c.at <= now]
    upcoming = next((c.at for c in found if c.at > now), None)
    for at, change in steps:
        for user_id, row in list(open_rows.items()):
            if user_id not in change.user_ids:
                row.ended_at = at
                del open_rows[user_id]
        for user_id in change.user_ids:
            if user_id in open_rows:
                continue
            open_rows[user_id] = OnCallRecord(
                schedule_id=schedule.id,
                user_id=user_id,
                started_at=at,
                source=change.source,
                source_id=change.source_id,
            )
            session.add(open_rows[user_id])
            if at >= now - NOTICE_WINDOW:
                _notify_shift_start(session, schedule, user_id, at)
    _warn_gaps(session, schedule, shifts, start, now)
    schedule.recorded_until = now
    recheck = now + RECHECK
    schedule.next_check_at = min(upcoming, recheck) if upcoming else recheck
    session.flush()
    return schedule.next_check_at
