"""The audit trail: every write appends a record chained to the one before it by SHA-256."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit.models import AuditHead, AuditRecord
from firehouse.errors import Invalid
from firehouse.jsonable import jsonable

GENESIS = "0" * 64


def canonical_content(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | None,
    before: Any,
    after: Any,
    source: str | None,
    request_id: str | None,
) -> bytes:
    body = {
        "seq": seq,
        "occurred_at": occurred_at.isoformat(),
        "actor_id": actor_id,
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "before": before,
        "after": after,
        "source": source,
        "request_id": request_id,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + content).hexdigest()


def _content_of(row: AuditRecord) -> bytes:
    return canonical_content(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        before=row.before,
        after=row.after,
        source=row.source,
        request_id=row.request_id,
    )


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object = None,
    before: Any = None,
    after: Any = None,
) -> AuditRecord:
    """Append one record in the caller's transaction (so a rolled-back write leaves none)."""
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update())
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    seq = head.seq + 1
    # microsecond precision survives every backend's round trip, so the hash can be recomputed
    occurred_at = clock.now(session)
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor_id": actor.user_id,
        "actor": actor.handle,
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "before": jsonable(before),
        "after": jsonable(after),
        "source": actor.source,
        "request_id": actor.request_id,
    }
    digest = record_hash(head.hash, canonical_content(**fields))
    row = AuditRecord(**fields, prev_hash=head.hash, hash=digest)
    session.add(row)
    head.seq = seq
    head.hash = digest
    session.flush()
    return row


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    reason: str | None = None


def _rows(session: Session, batch: int = 2000) -> Iterator[AuditRecord]:
    # no lower bound on the first batch: a row forged with seq 0 or below must be seen too
    last: int | None = None
    while True:
        query = select(AuditRecord).order_by(AuditRecord.seq).limit(batch)
        if last is not None:
            query = query.where(AuditRecord.seq > last)
        rows = session.scalars(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> Verification:
    """Walk the chain; name the first record that was edited, inserted, or follows a deletion."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for row in _rows(session):
        if row.seq != expected_seq:
            return Verification(
                False, checked, row.seq, row.id, f"expected seq {expected_seq}: a record is missing"
            )
        if row.prev_hash != prev_hash:
            return Verification(
                False, checked, row.seq, row.id, "prev_hash does not match the record before it"
            )
        if record_hash(prev_hash, _content_of(row)) != row.hash:
            return Verification(False, checked, row.seq, row.id, "content does not match its hash")
        prev_hash = row.hash
        expected_seq += 1
        checked += 1
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if checked < head_seq:
        return Verification(
            False,
            checked,
            checked + 1,
            None,
            f"the chain ends at seq {checked} but its head says {head_seq}: records were removed",
        )
    if checked > head_seq:
        bad = head_seq + 1
        bad_id = session.scalar(select(AuditRecord.id).where(AuditRecord.seq == bad))
        return Verification(
            False,
            head_seq,
            bad,
            bad_id,
            f"records after the head (seq {head_seq}) were added outside firehouse",
        )
    if head_hash != prev_hash:
        bad_id = session.scalar(select(AuditRecord.id).where(AuditRecord.seq == checked))
        return Verification(
            False,
            max(checked - 1, 0),
            checked,
            bad_id,
            "the last record does not match the chain's head: records were rewritten",
        )
    return Verification(True, checked)


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(str(seq).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("not a cursor this server gave out", field="cursor") from exc


def search(
    session: Session, *, filters: AuditFilter, limit: int = 50, cursor: str | None = None
) -> tuple[list[AuditRecord], str | None]:
    """Newest first, keyset-paginated."""
    query = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit + 1)
    if cursor:
        query = query.where(AuditRecord.seq < decode_cursor(cursor))
    if filters.actor_id is not None:
        query = query.where(AuditRecord.actor_id == filters.actor_id)
    if filters.action:
        action = filters.action
        if action.endswith("*"):
            query = query.where(AuditRecord.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditRecord.action == action)
    if filters.target_type:
        query = query.where(AuditRecord.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditRecord.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditRecord.occurred_at >= filters.since)
    if filters.until:
        query = query.where(AuditRecord.occurred_at < filters.until)
    rows = list(session.scalars(query).all())
    next_cursor = encode_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return rows[:limit], next_cursor
