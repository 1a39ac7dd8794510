"""Engine jobs of the updates domain: cadence reminders and follow notices. Each looks in a
read-only transaction first, and takes the write lock only when something is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from firehouse.db import Database
from firehouse.engine import Job
from firehouse.settings import Settings
from firehouse.updates import service as updates

# incidents per cadence write transaction, and write transactions a round
BATCH = 50
MAX_ROUNDS = 20


def jobs(settings: Settings) -> list[Job]:
    base_url = settings.public_url()
    escalate = timedelta(minutes=settings.update_escalate_minutes)

    def cadence(db: Database) -> datetime | None:
        for _ in range(MAX_ROUNDS):
            with db.session(write=False) as session:
                work = updates.cadence_work(session, escalate_after=escalate)
            if not work.incident_ids and not work.stale:
                return work.next_check_at
            with db.session() as session:
                updates.run_cadence(
                    session,
                    incident_ids=work.incident_ids[:BATCH],
                    stale=work.stale[:BATCH],
                    escalate_after=escalate,
                    base_url=base_url,
                )
        return db.clock.now()  # more is due than a round does: run again at once

    def followers(db: Database) -> datetime | None:
        for _ in range(20):
            with db.session(write=False) as session:
                if not updates.followers_have_news(session):
                    return None
            with db.session() as session:
                more = updates.tell_followers(session, base_url=base_url)
            if not more:
                return None
        return db.clock.now()

    return [Job(name="update_cadence", run=cadence), Job(name="follow_notices", run=followers)]
