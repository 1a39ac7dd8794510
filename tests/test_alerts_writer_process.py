"""The intake writer process (`FIREHOUSE_INTAKE_WRITER=process`, what `firehouse serve` runs):
alerts are committed by another process before the 2xx, what the commit sets off (live events,
paging) still happens in the serving process, and a writer that dies costs a 503, never a lost
acknowledged alert."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firehouse.actor import Actor
from firehouse.alerts import service as alerts
from firehouse.alerts.models import Alert, Integration
from firehouse.alerts.service import integrations
from firehouse.alerts.service.committer import Submission
from firehouse.alerts.service.inputs import AlertInput
from firehouse.alerts.service.writer_process import WriterProcess
from firehouse.app import create_app
from firehouse.db import Database
from firehouse.engine import Engine, Job
from firehouse.escalation import service as escalation
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.settings import Settings
from firehouse.web.live import LiveEvent, hub_for
from tests.alerts_helpers import make_integration


@pytest.fixture
def live_database(database: Database) -> Iterator[Database]:
    """The test database on the real clock: the writer process reads the real clock too."""
    db = Database(database.url, pool_size=4)
    yield db
    db.dispose()


@pytest.fixture
def client(settings: Settings, live_database: Database) -> Iterator[TestClient]:
    app = create_app(
        settings.model_copy(update={"intake_writer": "process"}), database=live_database
    )
    with TestClient(app) as test_client:
        yield test_client


def writer_of(client: TestClient) -> WriterProcess:
    committer = client.app.state.alert_intake.committer  # type: ignore[attr-defined]
    assert isinstance(committer, WriterProcess)
    return committer


def post(client: TestClient, key: str, instance: str) -> Any:
    return client.post(
        "/api/v2/alerts",
        json=[{"labels": {"alertname": "DiskFull", "instance": instance, "severity": "critical"}}],
        headers={"Authorization": f"Bearer {key}"},
    )


def stored(database: Database) -> set[str]:
    with database.session(write=False) as session:
        return {a.labels["instance"] for a in session.scalars(select(Alert))}


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def paging_rule(database: Database) -> None:
    """Alerts open an incident and page through a policy (whose start wakes the engine)."""
    system = Actor.system("test")
    with database.session() as session:
        people.create_user(
            session,
            actor=system,
            handle="ana",
            name="Ana",
            email="ana@example.com",
            role=Role.responder,
        )
        policy = escalation.create_policy(
            session,
            actor=system,
            spec=escalation.PolicySpec(
                name="Disks",
                steps=[
                    escalation.StepSpec(
                        delay_minutes=5, targets=[escalation.TargetSpec(type="user", user="ana")]
                    )
                ],
            ),
        )
        alerts.create_rule(
            session,
            actor=system,
            fields={"name": "page", "action": "page", "escalation_policy_id": policy.id},
        )


def test_alerts_are_committed_by_the_writer_process_before_the_answer(
    client: TestClient, live_database: Database
) -> None:
    _, key = make_integration(live_database)
    response = post(client, key, "db-1")
    assert response.status_code == 200
    assert stored(live_database) == {"db-1"}  # committed before the 200, not after
    writer = writer_of(client)
    assert writer.pid is not None
    assert writer.pid != os.getpid()
    os.kill(writer.pid, 0)  # alive, serving the next batch


def test_its_commits_reach_open_pages_and_wake_the_engine(
    client: TestClient, live_database: Database
) -> None:
    _, key = make_integration(live_database)
    paging_rule(live_database)
    escalation_runs: list[datetime | None] = []

    def escalation_job(_db: Database) -> datetime | None:
        escalation_runs.append(None)
        return None

    engine = Engine(live_database, jobs=[Job("escalation", escalation_job)], max_sleep_seconds=3600)
    engine.start()
    try:
        wait_for(lambda: len(escalation_runs) == 1, "the engine's first round")

        async def alert_while_subscribed() -> LiveEvent:
            subscriber = hub_for(live_database.engine).subscribe()
            response = await asyncio.to_thread(post, client, key, "db-2")
            assert response.status_code == 200
            return await asyncio.wait_for(subscriber.queue.get(), timeout=20)

        event = asyncio.run(alert_while_subscribed())
        assert event.topic in ("alert", "incident")
        # the policy started in the writer process; the engine here was woken for it
        wait_for(lambda: len(escalation_runs) >= 2, "the engine to be woken for paging")
    finally:
        engine.stop()


def in_flight(writer: WriterProcess, batches: int) -> bool:
    return writer.in_flight == batches


def sent_to_a_stopped_writer(
    client: TestClient, key: str, instances: list[str], then: signal.Signals
) -> dict[str, int]:
    """Stop the writer process, post one alert per instance, each from a thread of its own and
    each only once the one before is in flight (sent to the writer, unanswered), then send the
    writer `then`; the answers by instance."""
    writer = writer_of(client)
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGSTOP)
    answers: dict[str, int] = {}

    def send(instance: str) -> None:
        answers[instance] = post(client, key, instance).status_code

    senders = [threading.Thread(target=send, args=(n,)) for n in instances]
    try:
        for sent, sender in enumerate(senders, start=1):
            sender.start()
            wait_for(partial(in_flight, writer, sent), f"batch {sent} to be sent to the writer")
        assert answers == {}  # none is acknowledged before it is committed
    finally:
        os.kill(writer.pid, then)
    for sender in senders:
        sender.join(timeout=30)
    return answers


def test_the_next_batch_is_sent_while_the_writer_still_applies_one(
    client: TestClient, live_database: Database
) -> None:
    """Pipelined: a second batch goes to the writer before the first is answered, and each is
    answered for itself once the writer gets on with them."""
    _, key = make_integration(live_database)
    assert post(client, key, "before").status_code == 200
    answers = sent_to_a_stopped_writer(client, key, ["first", "second"], signal.SIGCONT)
    assert answers == {"first": 200, "second": 200}
    assert stored(live_database) == {"before", "first", "second"}
    assert writer_of(client).in_flight == 0


def test_a_writer_that_dies_fails_every_batch_in_flight_and_the_next_gets_a_new_one(
    client: TestClient, live_database: Database
) -> None:
    _, key = make_integration(live_database)
    assert post(client, key, "before").status_code == 200
    first = writer_of(client).pid
    answers = sent_to_a_stopped_writer(client, key, ["lost-1", "lost-2"], signal.SIGKILL)
    assert answers == {"lost-1": 503, "lost-2": 503}  # not acknowledged: the senders retry
    assert stored(live_database) == {"before"}
    assert post(client, key, "lost-1").status_code == 200  # the retries, on a new process
    assert post(client, key, "lost-2").status_code == 200
    assert writer_of(client).pid not in (None, first)
    assert stored(live_database) == {"before", "lost-1", "lost-2"}


def test_a_batch_that_cannot_be_sent_fails_alone_and_later_replies_stay_matched(
    settings: Settings, live_database: Database
) -> None:
    """Replies are matched to batches by order: a batch that never reached the writer (it would
    not pickle) must not take a place in that order."""
    iid, _ = make_integration(live_database)
    with live_database.session(write=False) as session:
        integration = session.get(Integration, iid)
        assert integration is not None
        info = integrations.info(integration)

    def submission(fingerprint: str, raw: Any = None) -> Submission:
        item = AlertInput(fingerprint=fingerprint, action="trigger", summary=fingerprint, raw=raw)
        return Submission(info, [item])

    writer = WriterProcess(settings, live_database)
    try:
        [first] = writer.apply([submission("one")])
        assert not isinstance(first, BaseException)
        broken = writer.apply_async([submission("two", raw=threading.Lock())])
        with pytest.raises(TypeError):
            broken.result(timeout=30)
        [third] = writer.apply([submission("three")])
        assert not isinstance(third, BaseException)
        assert [o.fingerprint for o in third] == ["three"]
        assert writer.in_flight == 0
    finally:
        writer.close()
    assert stored_fingerprints(live_database) == {"one", "three"}


def test_a_batch_sent_from_a_reply_does_not_stall_the_replies(
    settings: Settings, live_database: Database
) -> None:
    """A batch's settlement may send another batch (the intake sends one again after a lock
    timeout). Were that done on the thread reading replies, a large batch sent from it and a
    large reply coming back would each wait, forever, for the other side to read."""
    iid, _ = make_integration(live_database)
    with live_database.session(write=False) as session:
        integration = session.get(Integration, iid)
        assert integration is not None
        info = integrations.info(integration)

    def submission(*fingerprints: str, raw: Any = None) -> Submission:
        items = [
            AlertInput(fingerprint=f, action="trigger", summary=f, raw=raw) for f in fingerprints
        ]
        return Submission(info, items)

    writer = WriterProcess(settings, live_database)
    try:
        writer.apply([submission("start")])  # the child is running
        assert writer.pid is not None
        os.kill(writer.pid, signal.SIGSTOP)
        sent_again: list[Future[Any]] = []
        first = writer.apply_async([submission("first")])
        # settling the first sends a batch bigger than the socket's buffers
        first.add_done_callback(
            lambda _: sent_again.append(
                writer.apply_async([submission("again", raw={"pad": "x" * 1_000_000})])
            )
        )
        # and behind the first, a batch whose reply is bigger than them too
        many = [f"many-{n:05d}-{'f' * 220}" for n in range(1_500)]
        big: list[Future[Any]] = []
        sender = threading.Thread(
            target=lambda: big.append(writer.apply_async([submission(*many)]))
        )
        sender.start()
        wait_for(partial(in_flight, writer, 2), "both batches to be on their way")
        os.kill(writer.pid, signal.SIGCONT)
        sender.join(timeout=60)
        [outcomes] = big[0].result(timeout=60)
        assert not isinstance(outcomes, BaseException)
        assert len(outcomes) == 1_500
        wait_for(lambda: bool(sent_again), "the batch sent from the first one's settlement")
        [again] = sent_again[0].result(timeout=60)
        assert not isinstance(again, BaseException)
        assert [o.fingerprint for o in again] == ["again"]
    finally:
        if writer.pid is not None:  # stuck (the test failed): end it, or closing waits forever
            os.kill(writer.pid, signal.SIGKILL if writer.in_flight else signal.SIGCONT)
        writer.close()
    assert len(stored_fingerprints(live_database)) == 1_503


def stored_fingerprints(database: Database) -> set[str]:
    with database.session(write=False) as session:
        return set(session.scalars(select(Alert.fingerprint)))


def test_closing_stops_the_writer_process(settings: Settings, live_database: Database) -> None:
    app = create_app(
        settings.model_copy(update={"intake_writer": "process"}), database=live_database
    )
    _, key = make_integration(live_database)
    with TestClient(app) as test_client:
        assert post(test_client, key, "x").status_code == 200
        pid = writer_of(test_client).pid
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
