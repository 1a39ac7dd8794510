"""The delivery log: who was notified, when, how, and whether it arrived."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse.notify.models import Channel, DeliveryAttempt, Notification
from firehouse.people.models import User

MAX_ROWS = 500


def mask_target(channel: Channel, target: str) -> str:
    """Addresses without their secrets: Apprise URLs carry tokens, webhook URLs may too."""
    if channel == Channel.email:
        return target
    parts = urlsplit(target)
    if channel == Channel.webhook:
        return f"{parts.scheme}://{parts.hostname or ''}/…"
    return f"{parts.scheme}://…"


def _rows(session: Session, where: Any, *, newest: int | None = None) -> list[dict[str, Any]]:
    order = Notification.id.desc() if newest else Notification.id
    notes = list(
        session.scalars(
            select(Notification).where(where).order_by(order).limit(newest or MAX_ROWS)
        ).all()
    )
    ids = [n.id for n in notes]
    attempts: dict[int, list[DeliveryAttempt]] = defaultdict(list)
    if ids:
        for attempt in session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.notification_id.in_(ids))
            .order_by(DeliveryAttempt.id)
        ):
            attempts[attempt.notification_id].append(attempt)
    user_ids = {n.user_id for n in notes if n.user_id is not None}
    handles: dict[int, str] = {}
    if user_ids:
        rows = session.execute(select(User.id, User.handle).where(User.id.in_(user_ids))).all()
        handles = {user_id: handle for user_id, handle in rows}
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "channel": n.channel.value,
            "target": mask_target(n.channel, n.target),
            "user": handles.get(n.user_id) if n.user_id is not None else None,
            "subject": n.subject,
            "urgency": n.urgency.value,
            "status": n.status.value,
            "attempts": n.attempts,
            "created_at": n.created_at,
            "next_attempt_at": n.next_attempt_at,
            "sent_at": n.sent_at,
            "last_error": n.last_error,
            "attempt_log": [
                {
                    "started_at": a.started_at,
                    "finished_at": a.finished_at,
                    "result": a.result,
                    "error": a.error,
                    "worker": a.worker,
                }
                for a in attempts[n.id]
            ],
        }
        for n in notes
    ]


def for_incident(session: Session, incident_id: int) -> list[dict[str, Any]]:
    return _rows(session, Notification.incident_id == incident_id)


def for_user(session: Session, user_id: int) -> list[dict[str, Any]]:
    return _rows(session, Notification.user_id == user_id, newest=100)
