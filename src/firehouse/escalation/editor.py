"""`/oncall/policies/{id}`: one policy with its steps, edited a piece at a time through plain
forms. Each form rebuilds the whole policy and saves it with `update_policy`, so every edit is
checked and audited exactly like the API's PUT."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse.actor import require_writer
from firehouse.api.deps import Principal, UnitOfWork
from firehouse.errors import AppError, Invalid
from firehouse.escalation import service as escalation
from firehouse.people.models import Role
from firehouse.schedules import service as schedules
from firehouse.web.deps import PagePrincipal, attempt, render

router = APIRouter(include_in_schema=False)  # included by pages.py under /oncall/policies

Names = Annotated[str, Form(max_length=2000)]
Ids = Annotated[list[int], Form()]


def _target_spec(target: dict[str, Any]) -> escalation.TargetSpec:
    kind = target["kind"]
    if kind == "user":
        return escalation.TargetSpec(type=kind, user=target["name"])
    if kind == "team":
        return escalation.TargetSpec(type=kind, team=target["name"])
    if kind == "schedule":
        return escalation.TargetSpec(type=kind, schedule_id=target["schedule_id"])
    return escalation.TargetSpec(type=kind, policy_id=target["policy_id"])


def _current(session: Session, policy_id: int) -> escalation.PolicySpec:
    """The policy as it is now, as a spec to change and save."""
    described = escalation.describe(session, escalation.get_policy(session, policy_id))
    return escalation.PolicySpec(
        name=described["name"],
        description=described["description"],
        team=described["team"],
        team_default=described["team_default"],
        repeat=described["repeat"],
        reescalate_after_minutes=described["reescalate_after_minutes"],
        steps=[
            escalation.StepSpec(
                delay_minutes=step["delay_minutes"],
                targets=[_target_spec(t) for t in step["targets"]],
            )
            for step in described["steps"]
        ],
    )


def _step(
    delay_minutes: int, users: str, teams: str, schedule_ids: list[int], policy_ids: list[int]
) -> escalation.StepSpec:
    targets = [
        escalation.TargetSpec(type="user", user=h.strip()) for h in users.split(",") if h.strip()
    ]
    targets += [
        escalation.TargetSpec(type="team", team=t.strip()) for t in teams.split(",") if t.strip()
    ]
    targets += [escalation.TargetSpec(type="schedule", schedule_id=i) for i in schedule_ids]
    targets += [escalation.TargetSpec(type="policy", policy_id=i) for i in policy_ids]
    return escalation.StepSpec(delay_minutes=delay_minutes, targets=targets)


def _at(spec: escalation.PolicySpec, index: int) -> escalation.StepSpec:
    if not 0 <= index < len(spec.steps):
        raise Invalid(f"this policy has no step {index + 1}", field="steps")
    return spec.steps[index]


def _field_of(problem: AppError | None) -> str | None:
    details = problem.details if problem else None
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("field"))
    if isinstance(details, dict) and "field" in details:
        return str(details["field"])
    return None


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    policy_id: int,
    *,
    form: str | None = None,
    problem: AppError | None = None,
) -> Response:
    described = escalation.describe(session, escalation.get_policy(session, policy_id))
    can_edit = principal.actor.can_write and principal.actor.has(Role.incident_manager)
    field = _field_of(problem)
    return render(
        request,
        "escalation/policy.html",
        principal,
        {
            "section": "oncall",
            "policy": described,
            "can_edit": can_edit,
            "schedules": schedules.list_schedules(session) if can_edit else [],
            "other_policies": [
                p for p in escalation.list_policies(session) if p.id != policy_id and can_edit
            ],
            "problem_form": form,
            "problem": problem.message if problem else None,
            "problem_field": field,
        },
        status=problem.status_code if problem else 200,
    )


def _save(
    request: Request,
    session: Session,
    principal: Principal,
    policy_id: int,
    form: str,
    change: Any,
) -> Response:
    """Apply `change(spec)` to the current policy and save it; a refusal re-shows the page with
    the error beside the form that caused it, and changes nothing."""
    require_writer(principal.actor, Role.incident_manager)
    try:
        with attempt(session):
            spec = _current(session, policy_id)
            change(spec)
            escalation.update_policy(session, actor=principal.actor, policy_id=policy_id, spec=spec)
    except AppError as exc:
        return _page(request, session, principal, policy_id, form=form, problem=exc)
    return RedirectResponse(f"/oncall/policies/{policy_id}", status_code=303)


@router.get("/{policy_id}", response_class=HTMLResponse)
def policy_page(
    policy_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    return _page(request, session, principal, policy_id)


@router.post("/{policy_id}", response_class=HTMLResponse)
def edit_settings(
    policy_id: int,
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    repeat: Annotated[int, Form()] = 0,
    reescalate_after_minutes: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    def change(spec: escalation.PolicySpec) -> None:
        spec.name = name
        spec.repeat = repeat
        minutes = reescalate_after_minutes.strip()
        if minutes and not minutes.isdigit():
            raise Invalid("give whole minutes, or leave it empty", field="reescalate_after_minutes")
        spec.reescalate_after_minutes = int(minutes) if minutes else None

    return _save(request, session, principal, policy_id, "settings", change)


@router.post("/{policy_id}/steps", response_class=HTMLResponse)
def add_step(
    policy_id: int,
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    delay_minutes: Annotated[int, Form()] = 5,
    users: Names = "",
    teams: Names = "",
    schedule_ids: Ids = [],  # noqa: B006
    policy_ids: Ids = [],  # noqa: B006
) -> Response:
    def change(spec: escalation.PolicySpec) -> None:
        spec.steps.append(_step(delay_minutes, users, teams, schedule_ids, policy_ids))

    return _save(request, session, principal, policy_id, "new", change)


@router.post("/{policy_id}/steps/{index}", response_class=HTMLResponse)
def edit_step(
    policy_id: int,
    index: int,
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    delay_minutes: Annotated[int, Form()] = 5,
    users: Names = "",
    teams: Names = "",
    schedule_ids: Ids = [],  # noqa: B006
    policy_ids: Ids = [],  # noqa: B006
) -> Response:
    def change(spec: escalation.PolicySpec) -> None:
        _at(spec, index)
        spec.steps[index] = _step(delay_minutes, users, teams, schedule_ids, policy_ids)

    return _save(request, session, principal, policy_id, f"step-{index}", change)


@router.post("/{policy_id}/steps/{index}/delete", response_class=HTMLResponse)
def remove_step(
    policy_id: int, index: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    def change(spec: escalation.PolicySpec) -> None:
        spec.steps.remove(_at(spec, index))

    return _save(request, session, principal, policy_id, f"step-{index}", change)


@router.post("/{policy_id}/steps/{index}/move", response_class=HTMLResponse)
def move_step(
    policy_id: int,
    index: int,
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    direction: Annotated[str, Form(max_length=4)] = "up",
) -> Response:
    def change(spec: escalation.PolicySpec) -> None:
        step = _at(spec, index)
        other = index - 1 if direction == "up" else index + 1
        if direction not in ("up", "down"):
            raise Invalid("move a step up or down", field="direction")
        if not 0 <= other < len(spec.steps):
            raise Invalid("the step cannot move further that way", field="direction")
        spec.steps[index], spec.steps[other] = spec.steps[other], step

    return _save(request, session, principal, policy_id, f"step-{index}", change)
