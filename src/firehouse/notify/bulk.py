"""`enqueue_many`: a fan-out (a status-page update to every subscriber) written to the outbox
in one multi-row insert, with the same checks and dedup semantics as `enqueue`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.engine import wake_after_commit
from firehouse.errors import Invalid
from firehouse.notify.models import Channel, DeliveryStatus, Notification, Urgency

MAX_SUBJECT = 500
KEYS_PER_QUERY = 500
ALLOWED = frozenset(
    {
        "channel",
        "target",
        "subject",
        "body_text",
        "body_html",
        "kind",
        "urgency",
        "user_id",
        "incident_id",
        "dedup_key",
        "payload",
        "contact_method_id",
        "not_before",
        "secret",
    }
)


def _row(item: Mapping[str, Any], index: int, now: Any) -> dict[str, Any]:
    unknown = set(item) - ALLOWED
    if unknown:
        raise Invalid(f"unknown notification fields: {', '.join(sorted(unknown))}", field="rows")
    try:
        channel = Channel(item["channel"])
    except (KeyError, ValueError):
        raise Invalid(
            f"channel must be one of {', '.join(c.value for c in Channel)}",
            field=f"rows[{index}].channel",
        ) from None
    try:
        urgency = Urgency(item.get("urgency", "low"))
    except ValueError:
        raise Invalid("urgency must be high or low", field=f"rows[{index}].urgency") from None
    target = str(item.get("target") or "").strip()
    if not target:
        raise Invalid("a notification needs a target", field=f"rows[{index}].target")
    not_before = item.get("not_before")
    return {
        "channel": channel,
        "target": target,
        "subject": str(item["subject"])[:MAX_SUBJECT],
        "body_text": item["body_text"],
        "body_html": item.get("body_html"),
        "kind": item["kind"],
        "urgency": urgency,
        "user_id": item.get("user_id"),
        "incident_id": item.get("incident_id"),
        "contact_method_id": item.get("contact_method_id"),
        "dedup_key": item.get("dedup_key"),
        "payload": item.get("payload"),
        "secret": item.get("secret"),
        "status": DeliveryStatus.pending,
        "attempts": 0,
        "fell_back": False,
        "next_attempt_at": max(not_before, now) if not_before is not None else now,
        "created_at": now,
    }


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found.update(
            key
            for key in session.scalars(
                select(Notification.dedup_key).where(Notification.dedup_key.in_(chunk))
            )
            if key is not None
        )
    return found


def enqueue_many(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Put many messages in the outbox, inside the caller's transaction, in one insert.

    Each row takes the keyword arguments of `enqueue`. A row whose `dedup_key` is already in
    the outbox (or earlier in `rows`) adds nothing. Returns how many were added."""
    now = clock.now(session)
    prepared = [_row(item, index, now) for index, item in enumerate(rows)]
    keys = [r["dedup_key"] for r in prepared if r["dedup_key"] is not None]
    seen = _existing_keys(session, keys)
    fresh: list[dict[str, Any]] = []
    for row in prepared:
        key = row["dedup_key"]
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        fresh.append(row)
    if not fresh:
        return 0
    added = len(fresh)
    try:
        with session.begin_nested():
            session.execute(insert(Notification), fresh)
    except IntegrityError:
        # a concurrent transaction inserted some of these keys: one at a time, keeping theirs
        added = 0
        for row in fresh:
            try:
                with session.begin_nested():
                    session.execute(insert(Notification), [row])
            except IntegrityError:
                if row["dedup_key"] is None:
                    raise
                continue
            added += 1
    wake_after_commit(session, jobs=("delivery",))
    return added
