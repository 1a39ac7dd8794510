from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str | None
    before: Any
    after: Any
    source: str | None
    request_id: str | None
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRecordRead]
    next_cursor: str | None


class VerificationRead(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None
    first_bad_id: int | None
    reason: str | None
