"""Bulk mail through the outbox to a real SMTP server (aiosmtpd): one connection per batch,
list headers passed on, one refused recipient failing alone, pages ahead of bulk mail."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.notify import service as notify
from firehouse.notify.delivery import Deliverer
from firehouse.notify.models import DeliveryAttempt, DeliveryStatus, Notification
from firehouse.settings import Settings
from tests.paging_peers import free_port

UNSUBSCRIBE = "<https://status.example.com/unsubscribe/abc>"


@dataclass
class CountingHandler:
    """Keeps what it accepts, counts SMTP connections, refuses `refuse` once at RCPT."""

    inbox: list[EmailMessage] = field(default_factory=list)
    sessions: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self.lock:
            if not any(known is session for known in self.sessions):
                self.sessions.append(session)
            if address in self.refuse:
                self.refuse.discard(address)
                return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.inbox.append(message)
        return "250 Message accepted"

    def ids(self) -> list[int]:
        return [int(str(m["X-Firehouse-Notification"])) for m in self.inbox]


@pytest.fixture
def counting_smtp() -> Iterator[tuple[CountingHandler, int]]:
    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def deliverer(settings: Settings, counting_smtp: tuple[CountingHandler, int]) -> Deliverer:
    return Deliverer.from_settings(
        settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": counting_smtp[1],
                "smtp_timeout_seconds": 5.0,
            }
        )
    )


def _bulk(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "channel": "email",
            "target": f"reader{i}@example.com",
            "subject": "[Status] Payments are failing",
            "body_text": "Some card payments fail.",
            "kind": "status_update",
            "dedup_key": f"bulk:{i}",
            "payload": {
                "headers": {
                    "List-Unsubscribe": UNSUBSCRIBE,
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "Bcc": "everyone@example.com",
                    "List-Id": "status\r\nBcc: evil@example.com",
                }
            },
            **extra,
        }
        for i in range(n)
    ]


def test_500_bulk_messages_go_over_a_few_connections_and_a_refused_one_is_retried(
    database: Database,
    deliverer: Deliverer,
    counting_smtp: tuple[CountingHandler, int],
    clock: FrozenClock,
) -> None:
    handler, _port = counting_smtp
    handler.refuse.add("reader7@example.com")
    with database.session() as session:
        assert notify.enqueue_many(session, _bulk(500)) == 500
        ids = list(session.scalars(select(Notification.id).order_by(Notification.id)))

    deliverer.run(database)

    assert len(handler.inbox) == 499
    assert len(set(handler.ids())) == 499, "none twice"
    batches = -(-500 // deliverer.batch)
    assert len(handler.sessions) <= batches, "a connection per batch, not one per message"
    for message in handler.inbox:
        assert message["List-Unsubscribe"] == UNSUBSCRIBE
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Bcc"] is None, "only allowed headers"
        assert message["List-Id"] is None, "a value with CR/LF is dropped"
    assert "evil@example.com" not in str(handler.inbox[0])
    with database.session(write=False) as session:
        refused = session.scalar(
            select(Notification).where(Notification.target == "reader7@example.com")
        )
        assert refused is not None
        assert refused.status == DeliveryStatus.pending
        assert refused.last_error is not None
        assert "550" in refused.last_error, "the server's answer is in the delivery log"

    deliverer.run(database)
    assert len(handler.inbox) == 499, "the refused one waits for its retry"
    clock.advance(timedelta(minutes=1))
    deliverer.run(database)
    clock.advance(timedelta(minutes=10))
    deliverer.run(database)

    assert sorted(handler.ids()) == ids, "every message arrived exactly once"
    with database.session(write=False) as session:
        results = session.scalars(
            select(DeliveryAttempt.result)
            .where(DeliveryAttempt.notification_id == refused.id)
            .order_by(DeliveryAttempt.id)
        ).all()
    assert list(results) == ["failed", "sent"]


def test_a_page_is_claimed_before_bulk_mail_already_waiting(
    database: Database, deliverer: Deliverer, counting_smtp: tuple[CountingHandler, int]
) -> None:
    handler, _port = counting_smtp
    with database.session() as session:
        notify.enqueue_many(session, _bulk(300))
        page = notify.enqueue(
            session,
            channel="email",
            target="oncall@example.com",
            subject="Checkout is down",
            body_text="Acknowledge: ...",
            kind="page",
            urgency="high",
        )
    first = deliverer._claim(database)
    assert [m.id for m in first] == [page.id], "the page goes in a batch of its own, first"
    deliverer.run(database)
    assert len(handler.inbox) == 300


def test_enqueue_many_adds_each_dedup_key_once(database: Database) -> None:
    with database.session() as session:
        assert notify.enqueue_many(session, _bulk(3) + _bulk(2)) == 3
    with database.session() as session:
        assert notify.enqueue_many(session, _bulk(5)) == 2, "the first three are there already"
        notify.enqueue(
            session,
            channel="email",
            target="x@example.com",
            subject="s",
            body_text="b",
            kind="test",
            dedup_key="bulk:9",
        )
        assert notify.enqueue_many(session, _bulk(10)) == 4
    with database.session(write=False) as session:
        keys = session.scalars(select(Notification.dedup_key)).all()
    assert sorted(k or "" for k in keys) == sorted(f"bulk:{i}" for i in range(10))
