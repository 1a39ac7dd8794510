"""The update cadence: when an open incident's next stakeholder update is due, reminders to
the communications lead and then the incident manager when nobody sends one, and the list of
overdue incidents for the home page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.incidents import service as incidents
from firehouse.incidents.models import OPEN_STATUSES, Incident, IncidentRole, Severity
from firehouse.incidents.service.roles import current_holder
from firehouse.notify import service as notify
from firehouse.people import service as people
from firehouse.updates.models import StakeholderUpdate, UpdateCadence
from firehouse.updates.service.sending import due_at

SYSTEM = Actor.system("update-cadence")
PAGE = 200


@dataclass(frozen=True)
class Overdue:
    reference: str
    title: str
    severity: str
    due_at: datetime
    minutes_overdue: int


def _open_incidents(session: Session, actor: Actor) -> list[Incident]:
    found: list[Incident] = []
    cursor = None
    while True:
        rows, cursor, _ = incidents.list_incidents(
            session,
            actor=actor,
            filters=incidents.IncidentFilter(status=list(OPEN_STATUSES)),
            sort="-declared_at",
            limit=PAGE,
            cursor=cursor,
        )
        found += rows
        if not cursor:
            return found


def _last_updates(session: Session, ids: list[int]) -> dict[int, StakeholderUpdate]:
    result: dict[int, StakeholderUpdate] = {}
    if not ids:
        return result
    rows = session.scalars(
        select(StakeholderUpdate)
        .where(StakeholderUpdate.incident_id.in_(ids))
        .order_by(StakeholderUpdate.sent_at, StakeholderUpdate.id)
    )
    for row in rows:
        result[row.incident_id] = row  # the last one wins
    return result


def overdue_updates(session: Session, actor: Actor) -> list[Overdue]:
    """Open incidents `actor` can see whose next stakeholder update is overdue, most overdue
    first."""
    now = clock.now(session)
    open_incidents = _open_incidents(session, actor)
    last = _last_updates(session, [i.id for i in open_incidents])
    result = []
    for incident in open_incidents:
        due = due_at(incident, last.get(incident.id))
        if due <= now:
            result.append(
                Overdue(
                    reference=incident.reference,
                    title=incident.title,
                    severity=incident.severity.key,
                    due_at=due,
                    minutes_overdue=int((now - due).total_seconds() // 60),
                )
            )
    result.sort(key=lambda o: o.due_at)
    return result


def _remind(
    session: Session, incident: Incident, user_id: int, role: str, due: datetime, base_url: str
) -> None:
    user = people.get_user(session, user_id)
    late = int((clock.now(session) - due).total_seconds() // 60)
    notify.enqueue(
        session,
        channel="email",
        target=user.email,
        subject=f"{incident.reference}: a stakeholder update is due",
        body_text=(
            f"{incident.reference} {incident.title} ({incident.severity.key}) needs a "
            f"stakeholder update: it was due at {due:%H:%M} UTC ({late} min ago).\n"
            f"You are its {role.replace('_', ' ')}.\n\n"
            f"Send it: {base_url}/incidents/{incident.reference}\n"
        ),
        kind="update_reminder",
        urgency="high" if role == IncidentRole.incident_manager.value else "low",
        user_id=user.id,
        incident_id=incident.id,
        dedup_key=f"upd-remind:{incident.id}:{due.isoformat()}:{role}",
    )


@dataclass(frozen=True)
class CadenceWork:
    """What the cadence job has to write now for the incidents it looked at."""

    incident_ids: list[int]  # open incidents whose timer row changes or who get a reminder
    stale: list[int]  # timer rows of incidents no longer open


@dataclass(frozen=True)
class _Step:
    due: datetime
    reminded: int
    reminders: tuple[tuple[int, str], ...]  # (user id, role)
    next_check_at: datetime | None


def _step(
    row: UpdateCadence | None,
    *,
    due: datetime,
    now: datetime,
    holders: Callable[[], tuple[int | None, int | None]],
    escalate_after: timedelta,
) -> _Step:
    """One incident's timer after this round: who is reminded, and when to look again.

    `holders` (communications lead, incident manager) is asked only when a reminder is due. A
    reminder due with nobody to send it to waits for a change to the incident (a role
    assigned touches it), not for a timer."""
    reminded = 0 if row is None or row.due_at != due else row.reminded
    reminders: list[tuple[int, str]] = []
    waiting = False
    if reminded == 0 and now >= due:
        lead_id, manager_id = holders()
        if lead_id is not None:
            reminders.append((lead_id, "communications_lead"))
            reminded = 1
        elif manager_id is not None:
            reminders.append((manager_id, "incident_manager"))
            reminded = 2
        else:
            waiting = True
    if reminded == 1 and now >= due + escalate_after:
        manager_id = holders()[1]
        if manager_id is not None:
            reminders.append((manager_id, "incident_manager"))
        reminded = 2
    if waiting or reminded == 2:
        next_check = None
    else:
        next_check = due if reminded == 0 else due + escalate_after
    return _Step(due, reminded, tuple(reminders), next_check)


def _holders(session: Session, incident_id: int) -> tuple[int | None, int | None]:
    lead = current_holder(session, incident_id, IncidentRole.communications_lead)
    manager = current_holder(session, incident_id, IncidentRole.incident_manager)
    return (lead.user_id if lead else None), (manager.user_id if manager else None)


def cadence_candidates(session: Session, *, changed_since: datetime | None) -> list[int]:
    """Read-only, by index: the incidents the cadence job has to look at now. Those whose
    timer is due, and those changed since `changed_since` (severity, status, roles, updates
    all touch an incident); with None, every open incident and every timer of a closed one."""
    now = clock.now(session)
    ids = set(
        session.scalars(select(UpdateCadence.incident_id).where(UpdateCadence.next_check_at <= now))
    )
    if changed_since is None:
        ids.update(session.scalars(select(Incident.id).where(Incident.status.in_(OPEN_STATUSES))))
        ids.update(
            session.scalars(
                select(UpdateCadence.incident_id)
                .join(Incident, Incident.id == UpdateCadence.incident_id)
                .where(Incident.status.not_in(OPEN_STATUSES))
            )
        )
    else:
        ids.update(session.scalars(select(Incident.id).where(Incident.updated_at >= changed_since)))
    return sorted(ids)


def next_cadence_check(session: Session) -> datetime | None:
    """When the earliest cadence timer falls due (None: no timer set)."""
    return session.scalar(
        select(UpdateCadence.next_check_at)
        .where(UpdateCadence.next_check_at.is_not(None))
        .order_by(UpdateCadence.next_check_at)
        .limit(1)
    )


def cadence_work(
    session: Session, *, incident_ids: list[int], escalate_after: timedelta
) -> CadenceWork:
    """Read-only: which of `incident_ids` need a write by the cadence job now."""
    now = clock.now(session)
    found = session.scalars(select(Incident).where(Incident.id.in_(incident_ids))).all()
    open_incidents = [i for i in found if i.status in OPEN_STATUSES]
    last = _last_updates(session, [i.id for i in open_incidents])
    rows = {
        r.incident_id: r
        for r in session.scalars(
            select(UpdateCadence).where(UpdateCadence.incident_id.in_(incident_ids))
        )
    }
    open_ids = {i.id for i in open_incidents}
    stale = [incident_id for incident_id in rows if incident_id not in open_ids]
    work: list[int] = []
    for incident in open_incidents:
        row = rows.get(incident.id)
        step = _step(
            row,
            due=due_at(incident, last.get(incident.id)),
            now=now,
            holders=partial(_holders, session, incident.id),
            escalate_after=escalate_after,
        )
        if (
            row is None
            or step.reminders
            or (row.due_at, row.reminded, row.next_check_at)
            != (step.due, step.reminded, step.next_check_at)
        ):
            work.append(incident.id)
    return CadenceWork(incident_ids=work, stale=stale)


def run_cadence(
    session: Session,
    *,
    incident_ids: list[int],
    stale: list[int],
    escalate_after: timedelta,
    base_url: str,
) -> None:
    """The engine's write step for the incidents `cadence_work` named: remind who is due,
    move the timers on, drop the timers of incidents no longer open."""
    now = clock.now(session)
    if stale:
        session.execute(delete(UpdateCadence).where(UpdateCadence.incident_id.in_(stale)))
    found = session.scalars(select(Incident).where(Incident.id.in_(incident_ids))).all()
    open_incidents = [i for i in found if i.status in OPEN_STATUSES]
    ids = [i.id for i in open_incidents]
    last = _last_updates(session, ids)
    existing = set(
        session.scalars(select(UpdateCadence.incident_id).where(UpdateCadence.incident_id.in_(ids)))
    )
    rows = {
        r.incident_id: r
        for r in session.scalars(
            select(UpdateCadence)
            .where(UpdateCadence.incident_id.in_(ids))
            .with_for_update(skip_locked=True)
        )
    }
    for incident in open_incidents:
        due = due_at(incident, last.get(incident.id))
        row = rows.get(incident.id)
        if row is None and incident.id in existing:
            continue  # another engine holds this timer right now
        step = _step(
            row,
            due=due,
            now=now,
            holders=partial(_holders, session, incident.id),
            escalate_after=escalate_after,
        )
        if row is None:
            row = UpdateCadence(incident_id=incident.id, due_at=due, reminded=0, next_check_at=due)
            session.add(row)
        for user_id, role in step.reminders:
            _remind(session, incident, user_id, role, due, base_url)
        row.due_at, row.reminded, row.next_check_at = due, step.reminded, step.next_check_at


def home_rows(session: Session, *, actor: Actor, now: datetime) -> list[Any]:
    """The home page's "overdue stakeholder updates" section (firehouse.web.home): what
    `overdue_updates` finds, read as columns because every view of the home page pays for it
    (200 loaded incidents cost 5 ms, their columns 1 ms)."""
    from firehouse.web.home import HomeRow

    rows = session.execute(
        select(
            Incident.id,
            Incident.number,
            Incident.title,
            Incident.declared_at,
            Severity.key,
            Severity.update_every_minutes,
        )
        .join(Severity, Severity.id == Incident.severity_id)
        .where(Incident.status.in_(OPEN_STATUSES), incidents.visible_to(actor))
    ).all()
    last = _last_updates(session, [r.id for r in rows])
    overdue = []
    for r in rows:
        update = last.get(r.id)
        # the rule of `due_at`, on columns
        if update is not None and update.next_update_at is not None:
            due = update.next_update_at
        else:
            since = update.sent_at if update is not None else r.declared_at
            due = since + timedelta(minutes=r.update_every_minutes)
        if due <= now:
            overdue.append((due, -r.id, r))  # ties: the newest incident first, as there
    overdue.sort()
    result = []
    for due, _, r in overdue:
        minutes = int((now - due).total_seconds() // 60)
        result.append(
            HomeRow(
                title=f"INC-{r.number} {r.title}",
                detail=f"{r.key}: update {minutes} min overdue",
                href=f"/statuspage/incident/INC-{r.number}",
                when=due,
                urgent=minutes >= 10,
            )
        )
    return result
