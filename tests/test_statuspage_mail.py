"""Subscribers, end to end through the outbox to a real SMTP server (aiosmtpd) and a real HTTP
receiver: double opt-in, no mail bombing, updates, one-click unsubscribe, per-component
subscriptions, signed webhooks and maintenance reminders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from firehouse.app import create_app
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.notify.senders import verify_webhook
from firehouse.settings import Settings
from tests.conftest import Person
from tests.status_helpers import (
    Receiver,
    SmtpServer,
    component,
    mail_settings,
    make_engine,
    publish,
    start_receiver,
    start_smtp,
    text_of,
)

SP = "/api/v1/statuspage"
BASE = "https://status.example.com"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = start_receiver()
    yield server
    assert server.server is not None
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def configured(settings: Settings, smtp: SmtpServer) -> Settings:
    return mail_settings(settings, smtp.port)


@pytest.fixture
def mail_client(configured: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(configured, database=database)) as c:
        yield c


@pytest.fixture
def engine(database: Database, configured: Settings) -> Engine:
    return make_engine(database, configured)


def _link(text: str, path: str) -> str:
    match = re.search(re.escape(BASE) + re.escape(path) + r"\?token=([A-Za-z0-9._-]+)", text)
    assert match, text
    return f"{path}?token={match.group(1)}"


def _subscribe(
    client: TestClient, engine: Engine, smtp: SmtpServer, address: str, **extra: object
) -> None:
    r = client.post("/status/api/subscribers", json={"email": address, **extra})
    assert r.status_code == 202, r.text
    engine.run_until_idle()
    mails = smtp.mailbox.to(address)
    assert len(mails) == 1
    confirm = _link(text_of(mails[-1]), "/status/subscribe/confirm")
    page = client.get(confirm)
    assert page.status_code == 200
    assert "Subscribed" in page.text
    smtp.mailbox.clear()


def test_double_opt_in_then_updates_arrive_with_an_unsubscribe_link(
    mail_client: TestClient, engine: Engine, smtp: SmtpServer, manager: Person
) -> None:
    r = mail_client.post("/status/api/subscribers", json={"email": "reader@example.com"})
    assert r.status_code == 202
    engine.run_until_idle()
    [confirmation] = smtp.mailbox.to("reader@example.com")
    assert confirmation["Subject"] == "Confirm your subscription to Service status"
    # not confirmed yet: an update does not reach them
    made = publish(mail_client, manager, title="Slow API", body="Requests take 5 s.")
    engine.run_until_idle()
    assert len(smtp.mailbox.to("reader@example.com")) == 1

    mail_client.get(_link(text_of(confirmation), "/status/subscribe/confirm"))
    smtp.mailbox.clear()
    r = mail_client.post(
        f"{SP}/incidents/{made['id']}/updates",
        json={"status": "identified", "body": "A bad cache node; replacing it."},
        headers=manager.headers,
    )
    assert r.status_code == 201
    engine.run_until_idle()
    [update] = smtp.mailbox.to("reader@example.com")
    assert update["Subject"] == "[Service status] Slow API: Identified"
    body = text_of(update)
    assert "A bad cache node; replacing it." in body
    assert f"{BASE}/status/incidents/{made['id']}" in body
    assert "/status/unsubscribe?token=" in body


def test_repeated_subscribe_requests_send_one_mail_per_window(
    mail_client: TestClient, engine: Engine, smtp: SmtpServer, clock: FrozenClock
) -> None:
    for _ in range(5):
        r = mail_client.post("/status/api/subscribers", json={"email": "victim@example.com"})
        assert r.status_code == 202
        mail_client.post("/status/subscribe", data={"email": "victim@example.com"})
    engine.run_until_idle()
    assert len(smtp.mailbox.to("victim@example.com")) == 1
    clock.advance(timedelta(minutes=59))
    mail_client.post("/status/api/subscribers", json={"email": "victim@example.com"})
    engine.run_until_idle()
    assert len(smtp.mailbox.to("victim@example.com")) == 1
    clock.advance(timedelta(minutes=2))
    mail_client.post("/status/api/subscribers", json={"email": "victim@example.com"})
    engine.run_until_idle()
    assert len(smtp.mailbox.to("victim@example.com")) == 2


def test_one_click_unsubscribe_stops_the_mail(
    mail_client: TestClient, engine: Engine, smtp: SmtpServer, manager: Person
) -> None:
    _subscribe(mail_client, engine, smtp, "reader@example.com")
    made = publish(mail_client, manager, title="Slow API", body="Looking.")
    engine.run_until_idle()
    [mail] = smtp.mailbox.to("reader@example.com")
    link = _link(text_of(mail), "/status/unsubscribe")
    # opening the link (a mail scanner does) changes nothing; the button does
    assert "Stop receiving" in mail_client.get(link).text
    # RFC 8058 one-click: the mail client posts to the link
    r = mail_client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200
    assert "Unsubscribed" in r.text
    smtp.mailbox.clear()
    mail_client.post(
        f"{SP}/incidents/{made['id']}/updates",
        json={"status": "resolved", "body": "Fixed."},
        headers=manager.headers,
    )
    engine.run_until_idle()
    assert smtp.mailbox.to("reader@example.com") == []
    # a forged token does nothing
    forged = re.sub(r"token=(\d+)\.\w+", r"token=\1.AAAA", link)
    assert mail_client.post(forged).status_code == 404


def test_a_subscriber_chooses_components(
    mail_client: TestClient, engine: Engine, smtp: SmtpServer, manager: Person
) -> None:
    api = component(mail_client, manager, "API")
    docs = component(mail_client, manager, "Docs")
    _subscribe(mail_client, engine, smtp, "api-only@example.com", components=[api["id"]])
    _subscribe(mail_client, engine, smtp, "everything@example.com")
    publish(mail_client, manager, title="Docs are down", body="404s.",
            components={str(docs["id"]): "major_outage"})  # fmt: skip
    engine.run_until_idle()
    assert smtp.mailbox.to("api-only@example.com") == []
    assert len(smtp.mailbox.to("everything@example.com")) == 1
    publish(mail_client, manager, title="API errors", body="500s.",
            components={str(api["id"]): "partial_outage"})  # fmt: skip
    engine.run_until_idle()
    assert len(smtp.mailbox.to("api-only@example.com")) == 1


def test_no_subscriber_gets_an_update_twice(
    mail_client: TestClient, engine: Engine, smtp: SmtpServer, manager: Person, database: Database
) -> None:
    from firehouse.statuspage.models import PublicUpdate
    from firehouse.statuspage.service.delivery import fan_out
    from firehouse.statuspage.service.publish import _notice

    _subscribe(mail_client, engine, smtp, "reader@example.com")
    made = publish(mail_client, manager, title="Slow API", body="Looking.")
    # the same event handed to the outbox again (a retried job, a second process)
    with database.session() as session:
        update = session.get(PublicUpdate, made["updates"][0]["id"])
        assert update is not None
        public = update.public_incident_id
        from firehouse.statuspage.service.publish import get_public_incident

        row = get_public_incident(session, public)
        fan_out(session, notice=_notice(session, row, update, base_url=BASE), base_url=BASE)
    engine.run_until_idle()
    with database.session() as session:
        # and once more after it was delivered
        update = session.get(PublicUpdate, made["updates"][0]["id"])
        assert update is not None
        row = get_public_incident(session, update.public_incident_id)
        fan_out(session, notice=_notice(session, row, update, base_url=BASE), base_url=BASE)
    engine.run_until_idle()
    engine.run_until_idle()
    assert len(smtp.mailbox.to("reader@example.com")) == 1


def test_webhooks_are_signed(
    mail_client: TestClient, engine: Engine, receiver: Receiver, admin: Person, manager: Person
) -> None:
    r = mail_client.post(f"{SP}/subscribers", json={"url": receiver.url}, headers=admin.headers)
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    made = publish(mail_client, manager, title="Slow API", body="Looking.")
    engine.run_until_idle()
    [delivery] = receiver.requests
    assert delivery["json"]["type"] == "incident.update"
    assert delivery["json"]["incident"]["title"] == "Slow API"
    assert delivery["json"]["incident"]["id"] == made["id"]
    headers = {k.lower(): v for k, v in delivery["headers"].items()}
    assert verify_webhook(
        secret, headers["x-firehouse-timestamp"], delivery["body"], headers["x-firehouse-signature"]
    )
    assert not verify_webhook(
        "wrong",
        headers["x-firehouse-timestamp"],
        delivery["body"],
        headers["x-firehouse-signature"],
    )


def test_maintenance_is_announced_reminded_started_and_completed(
    mail_client: TestClient, engine: Engine, smtp: SmtpServer, manager: Person, clock: FrozenClock
) -> None:
    api = component(mail_client, manager, "API")
    _subscribe(mail_client, engine, smtp, "reader@example.com")
    now = clock.now()
    r = mail_client.post(
        f"{SP}/maintenance",
        json={
            "title": "Database upgrade",
            "starts_at": (now + timedelta(hours=3)).isoformat(),
            "ends_at": (now + timedelta(hours=4)).isoformat(),
            "components": [api["id"]],
            "remind_minutes": 60,
        },
        headers=manager.headers,
    )
    assert r.status_code == 201
    engine.run_until_idle()

    def subjects() -> list[str]:
        return [str(m["Subject"]) for m in smtp.mailbox.to("reader@example.com")]

    assert subjects() == ["[Service status] Scheduled maintenance: Database upgrade"]
    clock.advance(timedelta(hours=1, minutes=59))
    engine.run_until_idle()
    assert len(subjects()) == 1
    clock.advance(timedelta(minutes=2))
    engine.run_until_idle()
    assert subjects()[-1] == "[Service status] Maintenance starts soon: Database upgrade"
    clock.advance(timedelta(hours=1))
    engine.run_until_idle()
    assert subjects()[-1] == "[Service status] Maintenance in progress: Database upgrade"
    summary = mail_client.get("/status/api/summary.json").json()
    assert summary["components"][0]["status"] == "under_maintenance"
    clock.advance(timedelta(hours=1))
    engine.run_until_idle()
    assert subjects()[-1] == "[Service status] Maintenance completed: Database upgrade"
    assert len(subjects()) == 4
    summary = mail_client.get("/status/api/summary.json").json()
    assert summary["components"][0]["status"] == "operational"
    assert summary["scheduled_maintenances"] == []


def test_a_broadcast_goes_out_in_short_batches_and_skips_who_left_meanwhile(
    mail_client: TestClient, engine: Engine, smtp: SmtpServer, manager: Person, database: Database
) -> None:
    from sqlalchemy import select

    from firehouse.statuspage import service as status
    from firehouse.statuspage.models import Subscriber
    from firehouse.statuspage.service.delivery import send_broadcasts

    for n in range(5):
        _subscribe(mail_client, engine, smtp, f"r{n}@example.com")
    publish(mail_client, manager, title="Slow API", body="Looking.")
    with database.session() as session:
        assert send_broadcasts(session, batch=2)  # r0 and r1 are in the outbox now
    with database.session() as session:
        last = session.scalar(select(Subscriber).where(Subscriber.target == "r4@example.com"))
        assert last is not None
        token = status.unsubscribe_token(session, last)
    assert mail_client.post(f"/status/unsubscribe?token={token}").status_code == 200
    engine.run_until_idle()
    for n in range(4):
        assert len(smtp.mailbox.to(f"r{n}@example.com")) == 1
    assert smtp.mailbox.to("r4@example.com") == []
