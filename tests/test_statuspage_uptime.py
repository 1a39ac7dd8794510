"""The 90-day uptime bars and percentage, checked against a plain day-by-day computation on
random histories recorded in the database (the page computes them in one pass per component)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert

from firehouse.actor import Actor
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.statuspage import service as status
from firehouse.statuspage.models import ComponentStatus, ComponentStatusChange
from firehouse.statuspage.service.uptime import DOWN_WEIGHT, History, history

SYSTEM = Actor.system("test")
WEIGHT = {
    ComponentStatus.operational: 0,
    ComponentStatus.under_maintenance: 1,
    ComponentStatus.degraded_performance: 2,
    ComponentStatus.partial_outage: 3,
    ComponentStatus.major_outage: 4,
}


def _reference(
    changes: list[tuple[datetime, ComponentStatus]],
    created: datetime,
    current: ComponentStatus,
    now: datetime,
    days: int,
) -> tuple[list[tuple[date, ComponentStatus | None, int]], float | None]:
    first_day = now.date() - timedelta(days=days - 1)
    window_start = datetime.combine(first_day, time(0), tzinfo=UTC)
    before = [c for c in changes if c[0] < window_start]
    inside = [c for c in changes if window_start <= c[0] <= now]
    points = ([(window_start, before[-1][1])] if before else []) + inside
    if not points:
        points = [(max(created, window_start), current)]
    intervals = [
        (start, points[i + 1][0] if i + 1 < len(points) else now, status)
        for i, (start, status) in enumerate(points)
    ]
    intervals = [(s, e, st) for s, e, st in intervals if e > s]
    bars = []
    down_total = 0.0
    for offset in range(days):
        day_start = window_start + timedelta(days=offset)
        day_end = day_start + timedelta(days=1)
        worst: ComponentStatus | None = None
        down = 0.0
        for start, end, st in intervals:
            overlap = (min(end, day_end) - max(start, day_start)).total_seconds()
            if overlap <= 0:
                continue
            if worst is None or WEIGHT[st] > WEIGHT[worst]:
                worst = st
            down += overlap * DOWN_WEIGHT.get(st, 0.0)
        down_total += down
        bars.append((day_start.date(), worst, round(down / 60)))
    observed = sum((e - s).total_seconds() for s, e, _ in intervals)
    uptime = None if observed <= 0 else max(0.0, 100.0 * (1 - down_total / observed))
    return bars, uptime


def _record(database: Database, rng: random.Random, now: datetime, n: int) -> list[int]:
    """n components with random histories: some older than the window, some made inside it,
    some with no recorded change at all, changes on day boundaries and at the same instant."""
    ids = []
    with database.session() as session:
        for index in range(n):
            made = status.create_component(session, actor=SYSTEM, name=f"C{index}")
            made.created_at = now - timedelta(days=rng.choice([3, 40, 89.5, 120, 400]))
            made.status = rng.choice(list(ComponentStatus))
            ids.append(made.id)
            if index % 7 == 0:
                continue
            at = made.created_at
            rows = []
            while at < now + timedelta(hours=6):
                rows.append(
                    {
                        "component_id": made.id,
                        "status": rng.choice(list(ComponentStatus)),
                        "started_at": at,
                    }
                )
                step = rng.choice(["minutes", "hours", "days", "midnight", "same"])
                if step == "minutes":
                    at += timedelta(minutes=rng.uniform(1, 300))
                elif step == "hours":
                    at += timedelta(hours=rng.uniform(1, 30))
                elif step == "days":
                    at += timedelta(days=rng.uniform(1, 20))
                elif step == "midnight":
                    at = datetime.combine(at.date(), time(0), tzinfo=UTC) + timedelta(days=1)
            session.execute(insert(ComponentStatusChange), rows)
    return ids


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_uptime_matches_a_plain_day_by_day_computation(
    database: Database, clock: FrozenClock, seed: int
) -> None:
    rng = random.Random(seed)
    clock.advance(timedelta(hours=rng.uniform(0, 24)))
    now = clock.now()
    ids = _record(database, rng, now, 15)
    with database.session() as session:
        components = [c for c in status.list_components(session) if c.id in ids]
        got = history(session, components, now=now)
        rows = session.execute(
            ComponentStatusChange.__table__.select().order_by(
                ComponentStatusChange.started_at, ComponentStatusChange.id
            )
        ).all()
        checked = 0
        for c in components:
            changes = [
                (r.started_at, ComponentStatus(r.status)) for r in rows if r.component_id == c.id
            ]
            bars, uptime = _reference(changes, c.created_at, c.status, now, 90)
            found: History = got[c.id]
            assert [(b.day, b.worst, b.down_minutes) for b in found.bars] == bars, c.name
            if uptime is None:
                assert found.uptime is None
            else:
                assert found.uptime == pytest.approx(uptime, abs=1e-6)
            checked += 1
        assert checked == 15
