"""Heartbeats: a ping expected every N minutes; a missed ping raises an alert, the next ping
resolves it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.alerts.models import Heartbeat, Integration
from firehouse.alerts.service import integrations
from firehouse.alerts.service.inputs import AlertInput, IntegrationInfo
from firehouse.alerts.service.intake import Batch, apply_inputs
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.people.models import Role


def fingerprint_of(heartbeat: Heartbeat) -> str:
    return f"heartbeat:{heartbeat.name}"


def _missed_input(heartbeat: Heartbeat, *, action: str) -> AlertInput:
    return AlertInput(
        fingerprint=fingerprint_of(heartbeat),
        action="resolve" if action == "resolve" else "trigger",
        summary=f"Heartbeat {heartbeat.name} missed (expected every "
        f"{heartbeat.interval_minutes} min)",
        sender_severity="critical",
        source="firehouse heartbeat",
        labels={"alertname": "HeartbeatMissed", "heartbeat": heartbeat.name},
    )


def create_heartbeat(
    session: Session, *, actor: Actor, integration_id: int, name: str, interval_minutes: int
) -> Heartbeat:
    require_writer(actor, Role.incident_manager)
    if interval_minutes < 1:
        raise Invalid("the interval is at least one minute", field="interval_minutes")
    if not name.strip() or "/" in name:
        raise Invalid("a heartbeat needs a name without '/'", field="name")
    integrations.get_integration(session, integration_id)
    exists = session.scalar(
        select(Heartbeat.id).where(
            Heartbeat.integration_id == integration_id, Heartbeat.name == name
        )
    )
    if exists is not None:
        raise Conflict(f"a heartbeat named {name!r} exists on this integration")
    now = clock.now(session)
    heartbeat = Heartbeat(
        integration_id=integration_id,
        name=name,
        interval_minutes=interval_minutes,
        next_due_at=now + timedelta(minutes=interval_minutes),
        missed=False,
        created_at=now,
    )
    session.add(heartbeat)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="heartbeat.create",
        target_type="heartbeat",
        target_id=heartbeat.id,
        after={"integration_id": integration_id, "name": name, "interval": interval_minutes},
    )
    return heartbeat


def list_heartbeats(session: Session) -> list[Heartbeat]:
    return list(session.scalars(select(Heartbeat).order_by(Heartbeat.name)).all())


def delete_heartbeat(session: Session, *, actor: Actor, heartbeat_id: int) -> None:
    require_writer(actor, Role.incident_manager)
    heartbeat = session.get(Heartbeat, heartbeat_id)
    if heartbeat is None:
        raise NotFound(f"no heartbeat {heartbeat_id}")
    audit.record(
        session,
        actor=actor,
        action="heartbeat.delete",
        target_type="heartbeat",
        target_id=heartbeat.id,
        before={"name": heartbeat.name},
    )
    session.delete(heartbeat)


def ping(session: Session, *, integration: IntegrationInfo, name: str) -> Heartbeat:
    """Record a ping; resolves the missed-heartbeat alert if one is open."""
    heartbeat = session.scalar(
        select(Heartbeat)
        .where(Heartbeat.integration_id == integration.id, Heartbeat.name == name)
        .with_for_update()
    )
    if heartbeat is None:
        raise NotFound(f"no heartbeat {name}")
    now = clock.now(session)
    heartbeat.last_ping_at = now
    heartbeat.next_due_at = now + timedelta(minutes=heartbeat.interval_minutes)
    if heartbeat.missed:
        heartbeat.missed = False
        apply_inputs(
            Batch.start(session), integration, [_missed_input(heartbeat, action="resolve")]
        )
    return heartbeat


def check_heartbeats(session: Session, *, limit: int = 100) -> datetime | None:
    """Raise an alert for each heartbeat past due; the next time one falls due."""
    now = clock.now(session)
    due = session.scalars(
        select(Heartbeat)
        .where(Heartbeat.next_due_at <= now, Heartbeat.missed.is_(False))
        .order_by(Heartbeat.next_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    batch = Batch.start(session)
    for heartbeat in due:
        heartbeat.missed = True
        integration = session.get(Integration, heartbeat.integration_id)
        if integration is None or integration.revoked_at is not None:
            continue
        apply_inputs(
            batch,
            integrations.info(integration),
            [_missed_input(heartbeat, action="trigger")],
            actor="firehouse:heartbeats",
        )
    batch.finish()
    return session.scalar(
        select(Heartbeat.next_due_at)
        .where(Heartbeat.missed.is_(False))
        .order_by(Heartbeat.next_due_at)
        .limit(1)
    )
