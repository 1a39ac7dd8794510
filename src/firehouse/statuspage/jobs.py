"""The status page's engine jobs: maintenance steps, storing closed days of uptime history,
and the automatic static export."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from firehouse.db import Database
from firehouse.engine import Job
from firehouse.settings import Settings
from firehouse.statuspage import export
from firehouse.statuspage import service as status
from firehouse.statuspage.models import Broadcast, Maintenance
from firehouse.statuspage.service import delivery, uptime

# batches of maintenance steps a round; more than that waits for the next round
MAX_BATCHES = 10
# components another transaction held (PostgreSQL) are stored this much later
UPTIME_RETRY = timedelta(seconds=5)


def _next_maintenance(db: Database) -> datetime | None:
    with db.session(write=False) as session:
        return session.scalar(
            select(Maintenance.next_action_at)
            .where(Maintenance.next_action_at.is_not(None))
            .order_by(Maintenance.next_action_at)
            .limit(1)
        )


def jobs(settings: Settings) -> list[Job]:
    public_url = settings.public_url()

    def maintenance(db: Database) -> datetime | None:
        """Up to 10 batches a round, each its own short transaction; looks first, read-only."""
        due = _next_maintenance(db)
        for _ in range(MAX_BATCHES):
            if due is None or due > db.clock.now():
                return due
            with db.session() as session:
                status.advance_maintenances(session, base_url=public_url)
            due = _next_maintenance(db)
        return due

    def broadcast(db: Database) -> datetime | None:
        """Up to 100 batches (10,000 subscribers) a round, each its own short transaction."""
        with db.session(write=False) as session:  # look before taking the write lock
            pending = select(Broadcast.id).where(Broadcast.done_at.is_(None)).limit(1)
            if session.scalar(pending) is None:
                return None
        for _ in range(100):
            with db.session() as session:
                more = delivery.send_broadcasts(session)
            if not more:
                return None
        return db.clock.now()

    def uptime_days(db: Database) -> datetime | None:
        """Store each component's closed days once: after midnight, and after an edit of past
        history forgot some. Looks first, read-only, as it runs on every wake."""
        now = db.clock.now()
        with db.session(write=False) as session:
            if uptime.all_stored(session, now=now):
                return uptime.next_midnight(now)
        with db.session() as session:
            done = uptime.store_closed_days(session, now=now)
        return uptime.next_midnight(now) if done else now + UPTIME_RETRY

    result = [
        Job(name="status_maintenance", run=maintenance),
        Job(name="status_uptime", run=uptime_days),
        Job(name="status_broadcast", run=broadcast),
    ]
    if settings.status_export_dir:
        directory = Path(settings.status_export_dir)

        def export_page(db: Database) -> datetime | None:
            return export.export_if_due(db, directory, public_url=f"{public_url}/status")

        result.append(Job(name="status_export", run=export_page))
    return result
