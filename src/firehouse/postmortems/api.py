"""Thin JSON routes over the postmortems service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from firehouse.api.deps import CurrentActor, UnitOfWork
from firehouse.postmortems import present, schemas
from firehouse.postmortems import service as postmortems
from firehouse.postmortems.models import ActionCategory, ActionStatus, PostmortemStatus
from firehouse.postmortems.service import template_files

router = APIRouter(prefix="/api/v1", tags=["postmortems"])
PM = "/incidents/{ref}/postmortem"


def _read(session: UnitOfWork, actor: CurrentActor, ref: str) -> schemas.PostmortemRead:
    incident, postmortem = postmortems.find(session, actor=actor, incident_ref=ref)
    return present.postmortem_read(session, postmortem, incident)


def _download(name: str, body: str, media_type: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/postmortem-templates", response_model=list[schemas.TemplateRead])
def list_templates(actor: CurrentActor) -> list[schemas.TemplateRead]:
    result = []
    for key in template_files.TEMPLATES:
        spec = template_files.load(key)
        sections: list[dict[str, object]] = [
            {
                "key": s.key,
                "title": s.title,
                "required": s.required,
                "prefill": s.prefill,
                "public": s.public,
            }
            for s in spec.sections
        ]
        result.append(schemas.TemplateRead(key=key, name=spec.name, sections=sections))
    return result


@router.get("/postmortems", response_model=schemas.PostmortemList)
def list_postmortems(
    session: UnitOfWork,
    actor: CurrentActor,
    owner: Annotated[str | None, Query(description="A handle, or `me`.")] = None,
    status: Annotated[list[PostmortemStatus] | None, Query()] = None,
    overdue: bool = False,
) -> schemas.PostmortemList:
    filters = postmortems.PostmortemFilter(owner=owner, status=status or [], overdue=overdue)
    rows = postmortems.list_postmortems(session, actor=actor, filters=filters)
    return present.postmortem_summaries(session, rows)


@router.post(PM, status_code=201, response_model=schemas.PostmortemRead)
def create_postmortem(
    ref: str, body: schemas.PostmortemCreate, session: UnitOfWork, actor: CurrentActor
) -> schemas.PostmortemRead:
    postmortems.create_postmortem(
        session, actor=actor, incident_ref=ref, template=body.template, owner=body.owner
    )
    return _read(session, actor, ref)


@router.get(PM, response_model=schemas.PostmortemRead)
def get_postmortem(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.PostmortemRead:
    return _read(session, actor, ref)


@router.patch(PM, response_model=schemas.PostmortemRead)
def update_postmortem(
    ref: str, body: schemas.PostmortemUpdate, session: UnitOfWork, actor: CurrentActor
) -> schemas.PostmortemRead:
    changes = body.model_dump(exclude_unset=True)
    postmortems.update_postmortem(session, actor=actor, incident_ref=ref, changes=changes)
    return _read(session, actor, ref)


@router.put(PM + "/sections/{key}", response_model=schemas.PostmortemRead)
def edit_section(
    ref: str, key: str, body: schemas.SectionUpdate, session: UnitOfWork, actor: CurrentActor
) -> schemas.PostmortemRead:
    postmortems.edit_section(
        session, actor=actor, incident_ref=ref, key=key, body=body.body, title=body.title
    )
    return _read(session, actor, ref)


@router.post(PM + "/regenerate", response_model=schemas.PostmortemRead)
def regenerate(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.PostmortemRead:
    postmortems.regenerate(session, actor=actor, incident_ref=ref)
    return _read(session, actor, ref)


@router.put(PM + "/reviewers/{handle}", response_model=schemas.PostmortemRead)
def add_reviewer(
    ref: str, handle: str, session: UnitOfWork, actor: CurrentActor
) -> schemas.PostmortemRead:
    postmortems.add_reviewer(session, actor=actor, incident_ref=ref, handle=handle)
    return _read(session, actor, ref)


@router.delete(PM + "/reviewers/{handle}", response_model=schemas.PostmortemRead)
def remove_reviewer(
    ref: str, handle: str, session: UnitOfWork, actor: CurrentActor
) -> schemas.PostmortemRead:
    postmortems.remove_reviewer(session, actor=actor, incident_ref=ref, handle=handle)
    return _read(session, actor, ref)


@router.post(PM + "/submit", response_model=schemas.PostmortemRead)
def submit(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.PostmortemRead:
    postmortems.submit_for_review(session, actor=actor, incident_ref=ref)
    return _read(session, actor, ref)


@router.post(PM + "/approve", response_model=schemas.PostmortemRead)
def approve(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.PostmortemRead:
    postmortems.approve(session, actor=actor, incident_ref=ref)
    return _read(session, actor, ref)


@router.post(PM + "/publish", response_model=schemas.PostmortemRead)
def publish(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.PostmortemRead:
    postmortems.publish(session, actor=actor, incident_ref=ref)
    return _read(session, actor, ref)


@router.get(PM + "/revisions", response_model=list[schemas.RevisionRead])
def list_revisions(
    ref: str, session: UnitOfWork, actor: CurrentActor
) -> list[schemas.RevisionRead]:
    rows = postmortems.revisions(session, actor=actor, incident_ref=ref)
    return [present.revision_read(session, r) for r in rows]


@router.put(PM + "/retrospective", response_model=schemas.PostmortemRead)
def record_retrospective(
    ref: str, body: schemas.RetrospectiveWrite, session: UnitOfWork, actor: CurrentActor
) -> schemas.PostmortemRead:
    postmortems.record_retrospective(
        session,
        actor=actor,
        incident_ref=ref,
        facilitator=body.facilitator,
        held_at=body.held_at,
        attendees=body.attendees,
        notes=body.notes,
        decisions=body.decisions,
    )
    return _read(session, actor, ref)


@router.put(PM + "/customer-review", response_model=schemas.PostmortemRead)
def update_customer_review(
    ref: str, body: schemas.CustomerReviewWrite, session: UnitOfWork, actor: CurrentActor
) -> schemas.PostmortemRead:
    postmortems.update_customer_review(
        session, actor=actor, incident_ref=ref, text=body.text, reviewer=body.reviewer
    )
    return _read(session, actor, ref)


@router.post(PM + "/customer-review/approve", response_model=schemas.PostmortemRead)
def approve_customer_review(
    ref: str, session: UnitOfWork, actor: CurrentActor
) -> schemas.PostmortemRead:
    postmortems.approve_customer_review(session, actor=actor, incident_ref=ref)
    return _read(session, actor, ref)


@router.get(PM + "/export.md", response_class=Response)
def export_markdown(ref: str, session: UnitOfWork, actor: CurrentActor) -> Response:
    name, text = postmortems.postmortem_markdown(session, actor=actor, incident_ref=ref)
    return _download(name, text, "text/markdown; charset=utf-8")


@router.get(PM + "/export.html", response_class=Response)
def export_html(ref: str, session: UnitOfWork, actor: CurrentActor) -> Response:
    name, text = postmortems.postmortem_html(session, actor=actor, incident_ref=ref)
    return _download(name, text, "text/html; charset=utf-8")


@router.get(PM + "/customer-review/export.md", response_class=Response)
def export_customer_markdown(ref: str, session: UnitOfWork, actor: CurrentActor) -> Response:
    name, text = postmortems.customer_review_markdown(session, actor=actor, incident_ref=ref)
    return _download(name, text, "text/markdown; charset=utf-8")


@router.get(PM + "/customer-review/export.html", response_class=Response)
def export_customer_html(ref: str, session: UnitOfWork, actor: CurrentActor) -> Response:
    name, text = postmortems.customer_review_html(session, actor=actor, incident_ref=ref)
    return _download(name, text, "text/html; charset=utf-8")


@router.post("/incidents/{ref}/actions", status_code=201, response_model=schemas.ActionRead)
def create_action(
    ref: str, body: schemas.ActionCreate, session: UnitOfWork, actor: CurrentActor
) -> schemas.ActionRead:
    item = postmortems.create_action(
        session, actor=actor, incident_ref=ref, **body.model_dump(exclude_unset=True)
    )
    return present.actions_read(session, [item])[0]


@router.get("/incidents/{ref}/actions", response_model=schemas.ActionList)
def list_incident_actions(ref: str, session: UnitOfWork, actor: CurrentActor) -> schemas.ActionList:
    items = postmortems.list_actions(
        session, actor=actor, filters=postmortems.ActionFilter(incident=ref)
    )
    return schemas.ActionList(items=present.actions_read(session, items))


@router.get("/actions", response_model=schemas.ActionList)
def list_actions(
    session: UnitOfWork,
    actor: CurrentActor,
    owner: Annotated[str | None, Query(description="A handle, or `me`.")] = None,
    team: Annotated[str | None, Query(description="A team slug, or `mine`.")] = None,
    category: Annotated[list[ActionCategory] | None, Query()] = None,
    status: Annotated[
        list[ActionStatus] | None, Query(description="Open and in progress by default.")
    ] = None,
    overdue: bool = False,
    incident: str | None = None,
) -> schemas.ActionList:
    filters = postmortems.ActionFilter(
        incident=incident,
        owner=owner,
        team=team,
        category=category or [],
        status=status or [],
        overdue=overdue,
    )
    items = postmortems.list_actions(session, actor=actor, filters=filters)
    return schemas.ActionList(items=present.actions_read(session, items))


@router.get("/actions/{action_id}", response_model=schemas.ActionRead)
def get_action(action_id: int, session: UnitOfWork, actor: CurrentActor) -> schemas.ActionRead:
    item = postmortems.get_action(session, actor=actor, action_id=action_id)
    return present.actions_read(session, [item])[0]


@router.patch("/actions/{action_id}", response_model=schemas.ActionRead)
def update_action(
    action_id: int, body: schemas.ActionUpdate, session: UnitOfWork, actor: CurrentActor
) -> schemas.ActionRead:
    item = postmortems.update_action(
        session, actor=actor, action_id=action_id, changes=body.model_dump(exclude_unset=True)
    )
    return present.actions_read(session, [item])[0]


@router.get("/search", response_model=schemas.SearchResults)
def search(
    session: UnitOfWork,
    actor: CurrentActor,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> schemas.SearchResults:
    hits = postmortems.search(session, actor=actor, query=q, limit=limit)
    return schemas.SearchResults(
        query=q,
        items=[
            schemas.SearchHit(
                incident=h.incident.reference,
                title=h.incident.title,
                status=h.incident.status.value,
                source=h.source,
                snippet=h.snippet,
            )
            for h in hits
        ],
    )
