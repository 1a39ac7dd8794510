"""Uptime history per component, drawn from its recorded status changes.

A day's bar shows the worst status the component was in that day. Uptime counts a major
outage as fully down and a partial outage as 30% down (as most public status pages do);
degraded performance and maintenance count as up.

A day that is over does not change unless someone edits its history, so each component's closed
days are computed once and stored (`ComponentUptime`, written by the engine's `status_uptime`
job); a page reads them and computes only the later days live: today, plus any day an edit made
stale or the job has not stored yet. Both use the same walk over the changes."""

from __future__ import annotations

import functools
import sys
from array import array
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, String, and_, func, insert, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from firehouse.statuspage.models import (
    COMPONENT_WEIGHT,
    Component,
    ComponentStatus,
    ComponentStatusChange,
    ComponentUptime,
)

HISTORY_DAYS = 90
DAY = 86400.0
DOWN_WEIGHT = {ComponentStatus.major_outage: 1.0, ComponentStatus.partial_outage: 0.3}
# `.label` is an enum property, slow enough to matter 4,500 times a page
LABEL = {status: status.label for status in ComponentStatus}
NO_DATA = -1  # a day's worst "status" before the component existed
# a day's worst status is kept as its weight; StrEnum members hash as their values, so these
# take both the enum and the raw column value
WEIGHT: dict[str, int] = {status.value: weight for status, weight in COMPONENT_WEIGHT.items()}
BY_WEIGHT: dict[int, ComponentStatus | None] = {
    NO_DATA: None,
    **{weight: status for status, weight in COMPONENT_WEIGHT.items()},
}
DOWN_BY_WEIGHT = {COMPONENT_WEIGHT[status]: share for status, share in DOWN_WEIGHT.items()}

Points = list[tuple[float, int]]  # (POSIX seconds, weight of the status entered then)


@dataclass(frozen=True)
class Days:
    """Consecutive days from `first`: each one's worst status (as a weight, NO_DATA before the
    component existed), seconds down (weighted) and seconds observed."""

    first: date
    worst: list[int]
    down: list[float]
    observed: list[float]

    def __len__(self) -> int:
        return len(self.worst)

    def between(self, start: date, end: date) -> Days:
        """The days from `start` up to (not including) `end`, within these."""
        a = (start - self.first).days
        b = (end - self.first).days
        return Days(start, self.worst[a:b], self.down[a:b], self.observed[a:b])

    def then(self, later: Days) -> Days:
        return Days(
            self.first,
            self.worst + later.worst,
            self.down + later.down,
            self.observed + later.observed,
        )

    def as_json(self) -> dict[str, list[Any]]:
        return {"worst": self.worst, "down": self.down, "observed": self.observed}


@dataclass(frozen=True)
class DayBar:
    day: date
    worst: ComponentStatus | None  # None: the component did not exist yet
    down_minutes: int
    label: str


@dataclass(frozen=True)
class History:
    first_day: date
    worst: list[int]  # weights, NO_DATA before the component existed
    down_minutes: list[int]
    uptime: float | None  # percent over the window; None without any observed time

    @property
    def bars(self) -> list[DayBar]:
        names = day_names(self.first_day, len(self.worst))
        return [
            DayBar(
                day=self.first_day + timedelta(days=offset),
                worst=BY_WEIGHT[weight],
                down_minutes=minutes,
                label=f"{names[offset]}: {bar_text(weight, minutes)}",
            )
            for offset, (weight, minutes) in enumerate(
                zip(self.worst, self.down_minutes, strict=True)
            )
        ]


def bar_text(weight: int, minutes: int) -> str:
    status = BY_WEIGHT[weight]
    if status is None:
        return "no data"
    if minutes:
        return f"{LABEL[status]}, {minutes} min down"
    return LABEL[status]


@functools.lru_cache(maxsize=8)
def day_names(first: date, days: int) -> tuple[str, ...]:
    return tuple((first + timedelta(days=offset)).isoformat() for offset in range(days))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _today(now: datetime) -> date:
    return now.astimezone(UTC).date()


@dataclass(frozen=True)
class _Stored:
    """What a component's stored row gives a page: the window's days before `start`, and the
    status in force when `start` began (None: unknown, to be read from the changes)."""

    days: Days | None
    start: date
    weight: int | None


def history(
    session: Session, components: list[Component], *, now: datetime, days: int = HISTORY_DAYS
) -> dict[int, History]:
    """The bars and uptime of each component over the last `days` days (today included)."""
    today = _today(now)
    first_day = today - timedelta(days=days - 1)
    stored = _stored(session, [c.id for c in components], first_day=first_day, today=today)
    starts = {i: (found.start, found.weight) for i, found in stored.items()}
    origins, points = _points(session, starts, until=now, inclusive=True)
    end = now.timestamp()
    result = {}
    for c in components:
        found = points.get(c.id)
        if not found:
            # no recorded change: it has been in its current status since it was made
            made = max(c.created_at, _day_start(first_day))
            walked = _walk([(made.timestamp(), WEIGHT[c.status])], first_day, days, end)
        else:
            origin = origins[c.id]
            live = _walk(found, origin, (today - origin).days + 1, end)
            kept = stored[c.id].days
            walked = live.between(stored[c.id].start, today + timedelta(days=1))
            if kept is not None:
                walked = kept.then(walked)
        result[c.id] = _history(walked)
    return result


def _history(days: Days) -> History:
    observed = sum(days.observed)
    uptime = None if observed <= 0 else max(0.0, 100.0 * (1 - sum(days.down) / observed))
    return History(days.first, days.worst, [round(down / 60) for down in days.down], uptime)


def _stored(
    session: Session, ids: list[int], *, first_day: date, today: date
) -> dict[int, _Stored]:
    """Per component, the stored days of the window before today that it has from the window's
    first day on (maybe none), and where the live part starts."""
    found = {i: _Stored(None, first_day, None) for i in ids}
    if not ids:
        return found
    rows = session.execute(
        select(
            ComponentUptime.component_id,
            ComponentUptime.first_day,
            ComponentUptime.through,
            ComponentUptime.through_weight,
            ComponentUptime.days,
        ).where(ComponentUptime.component_id.in_(ids))
    ).all()
    for component_id, first, through, weight, packed in rows:
        days = _unpack(first, packed)
        end = min(through, today, first + timedelta(days=len(days)))
        if first <= first_day < end:
            found[component_id] = _Stored(
                days.between(first_day, end), end, weight if end == through else None
            )
    return found


def _pack(days: Days) -> bytes:
    """A byte per day's worst weight, then the seconds down and observed as little-endian
    doubles: 17 bytes a day, read back without parsing."""
    down, observed = array("d", days.down), array("d", days.observed)
    if sys.byteorder == "big":
        down.byteswap()
        observed.byteswap()
    return array("b", days.worst).tobytes() + down.tobytes() + observed.tobytes()


def _unpack(first: date, packed: bytes) -> Days:
    n = len(packed) // 17
    worst, down, observed = array("b"), array("d"), array("d")
    worst.frombytes(packed[:n])
    down.frombytes(packed[n : 9 * n])
    observed.frombytes(packed[9 * n : 17 * n])
    if sys.byteorder == "big":
        down.byteswap()
        observed.byteswap()
    return Days(first, worst.tolist(), down.tolist(), observed.tolist())


def _points(
    session: Session,
    starts: dict[int, tuple[date, int | None]],
    *,
    until: datetime,
    inclusive: bool,
) -> tuple[dict[int, date], dict[int, Points]]:
    """Each component's status changes from the start of its day in `starts` to `until`
    (included or not), after the status in force at that start: given there, or else read
    (then from the earliest such start, for all of them). Returns where each one starts."""
    origins = {i: day for i, (day, weight) in starts.items()}
    unknown = [i for i, (day, weight) in starts.items() if weight is None]
    changes: dict[int, Points] = defaultdict(list)
    for component_id, (day, weight) in starts.items():
        if weight is not None and weight != NO_DATA:
            changes[component_id] = [(_day_start(day).timestamp(), weight)]
    if not starts:
        return origins, changes
    if unknown:
        since = min(origins[i] for i in unknown)
        origins.update(dict.fromkeys(unknown, since))
        for component_id, weight in _status_before(session, unknown, _day_start(since)):
            changes[component_id] = [(_day_start(since).timestamp(), weight)]
    begins = {i: _day_start(day).timestamp() for i, day in origins.items()}
    upto = (
        ComponentStatusChange.started_at <= until
        if inclusive
        else ComponentStatusChange.started_at < until
    )
    # the raw values: SQLAlchemy's per-row datetime and enum processing was most of the
    # page's render time (thousands of rows); _seconds and WEIGHT do the same, faster
    inside = session.execute(
        select(
            ComponentStatusChange.component_id,
            type_coerce(ComponentStatusChange.started_at, String),
            type_coerce(ComponentStatusChange.status, String),
        )
        .where(
            ComponentStatusChange.component_id.in_(list(starts)),
            ComponentStatusChange.started_at >= _day_start(min(origins.values())),
            upto,
        )
        .order_by(
            ComponentStatusChange.component_id,
            ComponentStatusChange.started_at,
            ComponentStatusChange.id,
        )
    ).all()
    for component_id, started_at, value in inside:
        at = _seconds(started_at)
        if at >= begins[component_id]:
            changes[component_id].append((at, WEIGHT[value]))
    return origins, changes


def _status_before(session: Session, ids: list[int], since: datetime) -> list[tuple[int, int]]:
    """Each component's status as of `since`: its last change before then."""
    last_before = (
        select(
            ComponentStatusChange.component_id,
            func.max(ComponentStatusChange.started_at).label("at"),
        )
        .where(
            ComponentStatusChange.component_id.in_(ids),
            ComponentStatusChange.started_at < since,
        )
        .group_by(ComponentStatusChange.component_id)
        .subquery()
    )
    rows = session.execute(
        select(ComponentStatusChange.component_id, ComponentStatusChange.status)
        .join(
            last_before,
            and_(
                last_before.c.component_id == ComponentStatusChange.component_id,
                last_before.c.at == ComponentStatusChange.started_at,
            ),
        )
        # of two changes at the same instant, the later recorded one holds
        .order_by(ComponentStatusChange.id)
    ).all()
    return [(component_id, WEIGHT[status]) for component_id, status in rows]


def _seconds(value: str | datetime) -> float:
    """A stored time as POSIX seconds: SQLite returns the naive UTC text, PostgreSQL a
    datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _walk(points: Points, first: date, days: int, end: float) -> Days:
    """Split the intervals between `points` (the last one lasting until `end`) over `days`
    days from `first`."""
    origin = _day_start(first).timestamp()
    worst = [NO_DATA] * days
    down = [0.0] * days
    observed = [0.0] * days
    for index, (start, weight) in enumerate(points):
        finish = points[index + 1][0] if index + 1 < len(points) else end
        if finish <= start:
            continue
        share = DOWN_BY_WEIGHT.get(weight, 0.0)
        day = int((start - origin) // DAY)
        cursor = start
        while cursor < finish and day < days:
            stop = min(finish, origin + (day + 1) * DAY)
            if weight > worst[day]:
                worst[day] = weight
            if share:
                down[day] += (stop - cursor) * share
            observed[day] += stop - cursor
            cursor = stop
            day += 1
    return Days(first, worst, down, observed)


def _stale(today: date) -> Select[int]:
    """Components whose stored days end before today (or that have none)."""
    return (
        select(Component.id)
        .outerjoin(ComponentUptime, ComponentUptime.component_id == Component.id)
        .where(or_(ComponentUptime.through.is_(None), ComponentUptime.through < today))
    )


def all_stored(session: Session, *, now: datetime) -> bool:
    return session.scalar(_stale(_today(now)).limit(1)) is None


def store_closed_days(session: Session, *, now: datetime, days: int = HISTORY_DAYS) -> bool:
    """Store the window's closed days (before today) of every component whose stored days end
    earlier: after midnight one new day each, after an edit of past history the days from the
    edited one on. False when a component was left for later (an edit holds it)."""
    today = _today(now)
    first_day = today - timedelta(days=days - 1)
    stale = session.scalars(_stale(today)).all()
    if not stale:
        return True
    # on PostgreSQL, a component whose history a transaction is editing waits for a later round
    claimed = list(
        session.scalars(
            select(Component.id)
            .where(Component.id.in_(stale))
            .order_by(Component.id)
            .with_for_update(skip_locked=True)
        ).all()
    )
    existing = set(
        session.scalars(
            select(ComponentUptime.component_id).where(ComponentUptime.component_id.in_(claimed))
        ).all()
    )
    stored = _stored(session, claimed, first_day=first_day, today=today)
    starts = {i: (found.start, found.weight) for i, found in stored.items()}
    midnight = _day_start(today)
    origins, points = _points(session, starts, until=midnight, inclusive=False)
    for component_id in claimed:
        found, origin = points.get(component_id, []), origins[component_id]
        walked = _walk(found, origin, (today - origin).days, midnight.timestamp())
        walked = walked.between(stored[component_id].start, today)
        kept = stored[component_id].days
        if kept is not None:
            walked = kept.then(walked)
        values = {
            "first_day": first_day,
            "through": today,
            # the last change before midnight holds (same-instant ones come in recorded order)
            "through_weight": found[-1][1] if found else NO_DATA,
            "days": _pack(walked),
        }
        if component_id in existing:
            session.execute(
                update(ComponentUptime)
                .where(ComponentUptime.component_id == component_id)
                .values(**values)
            )
        else:
            session.execute(insert(ComponentUptime).values(component_id=component_id, **values))
    return len(claimed) == len(stale)


def next_midnight(now: datetime) -> datetime:
    return _day_start(_today(now) + timedelta(days=1))
