"""Durable and correct under concurrency: group commit, several instances on one database,
repeats answered from memory without losing a state change, and a kill -9 loses no 2xx."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from firehouse.actor import Actor
from firehouse.alerts import service as alerts
from firehouse.alerts.models import Alert, Integration
from firehouse.alerts.service import integrations
from firehouse.alerts.service.inputs import AlertInput, IntegrationInfo
from firehouse.alerts.service.writer import Intake, _Request
from firehouse.clock import FrozenClock
from firehouse.db import Database
from tests.alerts_helpers import make_integration


def info_of(database: Database, integration_id: int) -> IntegrationInfo:
    with database.session(write=False) as session:
        row = session.get(Integration, integration_id)
        assert row is not None
        return integrations.info(row)


def trigger(fp: str, summary: str = "s") -> AlertInput:
    return AlertInput(fingerprint=fp, action="trigger", summary=summary, labels={"alertname": fp})


def open_alerts(database: Database) -> list[Alert]:
    with database.session(write=False) as session:
        return list(session.scalars(select(Alert).where(Alert.resolved_at.is_(None))).all())


@pytest.fixture
def instances(database: Database, clock: FrozenClock) -> Iterator[list[Intake]]:
    """Two firehouse instances: each its own connection pool, caches and writer thread."""
    second = Database(database.url, clock=clock, pool_size=4)
    made = [Intake(database), Intake(second)]
    for intake in made:
        intake.start()
    yield made
    for intake in made:
        intake.close()
    second.dispose()


def test_concurrent_requests_share_commits(database: Database) -> None:
    iid, _ = make_integration(database)
    info = info_of(database, iid)
    commits = 0

    def count(_conn: Any) -> None:
        nonlocal commits
        commits += 1

    intake = Intake(database)
    intake.start()
    event.listen(database.engine, "commit", count)
    try:

        def work(worker: int) -> None:
            for i in range(40):
                intake.apply(info, [trigger(f"w{worker}-{i}")])

        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        event.remove(database.engine, "commit", count)
        intake.close()
    assert len(open_alerts(database)) == 320
    assert commits < 320 / 2, f"{commits} commits for 320 requests"


def test_two_instances_never_open_one_fingerprint_twice(
    database: Database, instances: list[Intake]
) -> None:
    iid, _ = make_integration(database)
    info = info_of(database, iid)
    fingerprints = [f"fp-{i}" for i in range(30)]
    errors: list[BaseException] = []

    def work(intake: Intake, worker: int) -> None:
        try:
            for round_ in range(3):
                for fp in fingerprints[worker % 3 :: 1]:
                    intake.apply(info, [trigger(fp, summary=f"r{round_ % 2}")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(instances[w % 2], w)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    for intake in instances:
        intake.flush_repeats()
    found = open_alerts(database)
    assert sorted(a.fingerprint for a in found) == sorted(fingerprints)


def test_a_resolve_on_one_instance_is_not_lost_to_a_cached_repeat_on_another(
    database: Database, instances: list[Intake]
) -> None:
    iid, _ = make_integration(database)
    info = info_of(database, iid)
    one, two = instances
    one.apply(info, [trigger("x")])
    one.apply(info, [trigger("x")])  # cached: answered without the database
    two.apply(info, [AlertInput(fingerprint="x", action="resolve")])
    assert open_alerts(database) == []
    # the same delivery again on the first instance: its cache says open, but the alert was
    # resolved; the flush writes the repeat as what it is, a re-fire
    one.apply(info, [trigger("x")])
    one.flush_repeats()
    with database.session(write=False) as session:
        statuses = session.scalars(select(Alert.status).order_by(Alert.id)).all()
    assert [s.value for s in statuses] == ["resolved", "triggered"]


def test_repeats_are_counted_without_a_write_and_flushed_in_a_batch(
    database: Database,
) -> None:
    iid, _ = make_integration(database)
    info = info_of(database, iid)
    intake = Intake(database)
    intake.apply(info, [trigger("x")])
    writes = 0

    def count(*_args: Any) -> None:
        nonlocal writes
        writes += 1

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        for _ in range(50):
            intake.apply(info, [trigger("x")])
        during = writes
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert during == 0
    intake.flush_repeats()
    with database.session(write=False) as session:
        assert session.scalar(select(Alert.repeat_count)) == 50


def test_one_bad_request_in_a_shared_commit_sinks_only_itself(database: Database) -> None:
    iid, _ = make_integration(database)
    info = info_of(database, iid)
    gone = dataclasses.replace(info, id=info.id + 1000)  # its integration no longer exists
    intake = Intake(database)
    intake.apply(info, [trigger("x")])
    intake.apply(info, [trigger("x")])  # a repeat counted in memory, written with the batch
    batch = [
        _Request(info, [trigger("x", summary="changed")], Future()),
        _Request(gone, [trigger("lost")], Future()),
        _Request(info, [trigger("y")], Future()),
    ]
    intake._process(batch)
    assert batch[0].future.result()[0].status == "triggered"
    assert batch[1].future.exception() is not None
    assert batch[2].future.result()[0].alert_id is not None
    with database.session(write=False) as session:
        found = {a.fingerprint: a for a in session.scalars(select(Alert))}
    assert set(found) == {"x", "y"}
    assert found["x"].summary == "changed"
    assert found["x"].repeat_count == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FIREHOUSE_DATABASE_URL": url,
        "FIREHOUSE_PORT": str(port),
        "FIREHOUSE_ADMIN_PASSWORD": "correct-horse-battery-staple",
        "FIREHOUSE_LOG_LEVEL": "warning",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "firehouse", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"firehouse did not start: {log.read_text()[-2000:]}")


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_alert(database: Database, tmp_path: Path) -> None:
    port = _free_port()
    server = _serve(database.url, port, tmp_path / "serve.log")
    try:
        with database.session() as session:
            key = alerts.create_integration(
                session, actor=Actor.system("test"), name="crash", type="generic"
            ).key
        acknowledged: list[str] = []
        stop = threading.Event()

        def load(worker: int) -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
                for i in range(100_000):
                    if stop.is_set():
                        return
                    dedup = f"w{worker}-{i}"
                    try:
                        response = http.post(
                            f"/integrations/{key}/generic",
                            json={
                                "summary": f"alert {dedup}",
                                "dedup_key": dedup,
                                "labels": {"alertname": "CrashTest", "service": "crash"},
                            },
                        )
                    except httpx.HTTPError:
                        return
                    if response.status_code == 202:
                        acknowledged.append(dedup)

        threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acknowledged) >= 200
    restarted = _serve(database.url, port, tmp_path / "serve.log")
    try:
        with database.session(write=False) as session:
            stored = set(session.scalars(select(Alert.fingerprint)).all())
            total = session.scalar(select(func.count()).select_from(Alert))
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
    missing = [d for d in acknowledged if d not in stored]
    assert missing == []
    assert total is not None
    assert total >= len(acknowledged)
