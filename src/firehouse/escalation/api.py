"""Thin JSON routes: escalation policies, a service's policy, paging an incident by hand."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from firehouse.actor import require_writer
from firehouse.api.deps import CurrentActor, UnitOfWork
from firehouse.errors import Invalid
from firehouse.escalation import schemas
from firehouse.escalation import service as escalation
from firehouse.escalation.models import Escalation
from firehouse.incidents import service as incidents

router = APIRouter(prefix="/api/v1", tags=["escalation"])


def _spec(body: schemas.PolicyIn) -> escalation.PolicySpec:
    return escalation.PolicySpec(
        name=body.name,
        description=body.description,
        team=body.team,
        team_default=body.team_default,
        repeat=body.repeat,
        reescalate_after_minutes=body.reescalate_after_minutes,
        steps=[
            escalation.StepSpec(
                delay_minutes=step.delay_minutes,
                targets=[escalation.TargetSpec(**t.model_dump()) for t in step.targets],
            )
            for step in body.steps
        ],
    )


@router.get("/escalation-policies", response_model=list[schemas.PolicyRead])
def list_policies(session: UnitOfWork, actor: CurrentActor) -> Any:
    return [escalation.describe(session, p) for p in escalation.list_policies(session)]


@router.post("/escalation-policies", status_code=201, response_model=schemas.PolicyRead)
def create_policy(body: schemas.PolicyIn, session: UnitOfWork, actor: CurrentActor) -> Any:
    policy = escalation.create_policy(session, actor=actor, spec=_spec(body))
    return escalation.describe(session, policy)


@router.get("/escalation-policies/{policy_id}", response_model=schemas.PolicyRead)
def get_policy(policy_id: int, session: UnitOfWork, actor: CurrentActor) -> Any:
    return escalation.describe(session, escalation.get_policy(session, policy_id))


@router.put("/escalation-policies/{policy_id}", response_model=schemas.PolicyRead)
def update_policy(
    policy_id: int, body: schemas.PolicyIn, session: UnitOfWork, actor: CurrentActor
) -> Any:
    policy = escalation.update_policy(session, actor=actor, policy_id=policy_id, spec=_spec(body))
    return escalation.describe(session, policy)


@router.delete("/escalation-policies/{policy_id}", status_code=204)
def delete_policy(policy_id: int, session: UnitOfWork, actor: CurrentActor) -> Response:
    escalation.delete_policy(session, actor=actor, policy_id=policy_id)
    return Response(status_code=204)


@router.put("/services/{slug}/escalation-policy")
def set_service_policy(
    slug: str, body: schemas.ServicePolicyIn, session: UnitOfWork, actor: CurrentActor
) -> dict[str, Any]:
    service = escalation.set_service_policy(
        session, actor=actor, service_slug=slug, policy_id=body.policy_id
    )
    return {"service": service.slug, "policy_id": service.escalation_policy_id}


def _read(row: Escalation) -> schemas.EscalationRead:
    return schemas.EscalationRead.model_validate(row, from_attributes=True)


@router.post("/incidents/{ref}/page", status_code=201, response_model=schemas.EscalationRead)
def page_incident(ref: str, body: schemas.PageIn, session: UnitOfWork, actor: CurrentActor) -> Any:
    require_writer(actor)
    incident = incidents.get_incident(session, actor, ref, for_update=True)
    started = escalation.page_for_incident(
        session,
        incident_id=incident.id,
        policy_id=body.policy_id,
        urgency=body.urgency,
        reason=body.reason or f"paged by {actor.handle}",
        actor=actor,
    )
    if started is None:
        raise Invalid("no escalation policy applies to this incident; name one", field="policy_id")
    return _read(started)


@router.get("/incidents/{ref}/escalations", response_model=list[schemas.EscalationRead])
def incident_escalations(ref: str, session: UnitOfWork, actor: CurrentActor) -> Any:
    incident = incidents.get_incident(session, actor, ref)
    return [_read(row) for row in escalation.escalations_of(session, incident.id)]
