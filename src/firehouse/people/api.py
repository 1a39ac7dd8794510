"""Users and teams."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from firehouse.api.deps import AdminActor, CurrentActor, UnitOfWork
from firehouse.auth import service as auth
from firehouse.people import schemas
from firehouse.people import service as people
from firehouse.people.models import Team

router = APIRouter(prefix="/api/v1", tags=["people"])


def team_read(team: Team) -> schemas.TeamRead:
    return schemas.TeamRead(
        id=team.id,
        slug=team.slug,
        name=team.name,
        description=team.description,
        members=[
            schemas.MemberRead(handle=m.user.handle, name=m.user.name, is_manager=m.is_manager)
            for m in sorted(team.members, key=lambda m: m.user.handle)
        ],
    )


@router.get("/users", response_model=list[schemas.UserRead])
def list_users(session: UnitOfWork, actor: CurrentActor) -> Any:
    return people.list_users(session)


@router.post("/users", status_code=201, response_model=schemas.UserRead)
def create_user(body: schemas.UserCreate, session: UnitOfWork, actor: AdminActor) -> Any:
    return people.create_user(
        session,
        actor=actor,
        handle=body.handle,
        name=body.name,
        email=str(body.email),
        role=body.role,
        timezone=body.timezone,
        password_hash=auth.hash_password(body.password) if body.password else None,
    )


@router.get("/users/{handle}", response_model=schemas.UserRead)
def get_user(handle: str, session: UnitOfWork, actor: CurrentActor) -> Any:
    return people.find_user(session, handle)


@router.patch("/users/{handle}", response_model=schemas.UserRead)
def update_user(
    handle: str, body: schemas.UserUpdate, session: UnitOfWork, actor: AdminActor
) -> Any:
    user = people.find_user(session, handle)
    return people.update_user(
        session, actor=actor, user_id=user.id, changes=body.model_dump(exclude_unset=True)
    )


@router.delete("/users/{handle}", status_code=204)
def delete_user(handle: str, session: UnitOfWork, actor: AdminActor) -> Response:
    """Deactivate a person (kept in the record; signed out, tokens revoked, off every team)."""
    user = people.find_user(session, handle)
    people.deactivate_user(session, actor=actor, user_id=user.id)
    return Response(status_code=204)


@router.get("/teams", response_model=list[schemas.TeamRead])
def list_teams(session: UnitOfWork, actor: CurrentActor) -> list[schemas.TeamRead]:
    return [team_read(t) for t in people.list_teams(session)]


@router.post("/teams", status_code=201, response_model=schemas.TeamRead)
def create_team(
    body: schemas.TeamCreate, session: UnitOfWork, actor: AdminActor
) -> schemas.TeamRead:
    team = people.create_team(
        session, actor=actor, slug=body.slug, name=body.name, description=body.description
    )
    return team_read(team)


@router.get("/teams/{slug}", response_model=schemas.TeamRead)
def get_team(slug: str, session: UnitOfWork, actor: CurrentActor) -> schemas.TeamRead:
    return team_read(people.find_team(session, slug))


@router.post("/teams/{slug}/members", status_code=201, response_model=schemas.TeamRead)
def add_member(
    slug: str, body: schemas.MemberAdd, session: UnitOfWork, actor: AdminActor
) -> schemas.TeamRead:
    team = people.find_team(session, slug)
    user = people.find_user(session, body.user, field="user")
    people.add_member(
        session, actor=actor, team_id=team.id, user_id=user.id, is_manager=body.is_manager
    )
    session.refresh(team)
    return team_read(team)


@router.delete("/teams/{slug}/members/{handle}", response_model=schemas.TeamRead)
def remove_member(
    slug: str, handle: str, session: UnitOfWork, actor: AdminActor
) -> schemas.TeamRead:
    team = people.find_team(session, slug)
    user = people.find_user(session, handle)
    people.remove_member(session, actor=actor, team_id=team.id, user_id=user.id)
    session.refresh(team)
    return team_read(team)
