"""The engine: runs jobs, sleeps until the next timer or a wake-up, survives kill -9, and two
engines on one PostgreSQL never do the same work twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from firehouse.actor import Actor
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine, Job, wake_after_commit
from firehouse.engine.jobs import all_jobs
from firehouse.engine.testclock import FileOffsetClock
from firehouse.escalation import jobs as escalation_jobs
from firehouse.escalation import service as escalation
from firehouse.escalation.models import Escalation
from firehouse.incidents import service as incidents
from firehouse.incidents.service.lifecycle import Declaration
from firehouse.notify import jobs as notify_jobs
from firehouse.notify import service as notify
from firehouse.notify.delivery import Deliverer
from firehouse.notify.models import DeliveryAttempt, DeliveryStatus, Notification
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.settings import Settings
from tests.conftest import PG_URL
from tests.paging_fixtures import paging_settings, smtp  # noqa: F401
from tests.paging_peers import SmtpServer


def test_run_once_runs_every_job_and_returns_the_earliest_due_time(
    database: Database, clock: FrozenClock
) -> None:
    now = clock.now()
    calls: list[str] = []

    def later(minutes: int) -> Callable[[Database], datetime | None]:
        def run(_db: Database) -> datetime | None:
            calls.append(f"later{minutes}")
            return now + timedelta(minutes=minutes)

        return run

    def broken(_db: Database) -> datetime | None:
        calls.append("broken")
        raise RuntimeError("boom")

    engine = Engine(
        database,
        jobs=[Job("a", later(10)), Job("broken", broken), Job("b", later(3))],
    )
    due = engine.run_once()
    assert calls == ["later10", "broken", "later3"], "a failing job does not stop the others"
    assert due == now + timedelta(seconds=5), "the failed job is retried soon"
    engine.run_once()
    assert calls.count("broken") == 1, "not retried before its back-off"
    clock.advance(timedelta(seconds=6))
    engine.run_once()
    assert calls.count("broken") == 2


def test_every_domain_registers_its_jobs_once() -> None:
    names = [job.name for job in all_jobs(Settings())]
    assert len(names) == len(set(names))
    assert {"escalation", "delivery", "stakeholders"} <= set(names)


def test_a_commit_wakes_a_sleeping_engine(database: Database) -> None:
    ran = threading.Event()
    rounds: list[int] = []

    def count(_db: Database) -> datetime | None:
        rounds.append(1)
        if len(rounds) > 1:
            ran.set()
        return None

    engine = Engine(database, jobs=[Job("count", count)], max_sleep_seconds=3600)
    engine.start()
    try:
        deadline = time.monotonic() + 10
        while not rounds and time.monotonic() < deadline:
            time.sleep(0.01)
        with database.session() as session:
            wake_after_commit(session)
        assert ran.wait(10), "the commit did not wake the engine"
    finally:
        engine.stop()


def _people_and_policy(db: Database, handles: list[str]) -> int:
    system = Actor.system("test")
    with db.session() as session:
        for handle in handles:
            people.create_user(
                session,
                actor=system,
                handle=handle,
                name=handle.title(),
                email=f"{handle}@example.com",
                role=Role.responder,
            )
        policy = escalation.create_policy(
            session,
            actor=system,
            spec=escalation.PolicySpec(
                name="Restart",
                steps=[
                    escalation.StepSpec(
                        delay_minutes=5, targets=[escalation.TargetSpec(type="user", user=h)]
                    )
                    for h in handles
                ],
            ),
        )
        return policy.id


def _declare_and_page(db: Database, policy_id: int, title: str = "Down") -> int:
    with db.session() as session:
        incident = incidents.declare(
            session, actor=Actor.system("test"), spec=Declaration(title=title, severity="SEV2")
        )
        escalation.page_for_incident(session, incident_id=incident.id, policy_id=policy_id)
        return incident.id


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def worker_env(tmp_path: Path, smtp: SmtpServer) -> dict[str, str]:  # noqa: F811
    clock_file = tmp_path / "clock-offset"
    clock_file.write_text("0")
    url = f"sqlite:///{tmp_path / 'worker.db'}"  # the worker's own database, on a file
    return {
        **os.environ,
        "FIREHOUSE_DATABASE_URL": url,
        "FIREHOUSE_SMTP_HOST": "127.0.0.1",
        "FIREHOUSE_SMTP_PORT": str(smtp.port),
        "FIREHOUSE_TEST_CLOCK_FILE": str(clock_file),
        "FIREHOUSE_ADMIN_PASSWORD": "restart-test-password",
        "FIREHOUSE_LOG_FORMAT": "text",
        "FIREHOUSE_LOG_LEVEL": "warning",
    }


@pytest.mark.slow
def test_kill_9_mid_escalation_and_restart_skips_and_repeats_nothing(
    worker_env: dict[str, str],
    smtp: SmtpServer,  # noqa: F811
) -> None:
    clock_file = Path(worker_env["FIREHOUSE_TEST_CLOCK_FILE"])
    command = [sys.executable, "-m", "firehouse", "worker"]
    migrate = subprocess.run(
        [sys.executable, "-m", "firehouse", "db", "upgrade"],
        env=worker_env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    db = Database(worker_env["FIREHOUSE_DATABASE_URL"], clock=FileOffsetClock(str(clock_file)))
    handles = ["alice", "bob", "carol"]
    policy_id = _people_and_policy(db, handles)
    incident_id = _declare_and_page(db, policy_id)

    def pages(handle: str) -> int:
        return len(smtp.to(f"{handle}@example.com"))

    offset = 0.0
    for i, handle in enumerate(handles):
        process = subprocess.Popen(command, env=worker_env, stderr=subprocess.PIPE)
        try:
            # wait until the page is recorded as sent: a kill between sending and recording
            # re-sends that one message (see test_a_send_cut_short_is_resent_once)
            _wait_for(lambda h=handle: _sent_to(db, f"{h}@example.com"), f"{handle}'s page")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            assert process.stderr is not None
            process.stderr.close()
        assert [pages(h) for h in handles] == [1] * (i + 1) + [0] * (len(handles) - i - 1)
        offset += 5 * 60 + 1
        clock_file.write_text(str(offset))
    process = subprocess.Popen(command, env=worker_env, stderr=subprocess.PIPE)
    try:
        _wait_for(
            lambda: any(e.state.value == "done" for e in _escalations(db, incident_id)),
            "the escalation to end",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()
    assert [pages(h) for h in handles] == [1, 1, 1], "no step skipped, none repeated"
    db.dispose()


def _sent_to(db: Database, address: str) -> bool:
    with db.session(write=False) as session:
        return (
            session.scalar(
                select(Notification.id).where(
                    Notification.target == address, Notification.status == DeliveryStatus.sent
                )
            )
            is not None
        )


def _escalations(db: Database, incident_id: int) -> list[Escalation]:
    with db.session(write=False) as session:
        return escalation.escalations_of(session, incident_id)


def test_a_send_cut_short_is_resent_once(
    database: Database,
    paging_settings: Settings,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    """An engine that dies after claiming (maybe after sending) leaves a lease; when it runs
    out, another engine sends that one message again and the log says the first try was lost."""
    with database.session() as session:
        row = notify.enqueue(
            session,
            channel="email",
            target="once@example.com",
            subject="s",
            body_text="b",
            kind="test",
        )
    crashed = Deliverer.from_settings(paging_settings)
    assert len(crashed._claim(database)) == 1  # claimed, then the process "dies"
    survivor = Deliverer.from_settings(paging_settings)
    survivor.run(database)
    assert smtp.inbox == [], "not while the lease holds"
    clock.advance(crashed.lease + timedelta(seconds=1))
    survivor.run(database)
    survivor.run(database)
    assert smtp.ids() == [row.id]
    with database.session(write=False) as session:
        results = session.scalars(
            select(DeliveryAttempt.result)
            .where(DeliveryAttempt.notification_id == row.id)
            .order_by(DeliveryAttempt.id)
        ).all()
    assert list(results) == ["lost", "sent"]


@pytest.mark.skipif(not PG_URL, reason="two engines claiming rows needs PostgreSQL")
def test_two_engines_on_postgresql_never_send_the_same_page_twice(
    database: Database,
    paging_settings: Settings,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    handles = [f"user{i}" for i in range(3)]
    policy_id = _people_and_policy(database, handles)
    incident_ids = [_declare_and_page(database, policy_id, f"Down {i}") for i in range(20)]
    with database.session() as session:
        for i in range(100):
            notify.enqueue(
                session,
                channel="email",
                target=f"bulk{i}@example.com",
                subject="bulk",
                body_text="x",
                kind="test",
            )
    other = Database(database.url, clock=clock, pool_size=4)
    engines = [
        Engine(
            db, jobs=[*escalation_jobs.jobs(paging_settings), *notify_jobs.jobs(paging_settings)]
        )
        for db in (database, other)
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                engine.run_until_idle()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for _minute in range(16):
        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        clock.advance(timedelta(minutes=1))
    other.dispose()
    assert errors == []
    ids = smtp.ids()
    assert len(ids) == len(set(ids)), "a notification was sent twice"
    assert len(ids) == 100 + len(incident_ids) * len(handles)
    for handle in handles:
        assert len(smtp.to(f"{handle}@example.com")) == len(incident_ids)
    with database.session(write=False) as session:
        workers = set(session.scalars(select(DeliveryAttempt.worker)).all())
    assert len(workers) == 2, "both engines did some of the work"


def test_a_savepoint_rolled_back_does_not_lose_the_wake(database: Database) -> None:
    woken: list[frozenset[str] | None] = []

    class Recorder(Engine):
        def wake(self, jobs: frozenset[str] | None = None) -> None:
            woken.append(jobs)

    # without LISTEN: a NOTIFY of the first commit arriving late would look like a second wake
    engine = Recorder(database, jobs=[Job("delivery", lambda _db: None)], listen=False)
    engine.start()
    try:
        with database.session() as session:
            wake_after_commit(session, jobs=("delivery",))
            with pytest.raises(RuntimeError), session.begin_nested():
                raise RuntimeError("one request of a batch fails")
        assert frozenset({"delivery"}) in woken
        woken.clear()

        def fail_after_waking() -> None:
            with database.session() as session:
                wake_after_commit(session, jobs=("delivery",))
                raise RuntimeError("the whole transaction rolls back")

        with pytest.raises(RuntimeError):
            fail_after_waking()
        assert woken == []
    finally:
        engine.stop()
