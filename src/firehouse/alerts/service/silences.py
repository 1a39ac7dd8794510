"""Silences (Alertmanager's fields) and maintenance windows per service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.alerts.models import MaintenanceWindow, Silence
from firehouse.alerts.service.matchers import Matcher, all_match, from_alertmanager
from firehouse.audit import service as audit
from firehouse.catalog import service as catalog
from firehouse.errors import Invalid, NotFound


@dataclass(frozen=True)
class ActiveSilence:
    id: str
    matchers: list[Matcher]

    def matches(self, labels: dict[str, str]) -> bool:
        return all_match(self.matchers, labels)


def silence_state(silence: Silence, now: datetime) -> str:
    if silence.ends_at <= now:
        return "expired"
    return "active" if silence.starts_at <= now else "pending"


def active_silences(session: Session, now: datetime) -> list[ActiveSilence]:
    rows = session.scalars(
        select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)
    ).all()
    return [ActiveSilence(s.id, [from_alertmanager(m) for m in s.matchers]) for s in rows]


def services_in_maintenance(session: Session, now: datetime) -> frozenset[int]:
    rows = session.scalars(
        select(MaintenanceWindow.service_id).where(
            MaintenanceWindow.starts_at <= now, MaintenanceWindow.ends_at > now
        )
    ).all()
    return frozenset(rows)


def _silence_snapshot(s: Silence) -> dict[str, Any]:
    return {
        "matchers": s.matchers,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "created_by": s.created_by,
        "comment": s.comment,
    }


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid("the end must be after the start", field="ends_at")


def create_silence(
    session: Session,
    *,
    actor: Actor,
    matchers: list[dict[str, Any]],
    starts_at: datetime | None,
    ends_at: datetime,
    comment: str,
    created_by: str | None = None,
) -> Silence:
    require_writer(actor)
    if not matchers:
        raise Invalid("a silence needs at least one matcher", field="matchers")
    parsed = [from_alertmanager(m, field=f"matchers.{i}") for i, m in enumerate(matchers)]
    now = clock.now(session)
    start = starts_at or now
    _check_times(start, ends_at)
    silence = Silence(
        id=str(uuid.uuid4()),
        matchers=[m.to_alertmanager() for m in parsed],
        starts_at=start,
        ends_at=ends_at,
        created_by=created_by or actor.handle,
        comment=comment,
        updated_at=now,
    )
    session.add(silence)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="silence.create",
        target_type="silence",
        target_id=silence.id,
        after=_silence_snapshot(silence),
    )
    return silence


def list_silences(session: Session) -> list[Silence]:
    return list(session.scalars(select(Silence).order_by(Silence.ends_at.desc())).all())


def get_silence(session: Session, silence_id: str) -> Silence:
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFound(f"no silence {silence_id}")
    return silence


def expire_silence(session: Session, *, actor: Actor, silence_id: str) -> Silence:
    require_writer(actor)
    silence = get_silence(session, silence_id)
    now = clock.now(session)
    before = _silence_snapshot(silence)
    if silence.ends_at > now:
        silence.ends_at = max(now, silence.starts_at)
        if silence.starts_at > now:
            silence.starts_at = now
            silence.ends_at = now
        silence.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="silence.expire",
        target_type="silence",
        target_id=silence.id,
        before=before,
        after=_silence_snapshot(silence),
    )
    return silence


def create_maintenance(
    session: Session,
    *,
    actor: Actor,
    service: str,
    starts_at: datetime | None,
    ends_at: datetime,
    reason: str,
) -> MaintenanceWindow:
    require_writer(actor)
    found = catalog.find_service(session, service, field="service")
    now = clock.now(session)
    start = starts_at or now
    _check_times(start, ends_at)
    window = MaintenanceWindow(
        service_id=found.id,
        starts_at=start,
        ends_at=ends_at,
        reason=reason,
        created_by=actor.handle,
        created_at=now,
    )
    session.add(window)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="maintenance.create",
        target_type="maintenance_window",
        target_id=window.id,
        after={"service": service, "starts_at": start, "ends_at": ends_at, "reason": reason},
    )
    return window


def list_maintenance(session: Session) -> list[MaintenanceWindow]:
    return list(
        session.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at.desc()))
    )


def end_maintenance(session: Session, *, actor: Actor, window_id: int) -> MaintenanceWindow:
    require_writer(actor)
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound(f"no maintenance window {window_id}")
    now = clock.now(session)
    before = {"starts_at": window.starts_at, "ends_at": window.ends_at}
    if window.ends_at > now:
        window.ends_at = max(now, window.starts_at)
        if window.starts_at > now:
            window.starts_at = now
            window.ends_at = now
    audit.record(
        session,
        actor=actor,
        action="maintenance.end",
        target_type="maintenance_window",
        target_id=window.id,
        before=before,
        after={"starts_at": window.starts_at, "ends_at": window.ends_at},
    )
    return window
