"""Every engine job looks before it writes: a round with nothing due takes no write lock (on
SQLite the one writer, which paging needs), changes no row and tells the engine when to come
back instead of asking to be run again at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from firehouse.actor import Actor
from firehouse.clock import FrozenClock
from firehouse.db import Base, Database
from firehouse.engine import Engine
from firehouse.engine.jobs import all_jobs
from firehouse.settings import Settings
from firehouse.statuspage import service as status
from tests.alerts_helpers import make_integration
from tests.conftest import Person, declare


def _rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the audit trail's head included)."""
    with database.session(write=False) as session:
        return {
            table.name: [
                tuple(row)
                for row in session.execute(select(table).order_by(*table.primary_key.columns)).all()
            ]
            for table in Base.metadata.sorted_tables
        }


def _something_for_every_job(
    database: Database, client: TestClient, admin: Person, clock: FrozenClock
) -> None:
    """An open incident someone follows, a heartbeat, a schedule and a maintenance window,
    none of them due yet once the engine has caught up."""
    incident = declare(client, admin, title="Checkout is failing")
    r = client.post(
        "/api/v1/me/follows",
        json={"type": "incident", "target": incident["reference"]},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    integration_id, _ = make_integration(database, name="cron", type="generic")
    r = client.post(
        "/api/v1/heartbeats",
        json={"integration_id": integration_id, "name": "nightly", "interval_minutes": 60},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/schedules", json={"name": "Spare", "timezone": "UTC"}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    with database.session() as session:
        now = clock.now()
        status.schedule_maintenance(
            session,
            actor=Actor.system("test"),
            title="Database upgrade",
            body="",
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=1),
            component_ids=[],
            notify=False,
            base_url="http://testserver",
        )


def test_a_round_with_nothing_due_takes_no_write_lock_and_writes_nothing(
    database: Database,
    clock: FrozenClock,
    client: TestClient,
    admin: Person,
    settings: Settings,
) -> None:
    _something_for_every_job(database, client, admin, clock)
    engine = Engine(database, jobs=all_jobs(settings))
    settled = engine.run_until_idle()  # first timers, the declaration's pages and notices
    assert settled is not None
    assert settled > clock.now()
    clock.advance(timedelta(seconds=1))

    writers: list[str] = []
    current = ""

    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("sqlite_begin") != "DEFERRED":
            writers.append(current)  # a write session (BEGIN IMMEDIATE on SQLite)

    before = _rows(database)
    event.listen(database.engine, "begin", on_begin)
    try:
        for job in engine.jobs:
            current = job.name
            job.run(database)
        current = "run_once"
        due = engine.run_once()
    finally:
        event.remove(database.engine, "begin", on_begin)

    assert writers == [], f"jobs that opened a write transaction with nothing due: {writers}"
    assert _rows(database) == before
    # the engine sleeps until the next timer (the heartbeat at the latest), not "again now"
    assert due is not None
    assert clock.now() < due <= clock.now() + timedelta(hours=1)
