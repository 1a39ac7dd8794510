"""Telling subscribers: one outbox message per subscriber per event, each with its own signed
unsubscribe link, keyed so that the same event never reaches anyone twice."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.notify import service as notify
from firehouse.statuspage.models import Broadcast, Subscriber, SubscriberKind, SubscriberState
from firehouse.statuspage.service.common import page, wake

UNSUBSCRIBE = "unsubscribe"
BATCH = 100
CONFIRM = "confirm"


def sign(key: str, purpose: str, subscriber_id: int, secret: str) -> str:
    """`<id>.<HMAC-SHA256(page key, purpose:id:subscriber secret)>`, URL-safe."""
    message = f"{purpose}:{subscriber_id}:{secret}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()[:24]
    return f"{subscriber_id}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def token_id(token: str) -> int | None:
    head, _, _ = token.partition(".")
    return int(head) if head.isdigit() and len(head) < 12 else None


def token_matches(key: str, purpose: str, subscriber: Subscriber, token: str) -> bool:
    expected = sign(key, purpose, subscriber.id, subscriber.secret)
    return hmac.compare_digest(expected.encode(), token.encode())


@dataclass(frozen=True)
class Notice:
    """One public event (an incident update, a maintenance notice) to fan out."""

    key: str  # unique per event: the dedup keys are `<key>:<subscriber id>`
    kind: str
    subject: str
    text: str
    html: str
    component_ids: frozenset[int]
    payload: dict[str, Any] = field(default_factory=dict)


def _wants(subscribed: Iterable[int] | None, affected: frozenset[int]) -> bool:
    chosen = set(subscribed or ())
    return not chosen or not affected or bool(chosen & affected)


def unsubscribe_url(base_url: str, key: str, subscriber_id: int, secret: str) -> str:
    return f"{base_url}/status/unsubscribe?token={sign(key, UNSUBSCRIBE, subscriber_id, secret)}"


def fan_out(session: Session, *, notice: Notice, base_url: str) -> Broadcast:
    """Record the notice for every subscriber, in the caller's transaction; the engine's
    broadcast job hands it to the outbox in batches. The same notice twice is one broadcast."""
    existing = session.scalar(select(Broadcast).where(Broadcast.key == notice.key))
    if existing is not None:
        return existing
    row = Broadcast(
        key=notice.key,
        kind=notice.kind,
        subject=notice.subject,
        body_text=notice.text,
        body_html=notice.html,
        component_ids=sorted(notice.component_ids),
        payload=notice.payload,
        base_url=base_url,
        last_subscriber_id=0,
        created_at=clock.now(session),
    )
    session.add(row)
    session.flush()
    wake(session)
    return row


def _items(key: str, row: Broadcast, subscribers: list[Any]) -> list[dict[str, Any]]:
    affected = frozenset(row.component_ids)
    items: list[dict[str, Any]] = []
    for subscriber_id, kind, target, component_ids, secret in subscribers:
        if not _wants(component_ids, affected):
            continue
        dedup = f"{row.key}:{subscriber_id}"
        if kind == SubscriberKind.webhook:
            items.append(
                {
                    "channel": "webhook",
                    "target": target,
                    "subject": row.subject,
                    "body_text": row.body_text,
                    "kind": row.kind,
                    "dedup_key": dedup,
                    "payload": row.payload,
                    "secret": secret,
                }
            )
            continue
        link = unsubscribe_url(row.base_url, key, subscriber_id, secret)
        items.append(
            {
                "channel": "email",
                "target": target,
                "subject": row.subject,
                "body_text": f"{row.body_text}\n\n--\nUnsubscribe: {link}\n",
                "body_html": (
                    f'{row.body_html}<hr><p><a href="{escape(link)}">Unsubscribe</a> from these '
                    "notices.</p>"
                ),
                "kind": row.kind,
                "dedup_key": dedup,
                # for senders that pass headers on (RFC 8058 one-click unsubscribe)
                "payload": {
                    "headers": {
                        "List-Unsubscribe": f"<{link}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    }
                },
            }
        )
    return items


def send_broadcasts(session: Session, *, batch: int = BATCH) -> bool:
    """The engine's step: the next batch of subscribers of the oldest unfinished broadcast.
    Returns True when there is more to do."""
    row = session.scalar(
        select(Broadcast)
        .where(Broadcast.done_at.is_(None))
        .order_by(Broadcast.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if row is None:
        return False
    subscribers = session.execute(
        select(
            Subscriber.id,
            Subscriber.kind,
            Subscriber.target,
            Subscriber.component_ids,
            Subscriber.secret,
        )
        .where(Subscriber.state == SubscriberState.active, Subscriber.id > row.last_subscriber_id)
        .order_by(Subscriber.id)
        .limit(batch)
    ).all()
    if not subscribers:
        row.done_at = clock.now(session)
        return True
    _enqueue_all(session, _items(page(session, create=True).signing_key, row, list(subscribers)))
    row.last_subscriber_id = subscribers[-1][0]
    return True


def _enqueue_all(session: Session, items: list[dict[str, Any]]) -> None:
    """One bulk call when the outbox offers it (`enqueue_many`), else one enqueue each: both
    are idempotent by dedup key, so a retried fan-out sends nobody anything twice."""
    bulk = getattr(notify, "enqueue_many", None)
    if bulk is not None:
        bulk(session, items)
        return
    for item in items:
        notify.enqueue(session, **item)
