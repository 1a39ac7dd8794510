"""Thin JSON routes: stakeholder updates on an incident, stakeholder lists, follows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from firehouse.api.deps import CurrentActor, UnitOfWork, settings
from firehouse.updates import schemas
from firehouse.updates import service as updates

router = APIRouter(prefix="/api/v1", tags=["stakeholder updates"])


@router.get("/incidents/{ref}/updates", response_model=list[schemas.UpdateRead])
def list_updates(ref: str, session: UnitOfWork, actor: CurrentActor) -> Any:
    return updates.list_updates(session, actor=actor, incident_ref=ref)


@router.post("/incidents/{ref}/updates", status_code=201, response_model=schemas.UpdateRead)
def send_update(
    ref: str,
    body: schemas.UpdateCreate,
    request: Request,
    session: UnitOfWork,
    actor: CurrentActor,
) -> Any:
    return updates.send_update(
        session,
        actor=actor,
        incident_ref=ref,
        draft=updates.Draft(
            template=body.template,
            impact=body.impact,
            current_actions=body.current_actions,
            next_update_at=body.next_update_at,
            audiences=tuple(body.audiences),
        ),
        base_url=settings(request).public_url(),
    )


@router.get("/update-templates", response_model=list[schemas.TemplateRead])
def list_templates(actor: CurrentActor) -> Any:
    return [
        schemas.TemplateRead(
            key=t.key,
            name=t.name,
            needs_actions=t.needs_actions,
            needs_next_update=t.needs_next_update,
        )
        for t in updates.TEMPLATES.values()
    ]


@router.get("/updates/overdue", response_model=list[schemas.OverdueRead])
def overdue(session: UnitOfWork, actor: CurrentActor) -> Any:
    return updates.overdue_updates(session, actor)


@router.get("/stakeholder-lists", response_model=list[schemas.ListRead])
def list_lists(session: UnitOfWork, actor: CurrentActor) -> Any:
    return updates.list_lists(session)


@router.post("/stakeholder-lists", status_code=201, response_model=schemas.ListRead)
def create_list(body: schemas.ListCreate, session: UnitOfWork, actor: CurrentActor) -> Any:
    return updates.create_list(
        session,
        actor=actor,
        slug=body.slug,
        name=body.name,
        description=body.description,
        targets=[t.model_dump() for t in body.targets],
    )


@router.patch("/stakeholder-lists/{slug}", response_model=schemas.ListRead)
def update_list(
    slug: str, body: schemas.ListUpdate, session: UnitOfWork, actor: CurrentActor
) -> Any:
    changes = body.model_dump(exclude_unset=True)
    return updates.update_list(session, actor=actor, slug=slug, changes=changes)


@router.delete("/stakeholder-lists/{slug}", status_code=204)
def delete_list(slug: str, session: UnitOfWork, actor: CurrentActor) -> Response:
    updates.delete_list(session, actor=actor, slug=slug)
    return Response(status_code=204)


@router.get("/me/follows", response_model=list[schemas.FollowRead])
def my_follows(session: UnitOfWork, actor: CurrentActor) -> Any:
    return updates.list_follows(session, actor=actor)


@router.post("/me/follows", status_code=201, response_model=schemas.FollowRead)
def follow(body: schemas.FollowCreate, session: UnitOfWork, actor: CurrentActor) -> Any:
    updates.follow(session, actor=actor, kind=body.type, target=body.target)
    views = updates.list_follows(session, actor=actor)
    return views[-1]


@router.delete("/me/follows/{follow_id}", status_code=204)
def unfollow(follow_id: int, session: UnitOfWork, actor: CurrentActor) -> Response:
    updates.unfollow(session, actor=actor, follow_id=follow_id)
    return Response(status_code=204)
