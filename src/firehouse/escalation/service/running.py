"""Running escalations: start one for an incident, fire its steps when due, stop on ack.

Exactly-once: a step fires in ONE transaction that claims the escalation row (FOR UPDATE SKIP
LOCKED), enqueues its pages (each with a dedup key naming escalation, pass and step) and moves
`next_action_at` on. A crash before commit leaves the step unfired; after commit it is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.engine import wake_after_commit
from firehouse.errors import Invalid, NotFound
from firehouse.escalation.models import Escalation, EscalationPolicy, EscalationState
from firehouse.escalation.service.paging import Pager, page_users, resolve_targets
from firehouse.escalation.service.policies import policy_snapshot
from firehouse.incidents.models import Incident, Status
from firehouse.incidents.service.roles import services_of
from firehouse.incidents.service.timeline import append_entry
from firehouse.notify import service as notify

SYSTEM = Actor.system("escalation")
ENDED_STATUSES = frozenset(
    {Status.mitigated, Status.resolved, Status.closed, Status.canceled, Status.merged}
)


def policy_for_incident(session: Session, incident: Incident) -> EscalationPolicy | None:
    """The first affected service's policy, else the owning team's default policy."""
    for service in services_of(session, incident.id):
        if service.escalation_policy_id is not None:
            return session.get(EscalationPolicy, service.escalation_policy_id)
    if incident.team_id is not None:
        return session.scalar(
            select(EscalationPolicy)
            .where(EscalationPolicy.team_id == incident.team_id, EscalationPolicy.team_default)
            .order_by(EscalationPolicy.id)
            .limit(1)
        )
    return None


def active_escalations(session: Session, incident_id: int) -> list[Escalation]:
    return list(
        session.scalars(
            select(Escalation)
            .where(Escalation.incident_id == incident_id, Escalation.state != EscalationState.done)
            .order_by(Escalation.id)
        ).all()
    )


def escalations_of(session: Session, incident_id: int) -> list[Escalation]:
    return list(
        session.scalars(
            select(Escalation)
            .where(Escalation.incident_id == incident_id)
            .order_by(Escalation.id.desc())
        ).all()
    )


def page_for_incident(
    session: Session,
    *,
    incident_id: int,
    policy_id: int | None = None,
    urgency: str = "high",
    reason: str = "",
    actor: Actor | None = None,
) -> Escalation | None:
    """Start escalating `incident_id` through a policy: the one given, else the first affected
    service's, else the owning team's default. Returns None when no policy applies (noted in
    the timeline). Starting the same policy again while it still runs returns the running one.
    """
    actor = actor or SYSTEM
    if urgency not in ("high", "low"):
        raise Invalid("urgency must be high or low", field="urgency")
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    if policy_id is not None:
        policy = session.get(EscalationPolicy, policy_id)
        if policy is None:
            raise Invalid(f"no escalation policy {policy_id}", field="policy_id")
    else:
        policy = policy_for_incident(session, incident)
    if policy is None:
        append_entry(
            session,
            incident,
            actor=actor,
            kind="escalation",
            body="Nobody paged: no affected service or owning team has an escalation policy",
            data={"event": "no_policy"},
        )
        return None
    for running in active_escalations(session, incident.id):
        if running.policy_id == policy.id:
            return running
    now = clock.now(session)
    escalation = Escalation(
        incident_id=incident.id,
        policy_id=policy.id,
        policy_name=policy.name,
        snapshot=policy_snapshot(session, policy),
        urgency=urgency,
        reason=reason,
        state=EscalationState.paging,
        step_index=0,
        round=0,
        reescalations=0,
        reescalating=False,
        next_action_at=now,
        started_at=now,
        started_by_id=actor.user_id,
    )
    session.add(escalation)
    session.flush()
    append_entry(
        session,
        incident,
        actor=actor,
        kind="escalation",
        body=f"Escalation policy {policy.name} started ({urgency} urgency)"
        + (f": {reason}" if reason else "")
        + ". It keeps the policy as it is now; later edits apply to new escalations only.",
        data={
            "event": "started",
            "escalation_id": escalation.id,
            "policy_id": policy.id,
            "urgency": urgency,
            "follows_edits": False,
        },
    )
    audit.record(
        session,
        actor=actor,
        action="escalation.start",
        target_type="incident",
        target_id=incident.reference,
        after={"escalation_id": escalation.id, "policy": policy.name, "urgency": urgency},
    )
    wake_after_commit(session, jobs=("escalation",))
    return escalation


def _dedup_prefix(escalation: Escalation) -> str:
    return f"esc:{escalation.id}:"


def _end(session: Session, escalation: Escalation, incident: Incident, reason: str) -> None:
    escalation.state = EscalationState.done
    escalation.next_action_at = None
    escalation.ended_at = clock.now(session)
    escalation.end_reason = reason
    notify.cancel_pending(
        session, incident_id=incident.id, dedup_prefix=_dedup_prefix(escalation), reason=reason
    )


def stop_for_incident(
    session: Session, *, incident_id: int, reason: str, actor: Actor | None = None
) -> int:
    """Stop paging for an incident now (someone acknowledged): pending pages are canceled and a
    policy with re-escalation starts waiting for mitigation. Returns how many stopped."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return 0
    now = clock.now(session)
    stopped = 0
    for escalation in active_escalations(session, incident_id):
        if escalation.state != EscalationState.paging:
            continue
        _acknowledged(session, escalation, incident, now, reason=reason, actor=actor or SYSTEM)
        stopped += 1
    if stopped:
        wake_after_commit(session, jobs=("escalation",))
    return stopped


def _acknowledged(
    session: Session,
    escalation: Escalation,
    incident: Incident,
    now: datetime,
    *,
    reason: str,
    actor: Actor,
) -> None:
    minutes = escalation.snapshot.get("reescalate_after_minutes")
    notify.cancel_pending(
        session, incident_id=incident.id, dedup_prefix=_dedup_prefix(escalation), reason=reason
    )
    if minutes:
        escalation.state = EscalationState.acknowledged
        escalation.reescalating = False
        escalation.next_action_at = now + timedelta(minutes=int(minutes))
        body = (
            f"Escalation {escalation.policy_name} stopped: {reason}. "
            f"It pages again if {incident.reference} is not mitigated within {minutes} min."
        )
    else:
        escalation.state = EscalationState.done
        escalation.next_action_at = None
        escalation.ended_at = now
        escalation.end_reason = reason
        body = f"Escalation {escalation.policy_name} stopped: {reason}"
    append_entry(
        session,
        incident,
        actor=actor,
        kind="escalation",
        body=body,
        data={"event": "stopped", "escalation_id": escalation.id, "reason": reason},
    )


@dataclass(frozen=True)
class Batch:
    processed: int
    next_due: datetime | None


LIVE_STATES = (EscalationState.paging, EscalationState.acknowledged)


def _acked_elsewhere(session: Session, changed_since: datetime | None) -> Select[Escalation]:
    """Paging escalations whose incident someone acknowledged (or ended) without going
    through `stop_for_incident`; only incidents changed since `changed_since` when given
    (their ids read first from the updated_at index, so no paging escalation is scanned)."""
    if changed_since is None:
        return (
            select(Escalation)
            .join(Incident, Incident.id == Escalation.incident_id)
            .where(
                Escalation.state == EscalationState.paging,
                Escalation.reescalating == false(),
                Incident.status != Status.triggered,
            )
        )
    changed = session.scalars(
        select(Incident.id).where(
            Incident.updated_at >= changed_since, Incident.status != Status.triggered
        )
    ).all()
    # by the incident_id index, then the primary key (a planner would rather scan every
    # paging escalation by state); the state is checked again once locked
    ids = [
        row.id
        for row in session.execute(
            select(Escalation.id, Escalation.state, Escalation.reescalating).where(
                Escalation.incident_id.in_(changed)
            )
        )
        if row.state == EscalationState.paging and not row.reescalating
    ]
    return select(Escalation).where(Escalation.id.in_(ids))


def claim_due(
    session: Session,
    now: datetime,
    limit: int,
    *,
    lock: bool = True,
    changed_since: datetime | None = None,
) -> list[Escalation]:
    """Escalations whose timer is due, or that page an incident someone since acknowledged
    (among incidents changed since `changed_since`; None: all); locked for this transaction
    (skipping rows another engine holds) unless `lock` is off. Each query reads an index
    range and returns up to `limit`, so a batch holds at most three times that."""
    queries = [
        select(Escalation)
        .where(Escalation.state == state, Escalation.next_action_at <= now)
        .order_by(Escalation.next_action_at, Escalation.id)
        .limit(limit)
        for state in LIVE_STATES
    ]
    acked = _acked_elsewhere(session, changed_since)
    queries.append(acked.order_by(Escalation.id).limit(limit))
    found: dict[int, Escalation] = {}
    for query in queries:
        if lock:
            query = query.with_for_update(of=Escalation, skip_locked=True)
        for escalation in session.scalars(query).all():
            found.setdefault(escalation.id, escalation)
    live = [e for e in found.values() if e.state in LIVE_STATES]
    return sorted(live, key=lambda e: (e.next_action_at or now, e.id))


def next_due(session: Session) -> datetime | None:
    """The earliest timer of a live escalation: one index seek per state."""
    times = [
        session.scalar(
            select(Escalation.next_action_at)
            .where(Escalation.state == state, Escalation.next_action_at.is_not(None))
            .order_by(Escalation.next_action_at)
            .limit(1)
        )
        for state in LIVE_STATES
    ]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def advance(session: Session, escalation: Escalation, pager: Pager) -> None:
    """Do what is due for one claimed escalation, judged by the incident's status now."""
    incident = session.get(Incident, escalation.incident_id)
    now = clock.now(session)
    if incident is None:
        escalation.state = EscalationState.done
        escalation.next_action_at = None
        return
    status = incident.status
    if status in ENDED_STATUSES:
        _end(session, escalation, incident, f"{incident.reference} is {status.value}")
        append_entry(
            session,
            incident,
            actor=SYSTEM,
            kind="escalation",
            body=f"Escalation {escalation.policy_name} ended: {incident.reference} is "
            f"{status.value}",
            data={"event": "ended", "escalation_id": escalation.id, "reason": status.value},
        )
        return
    if escalation.state == EscalationState.acknowledged:
        if escalation.next_action_at is not None and escalation.next_action_at > now:
            return
        minutes = escalation.snapshot.get("reescalate_after_minutes")
        escalation.state = EscalationState.paging
        escalation.reescalating = status == Status.acknowledged
        escalation.reescalations += 1
        escalation.step_index = 0
        escalation.round = 0
        escalation.next_action_at = now
        append_entry(
            session,
            incident,
            actor=SYSTEM,
            kind="escalation",
            body=f"Re-escalating through {escalation.policy_name}: acknowledged but not "
            f"mitigated within {minutes} min",
            data={"event": "reescalated", "escalation_id": escalation.id},
        )
    elif status != Status.triggered and not escalation.reescalating:
        _acknowledged(
            session,
            escalation,
            incident,
            now,
            reason=f"{incident.reference} acknowledged",
            actor=SYSTEM,
        )
        return
    if escalation.next_action_at is None or escalation.next_action_at > now:
        return
    _fire_step(session, escalation, incident, pager, now)


def _fire_step(
    session: Session, escalation: Escalation, incident: Incident, pager: Pager, now: datetime
) -> None:
    steps = escalation.snapshot["steps"]
    repeat = int(escalation.snapshot.get("repeat", 0))
    due = escalation.next_action_at or now
    if escalation.round > repeat:
        passes = repeat + 1
        _end(session, escalation, incident, "nobody acknowledged")
        append_entry(
            session,
            incident,
            actor=SYSTEM,
            kind="escalation",
            body=f"Escalation {escalation.policy_name} ended: nobody acknowledged after "
            f"{passes} pass{'es' if passes != 1 else ''} through its steps",
            data={"event": "exhausted", "escalation_id": escalation.id},
        )
        return
    step = steps[escalation.step_index]
    resolved = resolve_targets(session, step["targets"], at=now)
    key = (
        f"{_dedup_prefix(escalation)}{escalation.reescalations}:{escalation.round}:"
        f"{escalation.step_index}"
    )
    paged = page_users(
        session, pager, incident=incident, escalation=escalation, users=resolved.users, key=key
    )
    where = f"step {escalation.step_index + 1} of {len(steps)}, pass {escalation.round + 1} of "
    where += f"{repeat + 1}"
    if paged:
        body = f"Paged {', '.join('@' + h for h in paged)} ({where})"
    else:
        body = f"Nobody to page at {where}"
    if resolved.notes:
        body += "; " + "; ".join(resolved.notes)
    append_entry(
        session,
        incident,
        actor=SYSTEM,
        kind="escalation",
        body=body,
        data={
            "event": "step",
            "escalation_id": escalation.id,
            "step": escalation.step_index,
            "round": escalation.round,
            "paged": paged,
        },
    )
    delay = timedelta(minutes=int(step["delay_minutes"]))
    escalation.step_index += 1
    if escalation.step_index >= len(steps):
        escalation.step_index = 0
        escalation.round += 1
    # from the due time, not from now: a late engine catches up without drifting
    escalation.next_action_at = due + delay
