"""iCal feeds: secret-token URLs that Google Calendar and Outlook subscribe to, per schedule
and per person. Only the SHA-256 of a token is stored; the URL is shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.errors import Forbidden, NotFound
from firehouse.people import service as people
from firehouse.people.models import User
from firehouse.schedules import compute
from firehouse.schedules.lookups import get_schedule, list_schedules, spec
from firehouse.schedules.models import CalendarFeed, Schedule

# what a feed shows, around the time it is fetched
FEED_PAST = timedelta(days=14)
FEED_AHEAD = timedelta(days=90)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedFeed:
    feed: CalendarFeed
    token: str


def _issue(
    session: Session, *, actor: Actor, schedule_id: int | None, user_id: int | None
) -> IssuedFeed:
    """A new secret URL; the caller's previous one for the same calendar stops working."""
    if not actor.can_write or actor.user_id is None:
        raise Forbidden("this token is read-only")
    query = select(CalendarFeed).where(CalendarFeed.created_by_id == actor.user_id)
    if schedule_id is not None:
        query = query.where(CalendarFeed.schedule_id == schedule_id)
    else:
        query = query.where(CalendarFeed.user_id == user_id)
    for old in session.scalars(query).all():
        session.delete(old)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        token_hash=token_hash(token),
        schedule_id=schedule_id,
        user_id=user_id,
        created_by_id=actor.user_id,
        created_at=clock.now(session),
    )
    session.add(feed)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule.feed.issue",
        target_type="schedule" if schedule_id is not None else "user",
        target_id=schedule_id if schedule_id is not None else user_id,
        after={"feed_id": feed.id},
    )
    return IssuedFeed(feed, token)


def issue_schedule_feed(session: Session, *, actor: Actor, schedule_id: int) -> IssuedFeed:
    schedule = get_schedule(session, schedule_id)
    return _issue(session, actor=actor, schedule_id=schedule.id, user_id=None)


def issue_person_feed(session: Session, *, actor: Actor) -> IssuedFeed:
    return _issue(session, actor=actor, schedule_id=None, user_id=actor.user_id)


def _feed(session: Session, token: str, *, personal: bool) -> CalendarFeed:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token)))
    if feed is None or (feed.user_id is not None) != personal:
        raise NotFound("no such calendar")
    if feed.created_by_id is None or not people.get_user(session, feed.created_by_id).active:
        raise NotFound("no such calendar")
    return feed


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    while data:
        limit = 75 if not parts else 74
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # not inside a UTF-8 character
            cut -= 1
        parts.append(data[:cut].decode())
        data = data[cut:]
    return "\r\n ".join(parts)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str


def render_calendar(name: str, events: list[Event], *, now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//firehouse//on-call//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "X-PUBLISHED-TTL:PT1H",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(event.start)}",
            f"DTEND:{_stamp(event.end)}",
            f"SUMMARY:{_escape(event.summary)}",
            f"DESCRIPTION:{_escape(event.description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _names(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.scalars(select(User).where(User.id.in_(user_ids))).all()
    return {u.id: u.name for u in rows}


def _uid(schedule: Schedule, shift: compute.Shift, user_id: int | None = None) -> str:
    who = f"-{user_id}" if user_id is not None else ""
    return f"{schedule.id}-{shift.source}-{shift.source_id}-{_stamp(shift.start)}{who}@firehouse"


def schedule_calendar(session: Session, token: str) -> str:
    feed = _feed(session, token, personal=False)
    assert feed.schedule_id is not None
    schedule = get_schedule(session, feed.schedule_id)
    now = clock.now(session)
    start, end = now - FEED_PAST, now + FEED_AHEAD
    shifts = compute.final_schedule(spec(session, schedule, start, end), start, end)
    names = _names(session, {u for s in shifts for u in s.user_ids})
    events = [
        Event(
            uid=_uid(schedule, shift),
            start=shift.start,
            end=shift.end,
            summary=f"On call: {', '.join(names.get(u, str(u)) for u in shift.user_ids)}",
            description=f"{schedule.name} ({schedule.timezone})",
        )
        for shift in shifts
    ]
    return render_calendar(f"On call: {schedule.name}", events, now=now)


def person_calendar(session: Session, token: str) -> str:
    feed = _feed(session, token, personal=True)
    assert feed.user_id is not None
    user = people.get_user(session, feed.user_id)
    now = clock.now(session)
    start, end = now - FEED_PAST, now + FEED_AHEAD
    events: list[Event] = []
    for schedule in list_schedules(session):
        for shift in compute.final_schedule(spec(session, schedule, start, end), start, end):
            if user.id in shift.user_ids:
                events.append(
                    Event(
                        uid=_uid(schedule, shift, user.id),
                        start=shift.start,
                        end=shift.end,
                        summary=f"On call: {schedule.name}",
                        description=f"{user.name} is on call for {schedule.name}",
                    )
                )
    events.sort(key=lambda e: (e.start, e.uid))
    return render_calendar(f"On call: {user.name}", events, now=now)
