"""`/oncall/policies`: escalation policies, readable by everyone; incident managers add and
remove them (one step a line: `minutes: target, target`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse.api.deps import Principal, UnitOfWork
from firehouse.errors import AppError, Invalid
from firehouse.escalation import editor
from firehouse.escalation import service as escalation
from firehouse.people.models import Role
from firehouse.web.deps import PagePrincipal, attempt, render

router = APIRouter(include_in_schema=False, prefix="/oncall/policies")


def parse_steps(text: str) -> list[escalation.StepSpec]:
    """`5: alice, team:payments, schedule:3, policy:2` a line: the delay, then the targets."""
    steps = []
    for i, line in enumerate(x for x in text.splitlines() if x.strip()):
        minutes, sep, rest = line.partition(":")
        if not sep or not minutes.strip().isdigit():
            raise Invalid(f"line {i + 1}: start with the minutes to wait, then ':'", field="steps")
        targets = []
        for item in (t.strip() for t in rest.split(",")):
            if not item:
                continue
            kind, _, value = item.partition(":") if ":" in item else ("user", "", item)
            if kind == "user":
                targets.append(escalation.TargetSpec(type="user", user=value))
            elif kind == "team":
                targets.append(escalation.TargetSpec(type="team", team=value))
            elif kind == "schedule" and value.isdigit():
                targets.append(escalation.TargetSpec(type=kind, schedule_id=int(value)))
            elif kind == "policy" and value.isdigit():
                targets.append(escalation.TargetSpec(type=kind, policy_id=int(value)))
            else:
                raise Invalid(f"line {i + 1}: {item!r} is not a target", field="steps")
        steps.append(escalation.StepSpec(delay_minutes=int(minutes), targets=targets))
    return steps


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    described = [escalation.describe(session, p) for p in escalation.list_policies(session)]
    return render(
        request,
        "escalation/policies.html",
        principal,
        {
            "section": "oncall",
            "policies": described,
            "can_edit": principal.actor.can_write and principal.actor.has(Role.incident_manager),
            "problem": problem,
        },
        status=status,
    )


@router.get("", response_class=HTMLResponse)
def policies(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _page(request, session, principal)


@router.post("", response_class=HTMLResponse)
def create_policy(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    steps: Annotated[str, Form(max_length=5000)] = "",
    team: Annotated[str, Form(max_length=64)] = "",
    repeat: Annotated[int, Form()] = 0,
) -> Response:
    try:
        with attempt(session):
            escalation.create_policy(
                session,
                actor=principal.actor,
                spec=escalation.PolicySpec(
                    name=name, steps=parse_steps(steps), team=team or None, repeat=repeat
                ),
            )
    except AppError as exc:
        return _page(request, session, principal, problem=exc.message, status=exc.status_code)
    return RedirectResponse("/oncall/policies", status_code=303)


@router.post("/{policy_id}/delete", response_class=HTMLResponse)
def delete_policy(
    policy_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        with attempt(session):
            escalation.delete_policy(session, actor=principal.actor, policy_id=policy_id)
    except AppError as exc:
        return _page(request, session, principal, problem=exc.message, status=exc.status_code)
    return RedirectResponse("/oncall/policies", status_code=303)


router.include_router(editor.router)
