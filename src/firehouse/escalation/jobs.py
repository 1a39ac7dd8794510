"""The engine job that fires due escalation steps."""

from __future__ import annotations

from datetime import datetime, timedelta

from firehouse.db import Database
from firehouse.engine import Job
from firehouse.escalation.service.paging import Pager
from firehouse.escalation.service.running import advance, claim_due, next_due
from firehouse.settings import Settings

BATCH = 200


def pager_from(settings: Settings) -> Pager:
    return Pager(
        base_url=settings.public_url(),
        link_secret=settings.link_secret,
        link_lifetime=timedelta(hours=settings.link_hours),
    )


def advance_escalations(db: Database, pager: Pager, *, batch: int = BATCH) -> datetime | None:
    """Fire what is due, a batch per transaction; return the next due time."""
    while True:
        with db.session(write=False) as session:
            # look before taking the write lock: most rounds have nothing due
            if not claim_due(session, db.clock.now(), 1, lock=False):
                break
        with db.session() as session:
            now = db.clock.now()
            claimed = claim_due(session, now, batch)
            for escalation in claimed:
                advance(session, escalation, pager)
        if len(claimed) < batch:
            break
    with db.session(write=False) as session:
        return next_due(session)


def jobs(settings: Settings) -> list[Job]:
    pager = pager_from(settings)
    return [Job(name="escalation", run=lambda db: advance_escalations(db, pager))]
