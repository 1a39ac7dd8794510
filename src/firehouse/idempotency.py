"""Idempotency-Key support: a repeated create returns the first answer, not a second incident."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from firehouse import clock
from firehouse.db import Base, UTCDateTime
from firehouse.errors import Conflict


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def request_fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def replay(
    session: Session, *, user_id: int, scope: str, key: str, payload: Any
) -> IdempotencyRecord | None:
    """The stored answer for this key, or None. A key reused with another body is a conflict."""
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
        )
    )
    if record is not None and record.request_hash != request_fingerprint(payload):
        raise Conflict(
            "this Idempotency-Key was used with a different request body",
            details={"header": "Idempotency-Key"},
        )
    return record


def remember(
    session: Session,
    *,
    user_id: int,
    scope: str,
    key: str,
    payload: Any,
    status_code: int,
    response: dict[str, Any],
) -> None:
    session.add(
        IdempotencyRecord(
            user_id=user_id,
            scope=scope,
            key=key,
            request_hash=request_fingerprint(payload),
            status_code=status_code,
            response=response,
            created_at=clock.now(session),
        )
    )
    session.flush()
