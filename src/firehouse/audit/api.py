"""The audit trail, for admins."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from firehouse.api.deps import AdminActor, UnitOfWork
from firehouse.audit import schemas
from firehouse.audit import service as audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=schemas.AuditPage)
def search_audit(
    session: UnitOfWork,
    actor: AdminActor,
    actor_id: int | None = None,
    action: Annotated[str | None, Query(description="Exact, or a prefix ending in *.")] = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: Annotated[AwareDatetime | None, Query(description="With a UTC offset.")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Exclusive.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> schemas.AuditPage:
    rows, next_cursor = audit.search(
        session,
        filters=audit.AuditFilter(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            since=since,
            until=until,
        ),
        limit=limit,
        cursor=cursor,
    )
    return schemas.AuditPage(
        items=[schemas.AuditRecordRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/verify", response_model=schemas.VerificationRead)
def verify_chain(session: UnitOfWork, actor: AdminActor) -> schemas.VerificationRead:
    return schemas.VerificationRead(**asdict(audit.verify(session)))
