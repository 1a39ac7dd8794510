"""The 90-day uptime bars and percentage, checked against a plain day-by-day computation on
random histories recorded in the database: computed in one pass per component, and from the
closed days the engine stores, after backdated edits of the history and across midnight."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from firehouse.actor import Actor
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.settings import Settings
from firehouse.statuspage import jobs as status_jobs
from firehouse.statuspage import service as status
from firehouse.statuspage.jobs import UPTIME_RETRY
from firehouse.statuspage.models import ComponentStatus, ComponentStatusChange, ComponentUptime
from firehouse.statuspage.service.common import set_component_status
from firehouse.statuspage.service.uptime import DOWN_WEIGHT, History, history
from tests.conftest import PG_URL

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


def _assert_matches_plain(database: Database, now: datetime, ids: list[int]) -> None:
    """What the page shows (stored closed days and live ones together) equals the plain
    day-by-day computation over every recorded change."""
    with database.session(write=False) as session:
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
        assert checked == len(ids)


def _stored_through(database: Database) -> dict[int, date]:
    with database.session(write=False) as session:
        return {row.component_id: row.through for row in session.scalars(select(ComponentUptime))}


def _uptime_engine(database: Database, settings: Settings) -> Engine:
    jobs = [job for job in status_jobs.jobs(settings) if job.name == "status_uptime"]
    return Engine(database, jobs=jobs, listen=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_uptime_matches_a_plain_day_by_day_computation(
    database: Database, clock: FrozenClock, seed: int
) -> None:
    rng = random.Random(seed)
    clock.advance(timedelta(hours=rng.uniform(0, 24)))
    now = clock.now()
    ids = _record(database, rng, now, 15)
    assert _stored_through(database) == {}
    _assert_matches_plain(database, now, ids)


@pytest.mark.parametrize("seed", [4, 5])
def test_stored_days_match_the_plain_computation_after_backdated_edits(
    database: Database, clock: FrozenClock, settings: Settings, seed: int
) -> None:
    rng = random.Random(seed)
    clock.advance(timedelta(hours=rng.uniform(0, 24)))
    now = clock.now()
    today = now.date()
    ids = _record(database, rng, now, 12)
    engine = _uptime_engine(database, settings)
    # the engine stores every component's closed days once, then waits for midnight
    assert engine.run_until_idle() == datetime.combine(today + timedelta(days=1), time(0), UTC)
    assert _stored_through(database) == dict.fromkeys(ids, today)
    _assert_matches_plain(database, now, ids)

    def at(days_ago: float) -> datetime:
        return now - timedelta(days=days_ago)

    with database.session() as session:
        changes = {
            c.component_id: c
            for c in session.scalars(
                select(ComponentStatusChange).order_by(ComponentStatusChange.started_at)
            )
            if at(80) < c.started_at < at(2)
        }
        edited = [i for i in sorted(changes) if i != ids[1]][:4]
        assert len(edited) == 4
        # an outage recorded after the fact, 30 days back
        session.add(
            ComponentStatusChange(
                component_id=ids[1], status=ComponentStatus.major_outage, started_at=at(30)
            )
        )
        session.add(
            ComponentStatusChange(
                component_id=ids[1], status=ComponentStatus.operational, started_at=at(29.9)
            )
        )
        # a change moved to another day, one given another status, one removed
        changes[edited[0]].started_at = at(rng.uniform(60, 85))
        changes[edited[1]].status = ComponentStatus.partial_outage
        session.delete(changes[edited[2]])
        # the service's own backdating: it went down before midnight, not now
        component = status.get_component(session, edited[3])
        set_component_status(
            session,
            component,
            ComponentStatus.major_outage,
            at=datetime.combine(today, time(0), UTC) - timedelta(minutes=20),
        )
    stored = _stored_through(database)
    # the edited days and all later ones are forgotten; the other components keep theirs
    assert stored[ids[1]] == at(30).date()
    assert stored[edited[3]] == today - timedelta(days=1)
    assert all(stored[i] < today for i in edited)
    assert all(stored[i] == today for i in ids if i not in {ids[1], *edited})
    _assert_matches_plain(database, now, ids)

    engine.run_until_idle()
    assert _stored_through(database) == dict.fromkeys(ids, today)
    _assert_matches_plain(database, now, ids)


def test_stored_days_roll_over_at_midnight(
    database: Database, clock: FrozenClock, settings: Settings
) -> None:
    rng = random.Random(7)
    now = clock.now()
    ids = _record(database, rng, now, 10)
    engine = _uptime_engine(database, settings)
    engine.run_until_idle()
    _assert_matches_plain(database, now, ids)
    # past midnight, the page computes the day just closed until the engine stores it; then
    # a few days with no engine at all; then long enough for the whole window to move on
    for step in (
        datetime.combine(now.date() + timedelta(days=1), time(0), UTC) - now,
        timedelta(seconds=1),
        timedelta(hours=3),
        timedelta(days=3, hours=5),
        timedelta(days=120),
    ):
        now = clock.advance(step)
        with database.session() as session:
            component = status.get_component(session, ids[rng.randrange(len(ids))])
            set_component_status(session, component, rng.choice(list(ComponentStatus)))
        _assert_matches_plain(database, now, ids)
        engine.run_until_idle()
        assert _stored_through(database) == dict.fromkeys(ids, now.date())
        _assert_matches_plain(database, now, ids)
    with database.session(write=False) as session:
        first_days = set(session.scalars(select(ComponentUptime.first_day)))
    assert first_days == {now.date() - timedelta(days=89)}


@pytest.mark.skipif(not PG_URL, reason="a writer beside the engine needs PostgreSQL")
def test_the_engine_leaves_a_component_being_edited_for_later(
    database: Database, clock: FrozenClock, settings: Settings
) -> None:
    rng = random.Random(8)
    ids = _record(database, rng, clock.now(), 6)
    engine = _uptime_engine(database, settings)
    engine.run_until_idle()
    now = clock.advance(timedelta(days=1))
    with database.session() as editing:
        # an edit of yesterday's history, not committed yet, while midnight's job runs
        editing.add(
            ComponentStatusChange(
                component_id=ids[2],
                status=ComponentStatus.major_outage,
                started_at=now - timedelta(hours=30),
            )
        )
        editing.flush()
        assert engine.run_once() == now + UPTIME_RETRY
        stored = _stored_through(database)
        assert stored[ids[2]] < now.date()
        assert all(stored[i] == now.date() for i in ids if i != ids[2])
    engine.run_until_idle()
    assert _stored_through(database) == dict.fromkeys(ids, now.date())
    _assert_matches_plain(database, now, ids)
