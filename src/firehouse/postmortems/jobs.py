"""The engine job reminding people: overdue postmortems remind their owner; action items
remind their owner a day before they are due and a day after (once each, by dedup key). The
timers are `postmortems.next_reminder_at` and `action_items.next_reminder_at`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse.db import Database
from firehouse.engine import Job
from firehouse.incidents.models import Incident
from firehouse.notify import service as notify
from firehouse.people import service as people
from firehouse.postmortems.models import ActionItem, Postmortem, PostmortemStatus
from firehouse.postmortems.service.actions import OPEN, REMIND_AFTER
from firehouse.postmortems.service.documents import sync_due
from firehouse.settings import Settings

BATCH = 50
# batches a round; more than that waits for the next round
MAX_ROUNDS = 10


def _email(
    session: Session,
    *,
    user_id: int,
    subject: str,
    body: str,
    kind: str,
    incident_id: int,
    dedup_key: str,
) -> None:
    user = people.get_user(session, user_id)
    if not user.active:
        return
    notify.enqueue(
        session,
        channel="email",
        target=user.email,
        subject=subject,
        body_text=body,
        kind=kind,
        user_id=user.id,
        incident_id=incident_id,
        dedup_key=dedup_key,
    )


def _start_due_dates(session: Session) -> None:
    """Postmortems written before their incident was resolved get their due date now."""
    rows = session.execute(
        select(Postmortem, Incident)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(
            Postmortem.due_at.is_(None),
            Postmortem.status != PostmortemStatus.published,
            Incident.resolved_at.is_not(None),
        )
        .limit(BATCH)
        .with_for_update(of=Postmortem, skip_locked=True)
    ).all()
    for postmortem, incident in rows:
        sync_due(postmortem, incident)


def _remind_postmortems(session: Session, now: datetime, base_url: str) -> None:
    rows = session.execute(
        select(Postmortem, Incident)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(Postmortem.next_reminder_at <= now)
        .order_by(Postmortem.next_reminder_at)
        .limit(BATCH)
        .with_for_update(of=Postmortem, skip_locked=True)
    ).all()
    for postmortem, incident in rows:
        postmortem.next_reminder_at = None
        if postmortem.status == PostmortemStatus.published or postmortem.owner_id is None:
            continue
        assert postmortem.due_at is not None
        _email(
            session,
            user_id=postmortem.owner_id,
            subject=f"Postmortem overdue: {incident.reference} {incident.title}",
            body=(
                f"The postmortem of {incident.reference} ({incident.title}) was due "
                f"{postmortem.due_at:%Y-%m-%d %H:%M} UTC and is still "
                f"{postmortem.status.value.replace('_', ' ')}.\n\n"
                f"{base_url}/incidents/{incident.reference}/postmortem\n"
            ),
            kind="postmortem.overdue",
            incident_id=incident.id,
            dedup_key=f"postmortem:{postmortem.id}:overdue:{postmortem.due_at.isoformat()}",
        )


def _remind_actions(session: Session, now: datetime, base_url: str) -> None:
    rows = session.execute(
        select(ActionItem, Incident)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(ActionItem.next_reminder_at <= now)
        .order_by(ActionItem.next_reminder_at)
        .limit(BATCH)
        .with_for_update(of=ActionItem, skip_locked=True)
    ).all()
    for item, incident in rows:
        if item.status not in OPEN or item.due_at is None:
            item.next_reminder_at = None
            continue
        overdue = now >= item.due_at
        item.next_reminder_at = None if overdue else item.due_at + REMIND_AFTER
        if item.owner_id is None:
            continue
        stage = "overdue" if overdue else "due soon"
        _email(
            session,
            user_id=item.owner_id,
            subject=f"Action item {stage}: {item.title} ({incident.reference})",
            body=(
                f'The action item "{item.title}" from {incident.reference} '
                f"({incident.title}) is {'overdue' if overdue else 'due'}: due "
                f"{item.due_at:%Y-%m-%d %H:%M} UTC, now {item.status.value.replace('_', ' ')}."
                f"\n\n{base_url}/actions\n"
            ),
            kind=f"action_item.{'overdue' if overdue else 'due_soon'}",
            incident_id=incident.id,
            dedup_key=f"action:{item.id}:{stage}:{item.due_at.isoformat()}",
        )


def _look(session: Session, now: datetime) -> tuple[bool, list[datetime | None]]:
    """Read-only: whether a postmortem waits for its due date, and each reminder timer."""
    waiting = session.scalar(
        select(Postmortem.id)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(
            Postmortem.due_at.is_(None),
            Postmortem.status != PostmortemStatus.published,
            Incident.resolved_at.is_not(None),
        )
        .limit(1)
    )
    return waiting is not None, [
        session.scalar(select(func.min(Postmortem.next_reminder_at))),
        session.scalar(select(func.min(ActionItem.next_reminder_at))),
    ]


def reminder_job(settings: Settings) -> Callable[[Database], datetime | None]:
    base_url = settings.public_url().rstrip("/")

    def send_reminders(db: Database) -> datetime | None:
        earliest: datetime | None = None
        for _ in range(MAX_ROUNDS):
            now = db.clock.now()
            with db.session(write=False) as session:  # look before taking the write lock
                waiting, (postmortem_at, action_at) = _look(session, now)
            known = [t for t in (postmortem_at, action_at) if t is not None]
            earliest = min(known) if known else None
            if not waiting and (earliest is None or earliest > now):
                return earliest
            if waiting:
                with db.session() as session:
                    _start_due_dates(session)
            if postmortem_at is not None and postmortem_at <= now:
                with db.session() as session:
                    _remind_postmortems(session, now, base_url)
            if action_at is not None and action_at <= now:
                with db.session() as session:
                    _remind_actions(session, now, base_url)
        return earliest

    return send_reminders


def jobs(settings: Settings) -> list[Job]:
    return [Job(name="postmortems.reminders", run=reminder_job(settings))]
