"""The outbox against real peers: an SMTP server that goes down for an hour, a webhook receiver
that checks signatures, Apprise posting to a local HTTP server, fallback and throttling."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine, Job
from firehouse.escalation import service as escalation
from firehouse.notify import links
from firehouse.notify import service as notify
from firehouse.notify.delivery import Deliverer
from firehouse.notify.models import DeliveryAttempt, Notification
from firehouse.notify.senders import verify_webhook
from firehouse.settings import Settings
from tests.conftest import MakePerson, Person, declare
from tests.paging_fixtures import (  # noqa: F401
    engine,
    paging_settings,
    receiver,
    run_for,
    smtp,
)
from tests.paging_peers import HttpReceiver, SmtpServer, link_path


def _enqueue_email(database: Database, n: int, **extra: Any) -> list[int]:
    ids = []
    with database.session() as session:
        for i in range(n):
            row = notify.enqueue(
                session,
                channel="email",
                target=f"person{i}@example.com",
                subject=f"message {i}",
                body_text="hello",
                kind="test",
                **extra,
            )
            ids.append(row.id)
    return ids


def test_enqueue_with_the_same_dedup_key_is_a_no_op(database: Database) -> None:
    with database.session() as session:
        first = notify.enqueue(
            session,
            channel="email",
            target="a@example.com",
            subject="s",
            body_text="b",
            kind="test",
            dedup_key="once",
        )
        second = notify.enqueue(
            session,
            channel="email",
            target="a@example.com",
            subject="s",
            body_text="b",
            kind="test",
            dedup_key="once",
        )
        assert first.id == second.id
    with database.session() as session:
        assert len(session.scalars(select(Notification)).all()) == 1


def test_smtp_down_for_an_hour_then_up_delivers_everything_once(
    database: Database,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    smtp.stop()
    ids = _enqueue_email(database, 5)
    run_for(engine, clock, 60)
    assert smtp.inbox == []
    smtp.start()
    run_for(engine, clock, 15)
    assert sorted(smtp.ids()) == sorted(ids), "every notification arrived, none twice"
    with database.session() as session:
        attempts = session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.notification_id == ids[0])
        ).all()
        results = [a.result for a in attempts]
        assert results[-1] == "sent"
        assert results.count("failed") >= 5
        assert all(a.error and "SMTP" in a.error for a in attempts if a.result == "failed")
        gaps = [(b.started_at - a.started_at).total_seconds() for a, b in pairwise(attempts)]
        assert gaps[3] > gaps[0], "retries back off"


def test_a_signed_webhook_carries_a_verifiable_signature_and_timestamp(
    client: TestClient,
    responder: Person,
    engine: Engine,  # noqa: F811
    receiver: HttpReceiver,  # noqa: F811
) -> None:
    made = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "webhook", "address": receiver.url(), "label": "my hook"},
        headers=responder.headers,
    )
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    assert secret
    sent = client.post(
        f"/api/v1/me/contact-methods/{made.json()['id']}/test", headers=responder.headers
    )
    assert sent.status_code == 202
    engine.run_until_idle()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    timestamp = request.headers["x-firehouse-timestamp"]
    signature = request.headers["x-firehouse-signature"]
    assert verify_webhook(secret, timestamp, request.body, signature)
    assert not verify_webhook(secret, str(int(timestamp) + 1), request.body, signature)
    assert not verify_webhook("wrong", timestamp, request.body, signature)
    assert request.json()["event"] == "test"
    mine = client.get("/api/v1/me/notifications", headers=responder.headers).json()
    assert mine[0]["status"] == "sent"
    assert mine[0]["target"].startswith("http://127.0.0.1/")


def test_apprise_urls_deliver_through_apprise(
    client: TestClient,
    responder: Person,
    engine: Engine,  # noqa: F811
    receiver: HttpReceiver,  # noqa: F811
) -> None:
    url = f"json://127.0.0.1:{receiver.port}/chat"
    made = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "chat", "address": url},
        headers=responder.headers,
    )
    assert made.status_code == 201, made.text
    client.post(f"/api/v1/me/contact-methods/{made.json()['id']}/test", headers=responder.headers)
    engine.run_until_idle()
    assert [r.path for r in receiver.requests] == ["/chat"]
    assert receiver.requests[0].json()["title"] == "firehouse test notification"


def test_contact_methods_are_checked(client: TestClient, responder: Person) -> None:
    bad = [
        ({"kind": "email", "address": "not-an-address"}, "address"),
        ({"kind": "webhook", "address": "ftp://example.com"}, "address"),
        ({"kind": "sms", "address": "nonsense://"}, "address"),
    ]
    for body, field in bad:
        response = client.post("/api/v1/me/contact-methods", json=body, headers=responder.headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["details"][0]["field"] == field
    rule = client.post(
        "/api/v1/me/notification-rules",
        json={"contact_method_id": 999, "urgency": "high"},
        headers=responder.headers,
    )
    assert rule.status_code == 404


def test_a_page_that_keeps_failing_falls_back_to_the_next_method(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    receiver: HttpReceiver,  # noqa: F811
    clock: FrozenClock,
) -> None:
    alice = make_person("alice")
    receiver.status = 500
    hook = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "webhook", "address": receiver.url()},
        headers=alice.headers,
    ).json()
    client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "email", "address": "alice.backup@example.com"},
        headers=alice.headers,
    )
    client.post(
        "/api/v1/me/notification-rules",
        json={"contact_method_id": hook["id"], "urgency": "high"},
        headers=alice.headers,
    )
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "name": "Alice",
            "steps": [{"delay_minutes": 60, "targets": [{"type": "user", "user": "alice"}]}],
        },
        headers=manager.headers,
    ).json()
    ref = str(declare(client, manager)["reference"])
    client.post(f"/api/v1/incidents/{ref}/page", json={"policy_id": policy["id"]},
                headers=manager.headers)  # fmt: skip
    run_for(engine, clock, 1)
    assert smtp.to("alice.backup@example.com") == []
    run_for(engine, clock, 2)
    assert len(receiver.requests) == 3
    assert len(smtp.to("alice.backup@example.com")) == 1, "after 3 failures, the next method"
    log = client.get(f"/api/v1/incidents/{ref}/deliveries", headers=manager.headers).json()
    assert [d["channel"] for d in log] == ["webhook", "email"]
    assert [a["result"] for a in log[0]["attempt_log"]] == ["failed"] * 3
    assert "HTTP 500" in log[0]["attempt_log"][0]["error"]
    run_for(engine, clock, 30)
    assert len(smtp.to("alice.backup@example.com")) == 1, "the fallback happens once"


def test_a_contact_method_is_throttled(
    database: Database,
    client: TestClient,
    responder: Person,
    smtp: SmtpServer,  # noqa: F811
    paging_settings: Settings,  # noqa: F811
    clock: FrozenClock,
) -> None:
    method = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "email", "address": "rita.pager@example.com"},
        headers=responder.headers,
    ).json()
    with database.session() as session:
        for i in range(5):
            notify.enqueue(
                session,
                channel="email",
                target="rita.pager@example.com",
                subject=f"burst {i}",
                body_text="...",
                kind="test",
                contact_method_id=method["id"],
            )
    deliverer = Deliverer.from_settings(paging_settings)
    deliverer.per_minute = 2
    deliverer.run(database)
    assert len(smtp.inbox) == 2
    clock.advance(timedelta(seconds=30))
    deliverer.run(database)
    assert len(smtp.inbox) == 2
    clock.advance(timedelta(seconds=31))
    deliverer.run(database)
    assert len(smtp.inbox) == 4
    clock.advance(timedelta(minutes=1))
    deliverer.run(database)
    assert len(smtp.inbox) == 5


def test_one_click_links_are_signed_expiring_and_single_use(
    client: TestClient, responder: Person, database: Database, clock: FrozenClock
) -> None:
    incident = declare(client, responder)
    with database.session() as session:
        secret = links.link_secret(session, None)

        def token(action: str, hours: float = 1) -> str:
            return links.make_token(
                secret,
                incident_id=int(str(incident["id"])),
                action=action,
                user_id=responder.id,
                now=clock.now(),
                lifetime=timedelta(hours=hours),
            )

        resolve, expiring = token("resolve"), token("acknowledge", hours=0.5)
    forged = resolve[:-2] + ("AA" if not resolve.endswith("AA") else "BB")
    assert client.post(f"/a/{forged}").status_code == 404
    clock.advance(timedelta(hours=0.75))
    assert client.post(f"/a/{expiring}").status_code == 409
    ref = incident["reference"]
    assert (
        client.get(f"/api/v1/incidents/{ref}", headers=responder.headers).json()["status"]
        == "triggered"
    )
    done = client.post(f"/a/{resolve}")
    assert done.status_code == 200, done.text
    assert (
        client.get(f"/api/v1/incidents/{ref}", headers=responder.headers).json()["status"]
        == "resolved"
    )
    assert client.post(f"/a/{resolve}").status_code == 409
    assert "already used" in client.get(f"/a/{resolve}").text


def test_a_team_channel_hears_declared_severity_and_resolved(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    receiver: HttpReceiver,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
) -> None:
    make_person("pat", teams=("payments",))
    hook = client.post(
        "/api/v1/teams/payments/channels",
        json={"channel": "webhook", "target": receiver.url("/stakeholders")},
        headers=manager.headers,
    )
    assert hook.status_code == 201, hook.text
    mail = client.post(
        "/api/v1/teams/payments/channels",
        json={"channel": "email", "target": "execs@example.com", "events": ["resolved"]},
        headers=manager.headers,
    )
    assert mail.status_code == 201
    incident = declare(client, manager, team="payments")
    ref = incident["reference"]
    declare(client, manager, title="Not payments")
    engine.run_until_idle()
    client.patch(f"/api/v1/incidents/{ref}", json={"severity": "SEV1"}, headers=manager.headers)
    client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=manager.headers)
    client.post(f"/api/v1/incidents/{ref}/resolve", headers=manager.headers)
    engine.run_until_idle()
    events = [r.json()["event"] for r in receiver.requests]
    assert events == ["incident.declared", "incident.severity_changed", "incident.resolved"]
    assert len(smtp.to("execs@example.com")) == 1
    assert "resolved" in str(smtp.to("execs@example.com")[0]["Subject"])


def test_a_first_start_on_a_database_with_history_tells_channels_only_what_is_new(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    clock: FrozenClock,
    engine: Engine,  # noqa: F811
    receiver: HttpReceiver,  # noqa: F811
) -> None:
    make_person("pat", teams=("payments",))
    declare(client, manager, team="payments", title="Last week's outage")
    clock.advance(timedelta(hours=2))
    hook = client.post(
        "/api/v1/teams/payments/channels",
        json={"channel": "webhook", "target": receiver.url("/stakeholders")},
        headers=manager.headers,
    )
    assert hook.status_code == 201, hook.text
    engine.run_until_idle()
    assert receiver.requests == []
    declare(client, manager, team="payments", title="Checkout is down")
    engine.run_until_idle()
    assert [r.json()["event"] for r in receiver.requests] == ["incident.declared"]
    assert b"Checkout is down" in receiver.requests[0].body


def test_the_test_button_reaches_the_smtp_server(
    client: TestClient,
    responder: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
) -> None:
    made = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "email", "address": "rita.phone@example.com"},
        headers=responder.headers,
    ).json()
    sent = client.post(f"/api/v1/me/contact-methods/{made['id']}/test", headers=responder.headers)
    assert sent.status_code == 202
    engine.run_until_idle()
    assert len(smtp.to("rita.phone@example.com")) == 1


def test_the_engine_wakes_when_a_page_is_written(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    database: Database,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
) -> None:
    make_person("alice")
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "name": "Alice",
            "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "user": "alice"}]}],
        },
        headers=manager.headers,
    ).json()
    incident = declare(client, manager)
    engine.run_until_idle()
    engine.max_sleep_seconds = 3600  # only a wake-up can make it act in time
    delivered = threading.Event()

    def watched(job: Job) -> Job:
        def run(db: Database) -> datetime | None:
            due = job.run(db)
            if smtp.to("alice@example.com"):
                delivered.set()
            return due

        return Job(name=job.name, run=run)

    engine.jobs = [watched(job) for job in engine.jobs]
    engine.start()
    try:
        with database.session() as session:
            escalation.page_for_incident(
                session, incident_id=int(str(incident["id"])), policy_id=policy["id"]
            )
        assert delivered.wait(10), "the engine did not wake"
    finally:
        engine.stop()
    assert len(smtp.to("alice@example.com")) == 1
    page = smtp.to("alice@example.com")[0]
    assert link_path(page, "Resolve").startswith("/a/")


def test_the_profile_page_adds_a_method_and_its_test_button_sends(
    client: TestClient,
    responder: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
) -> None:
    added = client.post(
        "/profile/notifications/methods",
        data={"kind": "email", "address": "rita.pager@example.com", "label": "pager"},
        headers=responder.headers,
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get("/profile/notifications", headers=responder.headers)
    assert page.status_code == 200
    assert "rita.pager@example.com" in page.text
    method_id = client.get("/api/v1/me/contact-methods", headers=responder.headers).json()[0]["id"]
    tested = client.post(
        f"/profile/notifications/methods/{method_id}/test",
        headers=responder.headers,
        follow_redirects=False,
    )
    assert tested.status_code == 303
    engine.run_until_idle()
    assert len(smtp.to("rita.pager@example.com")) == 1
    bad = client.post(
        "/profile/notifications/methods",
        data={"kind": "email", "address": "nope"},
        headers=responder.headers,
    )
    assert bad.status_code == 422
    assert "not an email address" in bad.text
