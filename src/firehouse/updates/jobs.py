"""Engine jobs of the updates domain: cadence reminders and follow notices. Each looks in a
read-only transaction first, and takes the write lock only when something is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from firehouse.db import Database
from firehouse.engine import Job
from firehouse.settings import Settings
from firehouse.updates import service as updates

# incidents per read and per write transaction of the cadence job
BATCH = 50
# a commit may land this long after it stamped the incident's updated_at
CHANGE_SLACK = timedelta(seconds=10)
# every open incident is looked at again this often, and when the process starts
FULL_PASS = timedelta(hours=1)


def jobs(settings: Settings) -> list[Job]:
    base_url = settings.public_url()
    escalate = timedelta(minutes=settings.update_escalate_minutes)
    seen: dict[str, datetime] = {}  # "changes": looked at changes up to; "full": last full pass

    def cadence(db: Database) -> datetime | None:
        """Looks only at due timers and incidents changed since the last round (an index
        each), in small read transactions; writes in batches of `BATCH`."""
        started = db.clock.now()
        full = "full" not in seen or started - seen["full"] >= FULL_PASS
        since = None if full else seen["changes"] - CHANGE_SLACK
        with db.session(write=False) as session:
            candidates = updates.cadence_candidates(session, changed_since=since)
        for at in range(0, len(candidates), BATCH):
            with db.session(write=False) as session:
                work = updates.cadence_work(
                    session, incident_ids=candidates[at : at + BATCH], escalate_after=escalate
                )
            if work.incident_ids or work.stale:
                with db.session() as session:
                    updates.run_cadence(
                        session,
                        incident_ids=work.incident_ids,
                        stale=work.stale,
                        escalate_after=escalate,
                        base_url=base_url,
                    )
        seen["changes"] = started
        if full:
            seen["full"] = started
        with db.session(write=False) as session:
            due = updates.next_cadence_check(session)
        next_full = seen["full"] + FULL_PASS
        return next_full if due is None or due > next_full else due

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
