"""Thin JSON routes managing the status page (`/api/v1/statuspage/...`)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from firehouse.api.deps import AdminActor, CurrentActor, UnitOfWork, settings
from firehouse.errors import Invalid
from firehouse.incidents.models import Incident
from firehouse.statuspage import schemas
from firehouse.statuspage import service as status
from firehouse.statuspage.models import PublicIncident, SubscriberState
from firehouse.statuspage.service.branding import snapshot

router = APIRouter(prefix="/api/v1/statuspage", tags=["status page"])


def _base(request: Request) -> str:
    return settings(request).public_url()


@router.get("/groups", response_model=list[schemas.GroupRead])
def list_groups(session: UnitOfWork, actor: CurrentActor) -> Any:
    return status.list_groups(session)


@router.post("/groups", status_code=201, response_model=schemas.GroupRead)
def create_group(body: schemas.GroupCreate, session: UnitOfWork, actor: CurrentActor) -> Any:
    return status.create_group(session, actor=actor, name=body.name, position=body.position)


@router.patch("/groups/{group_id}", response_model=schemas.GroupRead)
def update_group(
    group_id: int, body: schemas.GroupUpdate, session: UnitOfWork, actor: CurrentActor
) -> Any:
    changes = body.model_dump(exclude_unset=True)
    return status.update_group(session, actor=actor, group_id=group_id, changes=changes)


@router.delete("/groups/{group_id}", status_code=204)
def delete_group(group_id: int, session: UnitOfWork, actor: CurrentActor) -> Response:
    status.delete_group(session, actor=actor, group_id=group_id)
    return Response(status_code=204)


@router.get("/components", response_model=list[schemas.ComponentRead])
def list_components(session: UnitOfWork, actor: CurrentActor) -> Any:
    return status.list_components(session)


@router.post("/components", status_code=201, response_model=schemas.ComponentRead)
def create_component(
    body: schemas.ComponentCreate, session: UnitOfWork, actor: CurrentActor
) -> Any:
    return status.create_component(
        session,
        actor=actor,
        name=body.name,
        description=body.description,
        group_id=body.group_id,
        position=body.position,
        status=body.status.value,
        service=body.service,
    )


@router.patch("/components/{component_id}", response_model=schemas.ComponentRead)
def update_component(
    component_id: int, body: schemas.ComponentUpdate, session: UnitOfWork, actor: CurrentActor
) -> Any:
    changes = body.model_dump(exclude_unset=True, mode="json")
    return status.update_component(session, actor=actor, component_id=component_id, changes=changes)


@router.delete("/components/{component_id}", status_code=204)
def delete_component(component_id: int, session: UnitOfWork, actor: CurrentActor) -> Response:
    status.delete_component(session, actor=actor, component_id=component_id)
    return Response(status_code=204)


def _incident_read(session: Session, row: PublicIncident) -> schemas.PublicIncidentRead:
    internal = session.get(Incident, row.incident_id) if row.incident_id else None
    return schemas.PublicIncidentRead(
        id=row.id,
        title=row.title,
        status=row.status,
        incident=internal.reference if internal else None,
        component_ids=row.component_ids,
        started_at=row.started_at,
        resolved_at=row.resolved_at,
        updates=[
            schemas.PublicUpdateRead.model_validate(u)
            for u in status.updates_of(session, [row.id])[row.id]
        ],
    )


@router.get("/incidents", response_model=list[schemas.PublicIncidentRead])
def list_public_incidents(
    session: UnitOfWork,
    actor: CurrentActor,
    open: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    rows = status.list_public_incidents(session, open_only=open, limit=limit)
    return [_incident_read(session, r) for r in rows]


@router.post("/incidents", status_code=201, response_model=schemas.PublicIncidentRead)
def open_public_incident(
    body: schemas.PublicIncidentCreate, request: Request, session: UnitOfWork, actor: CurrentActor
) -> Any:
    row = status.open_public_incident(
        session,
        actor=actor,
        title=body.title,
        incident_ref=body.incident,
        spec=status.Publication(
            status=body.status,
            body=body.body,
            component_statuses={k: v.value for k, v in body.components.items()},
            notify=body.notify,
        ),
        base_url=_base(request),
    )
    return _incident_read(session, row)


@router.get("/incidents/{public_id}", response_model=schemas.PublicIncidentRead)
def get_public_incident(public_id: int, session: UnitOfWork, actor: CurrentActor) -> Any:
    return _incident_read(session, status.get_public_incident(session, public_id))


@router.post(
    "/incidents/{public_id}/updates", status_code=201, response_model=schemas.PublicUpdateRead
)
def post_public_update(
    public_id: int,
    body: schemas.PublicUpdateCreate,
    request: Request,
    session: UnitOfWork,
    actor: CurrentActor,
) -> Any:
    return status.post_public_update(
        session,
        actor=actor,
        public_id=public_id,
        title=body.title,
        spec=status.Publication(
            status=body.status,
            body=body.body,
            component_statuses={k: v.value for k, v in body.components.items()},
            notify=body.notify,
        ),
        base_url=_base(request),
    )


@router.get("/maintenance", response_model=list[schemas.MaintenanceRead])
def list_maintenance(session: UnitOfWork, actor: CurrentActor) -> Any:
    return status.list_maintenances(session)


@router.post("/maintenance", status_code=201, response_model=schemas.MaintenanceRead)
def schedule_maintenance(
    body: schemas.MaintenanceCreate, request: Request, session: UnitOfWork, actor: CurrentActor
) -> Any:
    return status.schedule_maintenance(
        session,
        actor=actor,
        title=body.title,
        body=body.body,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        component_ids=body.components,
        remind_minutes=body.remind_minutes,
        notify=body.notify,
        base_url=_base(request),
    )


@router.get("/maintenance/{maintenance_id}", response_model=schemas.MaintenanceRead)
def get_maintenance(maintenance_id: int, session: UnitOfWork, actor: CurrentActor) -> Any:
    return status.get_maintenance(session, maintenance_id)


@router.patch("/maintenance/{maintenance_id}", response_model=schemas.MaintenanceRead)
def update_maintenance(
    maintenance_id: int,
    body: schemas.MaintenanceUpdate,
    request: Request,
    session: UnitOfWork,
    actor: CurrentActor,
) -> Any:
    changes = body.model_dump(exclude_unset=True)
    if "components" in changes:
        changes["component_ids"] = changes.pop("components")
    if changes.get("status") is not None:
        changes["status"] = changes["status"].value
    return status.update_maintenance(
        session,
        actor=actor,
        maintenance_id=maintenance_id,
        changes=changes,
        base_url=_base(request),
    )


@router.get("/branding", response_model=schemas.BrandingRead)
def get_branding(session: UnitOfWork, actor: CurrentActor) -> Any:
    return snapshot(status.page(session))


@router.patch("/branding", response_model=schemas.BrandingRead)
def update_branding(body: schemas.BrandingUpdate, session: UnitOfWork, actor: AdminActor) -> Any:
    changes = body.model_dump(exclude_unset=True)
    return snapshot(status.update_branding(session, actor=actor, changes=changes))


@router.put("/branding/logo", response_model=schemas.BrandingRead)
def upload_logo(body: schemas.LogoUpload, session: UnitOfWork, actor: AdminActor) -> Any:
    try:
        data = base64.b64decode(body.data_base64, validate=True)
    except ValueError as exc:
        raise Invalid("data_base64 is not base64", field="data_base64") from exc
    row = status.set_logo(session, actor=actor, data=data, content_type=body.content_type)
    return snapshot(row)


@router.delete("/branding/logo", response_model=schemas.BrandingRead)
def remove_logo(session: UnitOfWork, actor: AdminActor) -> Any:
    return snapshot(status.remove_logo(session, actor=actor))


@router.get("/subscribers", response_model=schemas.SubscriberPage)
def list_subscribers(
    session: UnitOfWork,
    actor: AdminActor,
    state: SubscriberState | None = None,
    after: int = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    rows = status.list_subscribers(session, state=state, limit=limit, after_id=after)
    return schemas.SubscriberPage(
        items=[schemas.SubscriberRead.model_validate(r) for r in rows],
        counts=status.count_subscribers(session),
        next_after=rows[-1].id if len(rows) == limit else None,
    )


@router.post("/subscribers", status_code=201, response_model=schemas.WebhookCreated)
def add_webhook(body: schemas.WebhookCreate, session: UnitOfWork, actor: AdminActor) -> Any:
    row = status.add_webhook(session, actor=actor, url=body.url, component_ids=body.components)
    return schemas.WebhookCreated.model_validate(row)


@router.delete("/subscribers/{subscriber_id}", status_code=204)
def remove_subscriber(subscriber_id: int, session: UnitOfWork, actor: AdminActor) -> Response:
    status.remove_subscriber(session, actor=actor, subscriber_id=subscriber_id)
    return Response(status_code=204)
