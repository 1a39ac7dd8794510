"""The engine job that fires due escalation steps."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from firehouse.db import Database
from firehouse.engine import Job
from firehouse.escalation.service.paging import Pager
from firehouse.escalation.service.running import advance, claim_due, next_due
from firehouse.incidents.models import Incident
from firehouse.settings import Settings

# steps per write transaction: small, so a page never waits long for SQLite's write lock
BATCH = 25
# a commit may land this long after it stamped the incident's updated_at
CHANGE_SLACK = timedelta(seconds=10)
# how often every paging escalation's incident is checked, not only the changed ones
FULL_CHECK = timedelta(minutes=5)


class EscalationJob:
    """Fires what is due, a batch per transaction. Acknowledgements that did not come through
    `stop_for_incident` are found among incidents changed since the last round (an index
    range), and among all of them at start and every `FULL_CHECK`."""

    def __init__(self, pager: Pager, *, batch: int = BATCH) -> None:
        self.pager = pager
        self.batch = batch
        self.seen_changes: datetime | None = None
        self.full_check_at: datetime | None = None

    def __call__(self, db: Database) -> datetime | None:
        started = db.clock.now()
        full = self.full_check_at is None or started >= self.full_check_at
        since = None if full or self.seen_changes is None else self.seen_changes - CHANGE_SLACK
        while True:
            with db.session(write=False) as session:
                # look before taking the write lock: most rounds have nothing due
                if not claim_due(session, db.clock.now(), 1, lock=False, changed_since=since):
                    break
            with db.session() as session:
                now = db.clock.now()
                claimed = claim_due(session, now, self.batch, changed_since=since)
                # one query for the batch's incidents instead of one each
                session.scalars(
                    select(Incident).where(Incident.id.in_({e.incident_id for e in claimed}))
                ).all()
                for escalation in claimed:
                    advance(session, escalation, self.pager)
            if len(claimed) < self.batch:
                break
        self.seen_changes = started
        if full:
            self.full_check_at = started + FULL_CHECK
        with db.session(write=False) as session:
            return next_due(session)


def pager_from(settings: Settings) -> Pager:
    return Pager(
        base_url=settings.public_url(),
        link_secret=settings.link_secret,
        link_lifetime=timedelta(hours=settings.link_hours),
    )


def advance_escalations(db: Database, pager: Pager, *, batch: int = BATCH) -> datetime | None:
    """Fire what is due (checking every paging escalation for acknowledgements); return the
    next due time."""
    return EscalationJob(pager, batch=batch)(db)


def jobs(settings: Settings) -> list[Job]:
    return [Job(name="escalation", run=EscalationJob(pager_from(settings)))]
