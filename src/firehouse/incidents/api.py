"""Thin JSON routes over the incident service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from firehouse import idempotency
from firehouse.api.deps import AdminActor, CurrentActor, UnitOfWork
from firehouse.errors import Invalid, Unauthorized
from firehouse.incidents import present, schemas
from firehouse.incidents import service as incidents
from firehouse.incidents.models import IncidentRole, Kind, Status
from firehouse.incidents.service.lifecycle import Declaration

router = APIRouter(prefix="/api/v1", tags=["incidents"])
LIFECYCLE_ACTIONS = ("acknowledge", "mitigate", "resolve", "close", "reopen", "cancel")


@router.get("/incidents", response_model=schemas.IncidentPage)
def list_incidents(
    session: UnitOfWork,
    actor: CurrentActor,
    status: Annotated[list[Status] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    type: Annotated[list[str] | None, Query()] = None,
    service: Annotated[list[str] | None, Query()] = None,
    team: Annotated[list[str] | None, Query()] = None,
    kind: Kind | None = None,
    declared_after: datetime | None = None,
    declared_before: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text or INC-number.")] = None,
    sort: str = "-declared_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    total: bool = False,
) -> schemas.IncidentPage:
    filters = incidents.IncidentFilter(
        status=status or [],
        severity=severity or [],
        type=type or [],
        service=service or [],
        team=team or [],
        kind=kind,
        declared_after=declared_after,
        declared_before=declared_before,
        text=q,
    )
    rows, next_cursor, count = incidents.list_incidents(
        session,
        actor=actor,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        with_total=total,
    )
    return schemas.IncidentPage(
        items=present.incidents_read(session, rows), next_cursor=next_cursor, total=count
    )


@router.post("/incidents", status_code=201, response_model=schemas.IncidentRead)
def declare_incident(
    body: schemas.IncidentCreate,
    session: UnitOfWork,
    actor: CurrentActor,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Any:
    payload = body.model_dump(mode="json")
    if idempotency_key:
        if actor.user_id is None:
            raise Unauthorized("Idempotency-Key needs a user")
        earlier = idempotency.replay(
            session, user_id=actor.user_id, scope="incident.declare", key=idempotency_key,
            payload=payload,
        )  # fmt: skip
        if earlier is not None:
            response.status_code = earlier.status_code
            response.headers["Idempotent-Replayed"] = "true"
            return earlier.response
    incident = incidents.declare(
        session,
        actor=actor,
        spec=Declaration(
            title=body.title,
            severity=body.severity,
            type=body.type,
            summary=body.summary,
            kind=body.kind,
            team=body.team,
            services=body.services,
            customer_facing=body.impact.customer_facing,
            users_affected=body.impact.users_affected,
            business_functions=body.impact.business_functions,
            links={k: str(v) for k, v in body.links.model_dump().items() if v},
            detected_at=body.detected_at,
            incident_manager=body.incident_manager,
        ),
    )
    result = present.incident_read(session, incident)
    if idempotency_key and actor.user_id is not None:
        idempotency.remember(
            session,
            user_id=actor.user_id,
            scope="incident.declare",
            key=idempotency_key,
            payload=payload,
            status_code=201,
            response=result.model_dump(mode="json"),
        )
    return result


@router.get("/incidents/{ref}", response_model=schemas.IncidentRead)
def get_incident(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.IncidentRead:
    return present.incident_read(session, incidents.get_incident(session, actor, ref))


@router.patch("/incidents/{ref}", response_model=schemas.IncidentRead)
def update_incident(
    ref: str, body: schemas.IncidentUpdate, session: UnitOfWork, actor: CurrentActor
) -> schemas.IncidentRead:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"impact", "links"})
    if body.impact is not None:
        changes.update(body.impact.model_dump(exclude_unset=True))
    if body.links is not None:
        changes["links"] = {k: str(v) for k, v in body.links.model_dump().items() if v}
    for name in ("title", "severity", "type", "kind", "services"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null", field=name)
    incident = incidents.update_fields(session, actor=actor, incident_ref=ref, changes=changes)
    return present.incident_read(session, incident)


@router.patch("/incidents/{ref}/milestones", response_model=schemas.IncidentRead)
def edit_milestones(
    ref: str, body: schemas.MilestonesUpdate, session: UnitOfWork, actor: CurrentActor
) -> schemas.IncidentRead:
    incident = incidents.edit_milestones(
        session, actor=actor, incident_ref=ref, changes=body.model_dump(exclude_unset=True)
    )
    return present.incident_read(session, incident)


@router.post("/incidents/{ref}/merge", response_model=schemas.IncidentRead)
def merge_incident(
    ref: str, body: schemas.MergeBody, session: UnitOfWork, actor: CurrentActor
) -> schemas.IncidentRead:
    incident = incidents.merge(
        session, actor=actor, incident_ref=ref, into_ref=body.into, reason=body.reason
    )
    return present.incident_read(session, incident)


def _lifecycle_route(action: str) -> None:
    def act(
        ref: str,
        session: UnitOfWork,
        actor: CurrentActor,
        body: schemas.ActionBody | None = None,
    ) -> schemas.IncidentRead:
        incident = incidents.transition(
            session,
            actor=actor,
            incident_ref=ref,
            action=action,
            reason=body.reason if body else "",
        )
        return present.incident_read(session, incident)

    act.__name__ = f"{action}_incident"
    router.add_api_route(
        f"/incidents/{{ref}}/{action}",
        act,
        methods=["POST"],
        response_model=schemas.IncidentRead,
        summary=f"{action.capitalize()} an incident",
        responses={409: {"description": "Not allowed in the current status"}},
    )


for _action in LIFECYCLE_ACTIONS:
    _lifecycle_route(_action)


@router.get("/incidents/{ref}/timeline", response_model=list[schemas.TimelineEntryRead])
def get_timeline(
    ref: str,
    session: UnitOfWork,
    actor: CurrentActor,
    pinned: bool = False,
    kind: Annotated[list[str] | None, Query()] = None,
) -> list[schemas.TimelineEntryRead]:
    entries = incidents.timeline(
        session, actor=actor, incident_ref=ref, pinned_only=pinned, kinds=kind
    )
    return present.timeline_read(session, entries)


@router.post("/incidents/{ref}/timeline", status_code=201, response_model=schemas.TimelineEntryRead)
def add_note(
    ref: str, body: schemas.NoteCreate, session: UnitOfWork, actor: CurrentActor
) -> schemas.TimelineEntryRead:
    entry = incidents.add_note(
        session,
        actor=actor,
        incident_ref=ref,
        body=body.body,
        occurred_at=body.occurred_at,
        pinned=body.pinned,
    )
    return present.timeline_read(session, [entry])[0]


@router.patch("/incidents/{ref}/timeline/{entry_id}", response_model=schemas.TimelineEntryRead)
def pin_entry(
    ref: str, entry_id: int, body: schemas.EntryUpdate, session: UnitOfWork, actor: CurrentActor
) -> schemas.TimelineEntryRead:
    entry = incidents.set_pinned(
        session, actor=actor, incident_ref=ref, entry_id=entry_id, pinned=body.pinned
    )
    return present.timeline_read(session, [entry])[0]


@router.get("/incidents/{ref}/roles", response_model=schemas.RolesRead)
def get_roles(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.RolesRead:
    return present.roles_read(
        session, incidents.role_history(session, actor=actor, incident_ref=ref)
    )


@router.put("/incidents/{ref}/roles/{role}", response_model=schemas.RolesRead)
def assign_role(
    ref: str, role: IncidentRole, body: schemas.RoleAssign, session: UnitOfWork, actor: CurrentActor
) -> schemas.RolesRead:
    incidents.assign_role(session, actor=actor, incident_ref=ref, role=role, handle=body.user)
    return present.roles_read(
        session, incidents.role_history(session, actor=actor, incident_ref=ref)
    )


@router.delete("/incidents/{ref}/roles/{role}", response_model=schemas.RolesRead)
def unassign_role(
    ref: str, role: IncidentRole, session: UnitOfWork, actor: CurrentActor
) -> schemas.RolesRead:
    incidents.unassign_role(session, actor=actor, incident_ref=ref, role=role)
    return present.roles_read(
        session, incidents.role_history(session, actor=actor, incident_ref=ref)
    )


@router.get("/incidents/{ref}/participants", response_model=list[schemas.ParticipantRead])
def get_participants(
    ref: str, session: UnitOfWork, actor: CurrentActor
) -> list[schemas.ParticipantRead]:
    stints = incidents.participants(session, actor=actor, incident_ref=ref)
    return present.participants_read(session, stints)


@router.post(
    "/incidents/{ref}/participants",
    status_code=201,
    response_model=list[schemas.ParticipantRead],
)
def join_incident(
    ref: str, body: schemas.ParticipantAdd, session: UnitOfWork, actor: CurrentActor
) -> list[schemas.ParticipantRead]:
    incidents.join(session, actor=actor, incident_ref=ref, handle=body.user)
    return present.participants_read(
        session, incidents.participants(session, actor=actor, incident_ref=ref)
    )


@router.delete(
    "/incidents/{ref}/participants/{handle}", response_model=list[schemas.ParticipantRead]
)
def leave_incident(
    ref: str, handle: str, session: UnitOfWork, actor: CurrentActor
) -> list[schemas.ParticipantRead]:
    incidents.leave(session, actor=actor, incident_ref=ref, handle=handle)
    return present.participants_read(
        session, incidents.participants(session, actor=actor, incident_ref=ref)
    )


@router.get("/incidents/{ref}/checklist", response_model=schemas.ChecklistRead)
def get_checklist(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.ChecklistRead:
    return present.checklist_read(
        session, incidents.checklist(session, actor=actor, incident_ref=ref)
    )


@router.put("/incidents/{ref}/checklist/{item}", response_model=schemas.ChecklistRead)
def check_item(
    ref: str,
    item: str,
    session: UnitOfWork,
    actor: CurrentActor,
    body: schemas.ChecklistCheckBody | None = None,
) -> schemas.ChecklistRead:
    incidents.check_item(
        session, actor=actor, incident_ref=ref, key=item, note=body.note if body else ""
    )
    return present.checklist_read(
        session, incidents.checklist(session, actor=actor, incident_ref=ref)
    )


@router.delete("/incidents/{ref}/checklist/{item}", response_model=schemas.ChecklistRead)
def uncheck_item(
    ref: str, item: str, session: UnitOfWork, actor: CurrentActor
) -> schemas.ChecklistRead:
    incidents.uncheck_item(session, actor=actor, incident_ref=ref, key=item)
    return present.checklist_read(
        session, incidents.checklist(session, actor=actor, incident_ref=ref)
    )


@router.get("/severities", response_model=list[schemas.SeverityRead], tags=["configuration"])
def list_severities(session: UnitOfWork, actor: CurrentActor) -> Any:
    return incidents.list_severities(session)


@router.post(
    "/severities",
    status_code=201,
    response_model=schemas.SeverityRead,
    tags=["configuration"],
)
def create_severity(body: schemas.SeverityCreate, session: UnitOfWork, actor: AdminActor) -> Any:
    return incidents.create_severity(session, actor=actor, spec=body.model_dump(mode="json"))


@router.patch("/severities/{key}", response_model=schemas.SeverityRead, tags=["configuration"])
def update_severity(
    key: str, body: schemas.SeverityUpdate, session: UnitOfWork, actor: AdminActor
) -> Any:
    return incidents.update_severity(
        session, actor=actor, key=key, changes=body.model_dump(mode="json", exclude_unset=True)
    )


@router.get(
    "/incident-types", response_model=list[schemas.IncidentTypeRead], tags=["configuration"]
)
def list_types(session: UnitOfWork, actor: CurrentActor) -> Any:
    return incidents.list_types(session)
