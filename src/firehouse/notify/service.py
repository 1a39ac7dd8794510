"""The transactional outbox: `enqueue` writes a notification in the caller's transaction; the
engine's delivery job sends it (see `firehouse.notify.delivery`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.engine import wake_after_commit
from firehouse.errors import Invalid, NotFound
from firehouse.notify.bulk import enqueue_many as enqueue_many
from firehouse.notify.models import Channel, DeliveryStatus, Notification, Urgency

MAX_SUBJECT = 500
INCIDENT_ROWS = 100


def enqueue(
    session: Session,
    *,
    channel: str,
    target: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    kind: str,
    urgency: str = "low",
    user_id: int | None = None,
    incident_id: int | None = None,
    dedup_key: str | None = None,
    payload: Any = None,
    contact_method_id: int | None = None,
    not_before: datetime | None = None,
    secret: str | None = None,
) -> Notification:
    """Put a message in the outbox, inside the caller's transaction.

    `channel` is `email` (target = address), `webhook` (target = URL, `payload` = JSON body,
    signed with `secret` or the server's webhook secret) or `apprise` (target = Apprise URL).
    A second enqueue with the same `dedup_key` returns the first notification and adds nothing.
    `not_before` delays delivery (personal notification rules).
    """
    try:
        chosen = Channel(channel)
    except ValueError:
        raise Invalid(
            f"channel must be one of {', '.join(c.value for c in Channel)}", field="channel"
        ) from None
    try:
        level = Urgency(urgency)
    except ValueError:
        raise Invalid("urgency must be high or low", field="urgency") from None
    if not target.strip():
        raise Invalid("a notification needs a target", field="target")
    if dedup_key is not None:
        existing = session.scalar(select(Notification).where(Notification.dedup_key == dedup_key))
        if existing is not None:
            return existing
    now = clock.now(session)
    due = max(not_before, now) if not_before is not None else now
    row = Notification(
        channel=chosen,
        target=target.strip(),
        subject=subject[:MAX_SUBJECT],
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        urgency=level,
        user_id=user_id,
        incident_id=incident_id,
        contact_method_id=contact_method_id,
        dedup_key=dedup_key,
        payload=payload,
        secret=secret,
        status=DeliveryStatus.pending,
        attempts=0,
        next_attempt_at=due,
        created_at=now,
    )
    if dedup_key is None or _holds_write_lock(session):
        session.add(row)
        session.flush()
    else:
        # a concurrent transaction may insert the same key: keep theirs, stay idempotent
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            existing = session.scalar(
                select(Notification).where(Notification.dedup_key == dedup_key)
            )
            if existing is None:
                raise
            return existing
    wake_after_commit(session, jobs=("delivery",))
    return row


def _holds_write_lock(session: Session) -> bool:
    """SQLite's writing transactions take the write lock at BEGIN (BEGIN IMMEDIATE): nobody
    else can insert the same dedup key meanwhile, so no savepoint is needed around ours."""
    connection = session.connection()
    return (
        connection.dialect.name == "sqlite"
        and connection.get_execution_options().get("sqlite_begin", "IMMEDIATE") == "IMMEDIATE"
    )


def cancel_pending(
    session: Session, *, incident_id: int, dedup_prefix: str, reason: str = "no longer wanted"
) -> int:
    """Cancel undelivered notifications of an incident whose dedup key starts with the prefix
    (pages of an escalation that was acknowledged). Returns how many were canceled."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.incident_id == incident_id,
            Notification.status == DeliveryStatus.pending,
            Notification.dedup_key.startswith(dedup_prefix, autoescape=True),
        )
        .values(status=DeliveryStatus.canceled, last_error=reason, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def incident_rows(session: Session, *, actor: Actor, incident_id: int, now: datetime) -> list[Any]:
    """The incident page's delivery log (see `firehouse.web.home`): who was notified, how,
    when and with what result, newest first; nothing for an incident `actor` may not see."""
    from firehouse.incidents import service as incidents
    from firehouse.notify import log
    from firehouse.web.home import HomeRow

    try:
        incidents.get_incident(session, actor, f"id:{incident_id}")
    except NotFound:
        return []
    rows = []
    for item in reversed(log.for_incident(session, incident_id)[-INCIDENT_ROWS:]):
        whom = f"@{item['user']}" if item["user"] else item["target"]
        result = item["status"]
        if item["last_error"]:
            result += f": {item['last_error']}"
        rows.append(
            HomeRow(
                title=f"{item['kind']} to {whom} by {item['channel']}",
                detail=f"{result} · {item['attempts']} attempt(s) · {item['subject']}",
                when=item["sent_at"] or item["created_at"],
                urgent=item["status"] == DeliveryStatus.failed.value,
            )
        )
    return rows
