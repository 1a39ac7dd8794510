"""The caller's own account and API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from firehouse.actor import require_writer
from firehouse.api.deps import CurrentActor, CurrentPrincipal, UnitOfWork
from firehouse.auth import schemas
from firehouse.auth import service as auth
from firehouse.errors import Unauthorized
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.people.schemas import UserRead

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.get("/me", response_model=schemas.Me)
def me(session: UnitOfWork, principal: CurrentPrincipal) -> schemas.Me:
    teams = [t.slug for t in people.list_teams(session) if t.id in principal.actor.team_ids]
    return schemas.Me(
        user=UserRead.model_validate(principal.user),
        teams=teams,
        can_write=principal.actor.can_write,
    )


@router.get("/tokens", response_model=list[schemas.TokenRead])
def list_tokens(session: UnitOfWork, actor: CurrentActor) -> Any:
    if actor.user_id is None:
        raise Unauthorized("tokens belong to users")
    return auth.list_tokens(session, user_id=actor.user_id)


@router.post("/tokens", status_code=201, response_model=schemas.TokenIssued)
def create_token(body: schemas.TokenCreate, session: UnitOfWork, actor: CurrentActor) -> Any:
    require_writer(actor, Role.viewer)
    assert actor.user_id is not None
    issued = auth.create_token(
        session,
        actor=actor,
        user_id=actor.user_id,
        name=body.name,
        scope=body.scope,
        expires_in=auth.parse_duration(body.expires_in) if body.expires_in else None,
    )
    return schemas.TokenIssued(
        **schemas.TokenRead.model_validate(issued.token).model_dump(), token=issued.secret
    )


@router.delete("/tokens/{token_id}", response_model=schemas.TokenRead)
def revoke_token(token_id: int, session: UnitOfWork, actor: CurrentActor) -> Any:
    require_writer(actor, Role.viewer)
    return auth.revoke_token(session, actor=actor, token_id=token_id)
