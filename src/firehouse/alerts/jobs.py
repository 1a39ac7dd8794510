"""Background work of the alerts domain, for the engine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from firehouse.alerts.models import Heartbeat
from firehouse.alerts.service.heartbeats import check_heartbeats
from firehouse.db import Database
from firehouse.engine import Job

# batches of 100 heartbeats a round, each its own short write transaction
MAX_BATCHES = 10


def _next_heartbeat_due(db: Database) -> datetime | None:
    with db.session(write=False) as session:
        return session.scalar(
            select(Heartbeat.next_due_at)
            .where(Heartbeat.missed.is_(False))
            .order_by(Heartbeat.next_due_at)
            .limit(1)
        )


def run_heartbeats(db: Database) -> datetime | None:
    """Raise an alert for every heartbeat past due; returns when the next one falls due."""
    due = _next_heartbeat_due(db)  # look before taking the write lock
    for _ in range(MAX_BATCHES):
        if due is None or due > db.clock.now():
            return due
        with db.session() as session:
            check_heartbeats(session)
        due = _next_heartbeat_due(db)
    return due


def jobs() -> list[Job]:
    return [Job(name="alerts.heartbeats", run=run_heartbeats)]
