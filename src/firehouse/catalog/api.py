"""Services."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from firehouse.api.deps import CurrentActor, UnitOfWork
from firehouse.catalog import schemas
from firehouse.catalog import service as catalog
from firehouse.people.models import Team

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/services", response_model=list[schemas.ServiceRead])
def list_services(session: UnitOfWork, actor: CurrentActor) -> list[schemas.ServiceRead]:
    teams = dict(session.execute(select(Team.id, Team.slug)).all())
    return [
        schemas.ServiceRead(
            id=s.id,
            slug=s.slug,
            name=s.name,
            description=s.description,
            team=teams.get(s.team_id) if s.team_id else None,
            created_at=s.created_at,
        )
        for s in catalog.list_services(session)
    ]


@router.post("/services", status_code=201, response_model=schemas.ServiceRead)
def create_service(
    body: schemas.ServiceCreate, session: UnitOfWork, actor: CurrentActor
) -> schemas.ServiceRead:
    service = catalog.create_service(
        session,
        actor=actor,
        slug=body.slug,
        name=body.name,
        team=body.team,
        description=body.description,
    )
    return schemas.ServiceRead(
        id=service.id,
        slug=service.slug,
        name=service.name,
        description=service.description,
        team=body.team,
        created_at=service.created_at,
    )
