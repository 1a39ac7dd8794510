"""The update cadence: when an open incident's next stakeholder update is due, reminders to
the communications lead and then the incident manager when nobody sends one, and the list of
overdue incidents for the home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.incidents import service as incidents
from firehouse.incidents.models import OPEN_STATUSES, Incident, IncidentRole
from firehouse.incidents.service.roles import current_holder
from firehouse.notify import service as notify
from firehouse.people import service as people
from firehouse.updates.models import StakeholderUpdate, UpdateCadence
from firehouse.updates.service.sending import due_at

SYSTEM = Actor.system("update-cadence")
PAGE = 200
# a due reminder with nobody to send it to is looked at again after this long
RECHECK = timedelta(minutes=1)


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
    """What the cadence job has to write now, and when it next has to look."""

    incident_ids: list[int]  # open incidents whose timer row changes or who get a reminder
    stale: list[int]  # timer rows of incidents no longer open
    next_check_at: datetime | None  # the earliest future check of the rows left as they are


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
    lead_id: int | None,
    manager_id: int | None,
    escalate_after: timedelta,
) -> _Step:
    """One incident's timer after this round: who is reminded, and when to look again."""
    reminded = 0 if row is None or row.due_at != due else row.reminded
    reminders: list[tuple[int, str]] = []
    if reminded == 0 and now >= due:
        if lead_id is not None:
            reminders.append((lead_id, "communications_lead"))
            reminded = 1
        elif manager_id is not None:
            reminders.append((manager_id, "incident_manager"))
            reminded = 2
    if reminded == 1 and now >= due + escalate_after:
        if manager_id is not None:
            reminders.append((manager_id, "incident_manager"))
        reminded = 2
    next_check = due if reminded == 0 else due + escalate_after if reminded == 1 else None
    return _Step(due, reminded, tuple(reminders), next_check)


def _holders(session: Session, incident_id: int) -> tuple[int | None, int | None]:
    lead = current_holder(session, incident_id, IncidentRole.communications_lead)
    manager = current_holder(session, incident_id, IncidentRole.incident_manager)
    return (lead.user_id if lead else None), (manager.user_id if manager else None)


def cadence_work(session: Session, *, escalate_after: timedelta) -> CadenceWork:
    """Read-only: which open incidents need the cadence job now, and when it looks next.

    A reminder that is due but has nobody to go to is looked at again after `RECHECK`."""
    now = clock.now(session)
    open_incidents = _open_incidents(session, SYSTEM)
    last = _last_updates(session, [i.id for i in open_incidents])
    rows = {r.incident_id: r for r in session.scalars(select(UpdateCadence))}
    open_ids = {i.id for i in open_incidents}
    stale = [incident_id for incident_id in rows if incident_id not in open_ids]
    work: list[int] = []
    earliest: datetime | None = None
    for incident in open_incidents:
        row = rows.get(incident.id)
        lead_id, manager_id = _holders(session, incident.id)
        step = _step(
            row,
            due=due_at(incident, last.get(incident.id)),
            now=now,
            lead_id=lead_id,
            manager_id=manager_id,
            escalate_after=escalate_after,
        )
        if (
            row is None
            or step.reminders
            or (row.due_at, row.reminded, row.next_check_at)
            != (step.due, step.reminded, step.next_check_at)
        ):
            work.append(incident.id)
        elif step.next_check_at is not None:
            at = step.next_check_at if step.next_check_at > now else now + RECHECK
            earliest = at if earliest is None or at < earliest else earliest
    return CadenceWork(incident_ids=work, stale=stale, next_check_at=earliest)


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
    found = [session.get(Incident, incident_id) for incident_id in incident_ids]
    open_incidents = [i for i in found if i is not None and i.status in OPEN_STATUSES]
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
        lead_id, manager_id = _holders(session, incident.id)
        step = _step(
            row,
            due=due,
            now=now,
            lead_id=lead_id,
            manager_id=manager_id,
            escalate_after=escalate_after,
        )
        if row is None:
            row = UpdateCadence(incident_id=incident.id, due_at=due, reminded=0, next_check_at=due)
            session.add(row)
        for user_id, role in step.reminders:
            _remind(session, incident, user_id, role, due, base_url)
        row.due_at, row.reminded, row.next_check_at = due, step.reminded, step.next_check_at


def home_rows(session: Session, *, actor: Actor, now: datetime) -> list[Any]:
    """The home page's "overdue stakeholder updates" section (firehouse.web.home)."""
    from firehouse.web.home import HomeRow

    return [
        HomeRow(
            title=f"{o.reference} {o.title}",
            detail=f"{o.severity}: update {o.minutes_overdue} min overdue",
            href=f"/statuspage/incident/{o.reference}",
            when=o.due_at,
            urgent=o.minutes_overdue >= 10,
        )
        for o in overdue_updates(session, actor)
    ]
