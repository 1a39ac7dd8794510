"""Uptime history per component, drawn from its recorded status changes.

A day's bar shows the worst status the component was in that day. Uptime counts a major
outage as fully down and a partial outage as 30% down (as most public status pages do);
degraded performance and maintenance count as up."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, and_, func, select, type_coerce
from sqlalchemy.orm import Session

from firehouse.statuspage.models import (
    COMPONENT_WEIGHT,
    Component,
    ComponentStatus,
    ComponentStatusChange,
)

HISTORY_DAYS = 90
DAY = 86400.0
DOWN_WEIGHT = {ComponentStatus.major_outage: 1.0, ComponentStatus.partial_outage: 0.3}
# `.label` is an enum property, slow enough to matter 4,500 times a page
LABEL = {status: status.label for status in ComponentStatus}
STATUS = {status.value: status for status in ComponentStatus}


@dataclass(frozen=True)
class DayBar:
    day: date
    worst: ComponentStatus | None  # None: the component did not exist yet
    down_minutes: int
    label: str


@dataclass(frozen=True)
class History:
    bars: list[DayBar]
    uptime: float | None  # percent over the window; None without any observed time


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def history(
    session: Session, components: list[Component], *, now: datetime, days: int = HISTORY_DAYS
) -> dict[int, History]:
    """The bars and uptime of each component over the last `days` days (today included)."""
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=days - 1)
    window_start = _day_start(first_day)
    ids = [c.id for c in components]
    changes: dict[int, list[tuple[float, ComponentStatus]]] = defaultdict(list)
    if ids:
        last_before = (
            select(
                ComponentStatusChange.component_id,
                func.max(ComponentStatusChange.started_at).label("at"),
            )
            .where(
                ComponentStatusChange.component_id.in_(ids),
                ComponentStatusChange.started_at < window_start,
            )
            .group_by(ComponentStatusChange.component_id)
            .subquery()
        )
        before = session.execute(
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
        for component_id, status in before:
            changes[component_id] = [(window_start.timestamp(), status)]
        # the raw values: SQLAlchemy's per-row datetime and enum processing was most of the
        # page's render time (thousands of rows); _seconds and STATUS do the same, faster
        inside = session.execute(
            select(
                ComponentStatusChange.component_id,
                type_coerce(ComponentStatusChange.started_at, String),
                type_coerce(ComponentStatusChange.status, String),
            )
            .where(
                ComponentStatusChange.component_id.in_(ids),
                ComponentStatusChange.started_at >= window_start,
                ComponentStatusChange.started_at <= now,
            )
            .order_by(
                ComponentStatusChange.component_id,
                ComponentStatusChange.started_at,
                ComponentStatusChange.id,
            )
        ).all()
        for component_id, started_at, value in inside:
            changes[component_id].append((_seconds(started_at), STATUS[value]))
    dates = [first_day + timedelta(days=offset) for offset in range(days)]
    names = [d.isoformat() for d in dates]
    return {
        c.id: _component_history(changes.get(c.id, []), c, dates, names, now) for c in components
    }


def _seconds(value: str | datetime) -> float:
    """A stored time as POSIX seconds: SQLite returns the naive UTC text, PostgreSQL a
    datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _component_history(
    points: list[tuple[float, ComponentStatus]],
    component: Component,
    dates: list[date],
    names: list[str],
    now: datetime,
) -> History:
    first_day, days = dates[0], len(dates)
    if not points:
        # no recorded change: it has been in its current status since it was made
        made = max(component.created_at, _day_start(first_day))
        points = [(made.timestamp(), component.status)]
    origin = _day_start(first_day).timestamp()
    end_of_window = now.timestamp()
    worst: list[ComponentStatus | None] = [None] * days
    worst_weight = [-1] * days
    down = [0.0] * days
    observed = 0.0
    stamps = [p[0] for p in points]
    for index, (_, status) in enumerate(points):
        start = stamps[index]
        end = stamps[index + 1] if index + 1 < len(points) else end_of_window
        if end <= start:
            continue
        observed += end - start
        weight = DOWN_WEIGHT.get(status, 0.0)
        rank = COMPONENT_WEIGHT[status]
        day = int((start - origin) // DAY)
        cursor = start
        while cursor < end and day < days:
            stop = min(end, origin + (day + 1) * DAY)
            if rank > worst_weight[day]:
                worst_weight[day] = rank
                worst[day] = status
            if weight:
                down[day] += (stop - cursor) * weight
            cursor = stop
            day += 1
    bars = []
    for offset in range(days):
        day_date, name = dates[offset], names[offset]
        seen = worst[offset]
        minutes = round(down[offset] / 60)
        if seen is None:
            label = f"{name}: no data"
        elif minutes:
            label = f"{name}: {LABEL[seen]}, {minutes} min down"
        else:
            label = f"{name}: {LABEL[seen]}"
        bars.append(DayBar(day=day_date, worst=seen, down_minutes=minutes, label=label))
    uptime = None if observed <= 0 else max(0.0, 100.0 * (1 - sum(down) / observed))
    return History(bars=bars, uptime=uptime)
