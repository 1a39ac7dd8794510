"""Escalation policies: ordered steps of targets, checked on every write.

A target is a person, a schedule (whoever is on call when the step fires), a team (its
on-call), or another policy (that policy's first step). Policy targets must not form a loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.catalog.models import Service
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.escalation.models import (
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    TargetKind,
)
from firehouse.people import service as people
from firehouse.people.models import Role, Team, User

MAX_STEPS = 20
MAX_TARGETS = 20
MAX_DELAY_MINUTES = 7 * 24 * 60
MAX_REPEAT = 100


@dataclass
class TargetSpec:
    type: str
    user: str | None = None
    team: str | None = None
    schedule_id: int | None = None
    policy_id: int | None = None


@dataclass
class StepSpec:
    delay_minutes: int
    targets: list[TargetSpec] = field(default_factory=list)


@dataclass
class PolicySpec:
    name: str
    steps: list[StepSpec]
    description: str = ""
    team: str | None = None
    team_default: bool = False
    repeat: int = 0
    reescalate_after_minutes: int | None = None


def _schedule_name(session: Session, schedule_id: int | None) -> str:
    from firehouse.schedules import service as schedules

    try:
        return schedules.get_schedule(session, int(schedule_id or 0)).name
    except NotFound:
        return f"#{schedule_id}"


def _target_snapshot(session: Session, target: EscalationTarget) -> dict[str, Any]:
    if target.kind == TargetKind.user:
        user = session.get(User, target.user_id)
        return {"kind": "user", "user_id": target.user_id, "name": user.handle if user else "?"}
    if target.kind == TargetKind.team:
        team = session.get(Team, target.team_id)
        return {"kind": "team", "team_id": target.team_id, "name": team.slug if team else "?"}
    if target.kind == TargetKind.schedule:
        return {
            "kind": "schedule",
            "schedule_id": target.schedule_id,
            "name": _schedule_name(session, target.schedule_id),
        }
    other = session.get(EscalationPolicy, target.target_policy_id)
    return {
        "kind": "policy",
        "policy_id": target.target_policy_id,
        "name": other.name if other else "?",
    }


def expanded_targets(
    session: Session, policy: EscalationPolicy, seen: frozenset[int] = frozenset()
) -> list[dict[str, Any]]:
    """The first step's targets, with policy targets replaced by their own first step's."""
    if not policy.steps:
        return []
    out: list[dict[str, Any]] = []
    for target in policy.steps[0].targets:
        if target.kind == TargetKind.policy:
            other = session.get(EscalationPolicy, target.target_policy_id)
            if other is not None and other.id not in seen:
                out.extend(expanded_targets(session, other, seen | {policy.id}))
        else:
            out.append(_target_snapshot(session, target))
    return out


def policy_snapshot(session: Session, policy: EscalationPolicy) -> dict[str, Any]:
    """What a running escalation keeps: the steps and targets as they are now."""
    steps = []
    for step in policy.steps:
        targets: list[dict[str, Any]] = []
        for target in step.targets:
            if target.kind == TargetKind.policy:
                other = session.get(EscalationPolicy, target.target_policy_id)
                if other is not None:
                    targets.extend(expanded_targets(session, other, frozenset({policy.id})))
            else:
                targets.append(_target_snapshot(session, target))
        steps.append({"delay_minutes": step.delay_minutes, "targets": targets})
    return {
        "policy_id": policy.id,
        "name": policy.name,
        "repeat": policy.repeat,
        "reescalate_after_minutes": policy.reescalate_after_minutes,
        "steps": steps,
    }


def describe(session: Session, policy: EscalationPolicy) -> dict[str, Any]:
    """The policy as the API shows it (targets named, not just numbered)."""
    team = session.get(Team, policy.team_id) if policy.team_id else None
    services = session.scalars(
        select(Service.slug).where(Service.escalation_policy_id == policy.id).order_by(Service.slug)
    ).all()
    return {
        "id": policy.id,
        "name": policy.name,
        "description": policy.description,
        "team": team.slug if team else None,
        "team_default": policy.team_default,
        "repeat": policy.repeat,
        "reescalate_after_minutes": policy.reescalate_after_minutes,
        "services": list(services),
        "steps": [
            {
                "delay_minutes": step.delay_minutes,
                "targets": [_target_snapshot(session, t) for t in step.targets],
            }
            for step in policy.steps
        ],
        "created_at": policy.created_at,
        "updated_at": policy.updated_at,
    }


def get_policy(session: Session, policy_id: int) -> EscalationPolicy:
    policy = session.get(EscalationPolicy, policy_id)
    if policy is None:
        raise NotFound(f"no escalation policy {policy_id}")
    return policy


def list_policies(session: Session) -> list[EscalationPolicy]:
    return list(session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name)).all())


def _build_target(
    session: Session, spec: TargetSpec, where: str, policy_id: int | None
) -> EscalationTarget:
    try:
        kind = TargetKind(spec.type)
    except ValueError:
        raise Invalid(
            f"a target type is one of {', '.join(k.value for k in TargetKind)}",
            field=f"{where}.type",
        ) from None
    if kind == TargetKind.user:
        if not spec.user:
            raise Invalid("name the person by handle", field=f"{where}.user")
        user = people.find_user(session, spec.user, field=f"{where}.user")
        if not user.active:
            raise Invalid(f"{user.handle} is deactivated", field=f"{where}.user")
        return EscalationTarget(kind=kind, user_id=user.id)
    if kind == TargetKind.team:
        if not spec.team:
            raise Invalid("name the team by slug", field=f"{where}.team")
        team = people.find_team(session, spec.team, field=f"{where}.team")
        return EscalationTarget(kind=kind, team_id=team.id)
    if kind == TargetKind.schedule:
        from firehouse.schedules import service as schedules

        if spec.schedule_id is None:
            raise Invalid("give the schedule's id", field=f"{where}.schedule_id")
        try:
            schedules.get_schedule(session, spec.schedule_id)
        except NotFound:
            raise Invalid(f"no schedule {spec.schedule_id}", field=f"{where}.schedule_id") from None
        return EscalationTarget(kind=kind, schedule_id=spec.schedule_id)
    if spec.policy_id is None:
        raise Invalid("give the policy's id", field=f"{where}.policy_id")
    if spec.policy_id == policy_id:
        raise Invalid("a policy cannot escalate to itself", field=f"{where}.policy_id")
    if session.get(EscalationPolicy, spec.policy_id) is None:
        raise Invalid(f"no escalation policy {spec.policy_id}", field=f"{where}.policy_id")
    return EscalationTarget(kind=kind, target_policy_id=spec.policy_id)


def _reaches(session: Session, start: int, goal: int) -> bool:
    """Whether policy `start` leads (through policy targets) back to `goal`."""
    pending, seen = [start], set()
    while pending:
        current = pending.pop()
        if current == goal:
            return True
        if current in seen:
            continue
        seen.add(current)
        pending.extend(
            session.scalars(
                select(EscalationTarget.target_policy_id)
                .join(EscalationStep, EscalationStep.id == EscalationTarget.step_id)
                .where(
                    EscalationStep.policy_id == current,
                    EscalationTarget.target_policy_id.is_not(None),
                )
            ).all()  # type: ignore[arg-type]
        )
    return False


def _check_spec(spec: PolicySpec) -> None:
    if not spec.name.strip():
        raise Invalid("a policy needs a name", field="name")
    if not spec.steps:
        raise Invalid("a policy needs at least one step", field="steps")
    if len(spec.steps) > MAX_STEPS:
        raise Invalid(f"at most {MAX_STEPS} steps", field="steps")
    if not 0 <= spec.repeat <= MAX_REPEAT:
        raise Invalid(f"repeat is between 0 and {MAX_REPEAT}", field="repeat")
    minutes = spec.reescalate_after_minutes
    if minutes is not None and not 1 <= minutes <= MAX_DELAY_MINUTES:
        raise Invalid(
            f"reescalate_after_minutes is between 1 and {MAX_DELAY_MINUTES}",
            field="reescalate_after_minutes",
        )
    if spec.team_default and not spec.team:
        raise Invalid("a team default policy names its team", field="team")
    for i, step in enumerate(spec.steps):
        if not 1 <= step.delay_minutes <= MAX_DELAY_MINUTES:
            raise Invalid(
                f"delay_minutes is between 1 and {MAX_DELAY_MINUTES}",
                field=f"steps.{i}.delay_minutes",
            )
        if not step.targets:
            raise Invalid("each step needs at least one target", field=f"steps.{i}.targets")
        if len(step.targets) > MAX_TARGETS:
            raise Invalid(f"at most {MAX_TARGETS} targets a step", field=f"steps.{i}.targets")


def _apply(
    session: Session, policy: EscalationPolicy, spec: PolicySpec, team_id: int | None
) -> None:
    steps: list[EscalationStep] = []
    for i, step_spec in enumerate(spec.steps):
        step = EscalationStep(position=i, delay_minutes=step_spec.delay_minutes)
        step.targets = [
            _build_target(session, t, f"steps.{i}.targets.{j}", policy.id)
            for j, t in enumerate(step_spec.targets)
        ]
        steps.append(step)
    policy.name = spec.name.strip()
    policy.description = spec.description
    policy.team_id = team_id
    policy.team_default = spec.team_default
    policy.repeat = spec.repeat
    policy.reescalate_after_minutes = spec.reescalate_after_minutes
    policy.updated_at = clock.now(session)
    policy.steps.clear()
    session.flush()  # delete the old steps before positions are reused
    policy.steps.extend(steps)
    session.flush()
    if policy.id is not None:
        for i, step_spec in enumerate(spec.steps):
            for j, target in enumerate(step_spec.targets):
                if target.policy_id is not None and _reaches(session, target.policy_id, policy.id):
                    raise Invalid(
                        f"policy {target.policy_id} leads back to this policy: a loop",
                        field=f"steps.{i}.targets.{j}.policy_id",
                    )


def _team_id(session: Session, spec: PolicySpec, policy_id: int | None) -> int | None:
    if not spec.team:
        return None
    team = people.find_team(session, spec.team, field="team")
    if spec.team_default:
        other = session.scalar(
            select(EscalationPolicy.name).where(
                EscalationPolicy.team_id == team.id,
                EscalationPolicy.team_default,
                EscalationPolicy.id != (policy_id or 0),
            )
        )
        if other is not None:
            raise Conflict(
                f"{other!r} is already the default policy of {team.slug}",
                details={"field": "team_default"},
            )
    return team.id


def _check_name(session: Session, name: str, policy_id: int | None) -> None:
    clash = session.scalar(
        select(EscalationPolicy.id).where(
            EscalationPolicy.name == name.strip(), EscalationPolicy.id != (policy_id or 0)
        )
    )
    if clash is not None:
        raise Conflict(f"a policy named {name.strip()!r} exists", details={"field": "name"})


def create_policy(session: Session, *, actor: Actor, spec: PolicySpec) -> EscalationPolicy:
    require_writer(actor, Role.incident_manager)
    _check_spec(spec)
    _check_name(session, spec.name, None)
    team_id = _team_id(session, spec, None)
    now = clock.now(session)
    policy = EscalationPolicy(name=spec.name.strip(), created_at=now, updated_at=now)
    session.add(policy)
    session.flush()
    _apply(session, policy, spec, team_id)
    audit.record(
        session,
        actor=actor,
        action="escalation_policy.create",
        target_type="escalation_policy",
        target_id=policy.id,
        after=policy_snapshot(session, policy),
    )
    return policy


def update_policy(
    session: Session, *, actor: Actor, policy_id: int, spec: PolicySpec
) -> EscalationPolicy:
    """Replace a policy. Escalations already running keep the policy they started with."""
    require_writer(actor, Role.incident_manager)
    policy = get_policy(session, policy_id)
    _check_spec(spec)
    _check_name(session, spec.name, policy.id)
    team_id = _team_id(session, spec, policy.id)
    before = policy_snapshot(session, policy)
    _apply(session, policy, spec, team_id)
    audit.record(
        session,
        actor=actor,
        action="escalation_policy.update",
        target_type="escalation_policy",
        target_id=policy.id,
        before=before,
        after=policy_snapshot(session, policy),
    )
    return policy


def delete_policy(session: Session, *, actor: Actor, policy_id: int) -> None:
    """409 while a service or another policy points at it (running escalations keep going)."""
    require_writer(actor, Role.incident_manager)
    policy = get_policy(session, policy_id)
    services = session.scalars(
        select(Service.slug).where(Service.escalation_policy_id == policy.id)
    ).all()
    referrers = session.scalars(
        select(EscalationPolicy.name)
        .join(EscalationStep, EscalationStep.policy_id == EscalationPolicy.id)
        .join(EscalationTarget, EscalationTarget.step_id == EscalationStep.id)
        .where(EscalationTarget.target_policy_id == policy.id)
        .distinct()
    ).all()
    if services or referrers:
        where = [f"service {s!r}" for s in services] + [f"policy {p!r}" for p in referrers]
        raise Conflict(
            f"policy {policy.name!r} is in use by {', '.join(where)}",
            details={"services": list(services), "policies": list(referrers)},
        )
    before = policy_snapshot(session, policy)
    session.delete(policy)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="escalation_policy.delete",
        target_type="escalation_policy",
        target_id=policy_id,
        before=before,
    )


def set_service_policy(
    session: Session, *, actor: Actor, service_slug: str, policy_id: int | None
) -> Service:
    """Point a service at a policy (None: the owning team's default applies)."""
    from firehouse.catalog import service as catalog

    require_writer(actor, Role.incident_manager)
    try:
        service = catalog.find_service(session, service_slug)
    except Invalid:
        raise NotFound(f"no service {service_slug!r}") from None
    if policy_id is not None and session.get(EscalationPolicy, policy_id) is None:
        raise Invalid(f"no escalation policy {policy_id}", field="policy_id")
    before = {"escalation_policy_id": service.escalation_policy_id}
    service.escalation_policy_id = policy_id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="service.escalation_policy",
        target_type="service",
        target_id=service.id,
        before=before,
        after={"escalation_policy_id": policy_id},
    )
    return service


def policies_referencing_user(session: Session, user_id: int) -> list[str]:
    """Where a person is named in escalation policies, for a 409 that says where."""
    rows = session.execute(
        select(EscalationPolicy.name, EscalationStep.position)
        .join(EscalationStep, EscalationStep.policy_id == EscalationPolicy.id)
        .join(EscalationTarget, EscalationTarget.step_id == EscalationStep.id)
        .where(EscalationTarget.user_id == user_id)
        .distinct()
        .order_by(EscalationPolicy.name, EscalationStep.position)
    ).all()
    return [f"escalation policy {name!r}, step {position + 1}" for name, position in rows]


def check_user_removable(session: Session, *, user_id: int) -> None:
    """409 naming every policy step (and schedule) a person is in; call before deleting them."""
    from firehouse.schedules import service as schedules

    places = policies_referencing_user(session, user_id) + schedules.schedules_referencing_user(
        session, user_id
    )
    if places:
        raise Conflict(
            f"this person is still on call or in an escalation policy: {'; '.join(places)}",
            details={"places": places},
        )
