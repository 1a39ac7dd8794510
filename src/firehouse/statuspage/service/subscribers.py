"""Subscribers: email with double opt-in and one-click unsubscribe, and signed webhooks.

A repeated subscribe request inside the window sends nothing, so the public form cannot be
used to flood someone's inbox; the answer is the same either way, so it reveals nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.notify import service as notify
from firehouse.people.models import Role
from firehouse.statuspage.models import Subscriber, SubscriberKind, SubscriberState
from firehouse.statuspage.service.common import components_by_id, page
from firehouse.statuspage.service.delivery import (
    CONFIRM,
    UNSUBSCRIBE,
    sign,
    token_id,
    token_matches,
)

PUBLIC = Actor.system("status-page")


@dataclass(frozen=True)
class SubscribeResult:
    subscriber: Subscriber
    mailed: bool  # a confirmation mail was queued by this request


def check_email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(f"not a valid email address: {exc}", field="email") from exc


def check_url(value: str, *, field: str = "url") -> str:
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
        raise Invalid("a webhook URL is http(s)://host/path, at most 500 characters", field=field)
    return url


def _components(session: Session, ids: list[int]) -> list[int]:
    components_by_id(session, ids, field="components")
    return sorted(set(ids))


def _send_confirmation(session: Session, subscriber: Subscriber, *, base_url: str) -> None:
    status_page = page(session, create=True)
    token = sign(status_page.signing_key, CONFIRM, subscriber.id, subscriber.secret)
    link = f"{base_url}/status/subscribe/confirm?token={token}"
    subscriber.confirm_sends += 1
    subscriber.confirm_sent_at = clock.now(session)
    notify.enqueue(
        session,
        channel="email",
        target=subscriber.target,
        subject=f"Confirm your subscription to {status_page.name}",
        body_text=(
            f"Someone (hopefully you) asked to be told about {status_page.name}.\n\n"
            f"Confirm: {link}\n\nIf it was not you, ignore this mail: nothing more will come.\n"
        ),
        body_html=(
            f"<p>Someone (hopefully you) asked to be told about {escape(status_page.name)}.</p>"
            f'<p><a href="{escape(link)}">Confirm the subscription</a></p>'
            "<p>If it was not you, ignore this mail: nothing more will come.</p>"
        ),
        kind="status_confirm",
        dedup_key=f"status:confirm:{subscriber.id}:{subscriber.confirm_sends}",
    )


def subscribe_email(
    session: Session,
    *,
    email: str,
    component_ids: list[int],
    base_url: str,
    resend_window: timedelta,
) -> SubscribeResult:
    """Public: start (or restart) a double opt-in. No mail when one went out inside the
    window, or when the address is already subscribed."""
    address = check_email(email)
    chosen = _components(session, component_ids)
    now = clock.now(session)
    subscriber = session.scalar(
        select(Subscriber)
        .where(Subscriber.kind == SubscriberKind.email, Subscriber.target == address)
        .with_for_update()
    )
    if subscriber is None:
        subscriber = Subscriber(
            kind=SubscriberKind.email,
            target=address,
            state=SubscriberState.pending,
            component_ids=chosen,
            secret=secrets.token_urlsafe(24),
            created_at=now,
            confirm_sends=0,
        )
        session.add(subscriber)
        session.flush()
        audit.record(
            session,
            actor=PUBLIC,
            action="statuspage.subscriber.create",
            target_type="status_subscriber",
            target_id=subscriber.id,
            after={"kind": "email", "components": chosen},
        )
    elif subscriber.state == SubscriberState.active:
        return SubscribeResult(subscriber, mailed=False)
    else:
        recent = subscriber.confirm_sent_at is not None and (
            now - subscriber.confirm_sent_at < resend_window
        )
        if recent:
            return SubscribeResult(subscriber, mailed=False)
        if subscriber.state == SubscriberState.unsubscribed:
            # a new opt-in: old links stop working
            subscriber.secret = secrets.token_urlsafe(24)
        subscriber.state = SubscriberState.pending
        subscriber.component_ids = chosen
    _send_confirmation(session, subscriber, base_url=base_url)
    return SubscribeResult(subscriber, mailed=True)


def _by_token(session: Session, token: str, purpose: str) -> Subscriber:
    subscriber_id = token_id(token)
    subscriber = (
        session.scalar(select(Subscriber).where(Subscriber.id == subscriber_id).with_for_update())
        if subscriber_id is not None
        else None
    )
    if subscriber is None or not token_matches(
        page(session, create=True).signing_key, purpose, subscriber, token
    ):
        raise NotFound("this link is not valid (it may be from an older subscription)")
    return subscriber


def confirm(session: Session, *, token: str) -> Subscriber:
    subscriber = _by_token(session, token, CONFIRM)
    if subscriber.state == SubscriberState.unsubscribed:
        raise Conflict("this subscription was cancelled; subscribe again")
    if subscriber.state == SubscriberState.pending:
        subscriber.state = SubscriberState.active
        subscriber.confirmed_at = clock.now(session)
        audit.record(
            session,
            actor=PUBLIC,
            action="statuspage.subscriber.confirm",
            target_type="status_subscriber",
            target_id=subscriber.id,
        )
    return subscriber


def unsubscribe(session: Session, *, token: str) -> Subscriber:
    """One click, idempotent."""
    subscriber = _by_token(session, token, UNSUBSCRIBE)
    if subscriber.state != SubscriberState.unsubscribed:
        subscriber.state = SubscriberState.unsubscribed
        subscriber.unsubscribed_at = clock.now(session)
        audit.record(
            session,
            actor=PUBLIC,
            action="statuspage.subscriber.unsubscribe",
            target_type="status_subscriber",
            target_id=subscriber.id,
        )
    return subscriber


def unsubscribe_token(session: Session, subscriber: Subscriber) -> str:
    return sign(
        page(session, create=True).signing_key, UNSUBSCRIBE, subscriber.id, subscriber.secret
    )


def add_webhook(
    session: Session, *, actor: Actor, url: str, component_ids: list[int]
) -> Subscriber:
    """Admins add webhooks (a public form that makes the server call any URL would be a way
    into the internal network). Deliveries are signed with the returned secret."""
    require_writer(actor, Role.admin)
    target = check_url(url)
    chosen = _components(session, component_ids)
    exists = session.scalar(
        select(Subscriber.id).where(
            Subscriber.kind == SubscriberKind.webhook, Subscriber.target == target
        )
    )
    if exists is not None:
        raise Conflict("this webhook is subscribed already", details={"field": "url"})
    now = clock.now(session)
    subscriber = Subscriber(
        kind=SubscriberKind.webhook,
        target=target,
        state=SubscriberState.active,
        component_ids=chosen,
        secret=secrets.token_hex(32),
        created_at=now,
        confirmed_at=now,
        confirm_sends=0,
    )
    session.add(subscriber)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="statuspage.subscriber.create",
        target_type="status_subscriber",
        target_id=subscriber.id,
        after={"kind": "webhook", "url": target, "components": chosen},
    )
    return subscriber


def list_subscribers(
    session: Session, *, state: SubscriberState | None = None, limit: int = 100, after_id: int = 0
) -> list[Subscriber]:
    query = select(Subscriber).where(Subscriber.id > after_id).order_by(Subscriber.id)
    if state is not None:
        query = query.where(Subscriber.state == state)
    return list(session.scalars(query.limit(limit)).all())


def count_subscribers(session: Session) -> dict[str, int]:
    rows = session.execute(select(Subscriber.state, func.count()).group_by(Subscriber.state)).all()
    counts = {state.value: 0 for state in SubscriberState}
    counts.update({state.value: int(n) for state, n in rows})
    return counts


def remove_subscriber(session: Session, *, actor: Actor, subscriber_id: int) -> None:
    require_writer(actor, Role.admin)
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound(f"no subscriber {subscriber_id}")
    audit.record(
        session,
        actor=actor,
        action="statuspage.subscriber.delete",
        target_type="status_subscriber",
        target_id=subscriber.id,
        before={"kind": subscriber.kind.value},
    )
    session.delete(subscriber)
