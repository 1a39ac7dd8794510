"""The incident timeline: automatic entries for every change, and notes written by people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.errors import Invalid, NotFound
from firehouse.incidents.models import Incident, TimelineEntry
from firehouse.incidents.service.access import get_incident

MAX_NOTE = 100_000


def append_entry(
    session: Session,
    incident: Incident,
    *,
    actor: Actor,
    kind: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    pinned: bool = False,
) -> TimelineEntry:
    now = clock.now(session)
    entry = TimelineEntry(
        incident_id=incident.id,
        kind=kind,
        body=body,
        data=data or {},
        occurred_at=occurred_at or now,
        recorded_at=now,
        author_id=actor.user_id,
        pinned=pinned,
    )
    session.add(entry)
    incident.updated_at = now
    return entry


def add_note(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    body: str,
    occurred_at: datetime | None = None,
    pinned: bool = False,
) -> TimelineEntry:
    require_writer(actor)
    incident = get_incident(session, actor, incident_ref, for_update=True)
    if not body.strip():
        raise Invalid("a note needs some text", field="body")
    if len(body) > MAX_NOTE:
        raise Invalid(f"a note is at most {MAX_NOTE} characters", field="body")
    now = clock.now(session)
    if occurred_at is not None and occurred_at > now:
        raise Invalid("a note cannot happen in the future", field="occurred_at")
    entry = append_entry(
        session,
        incident,
        actor=actor,
        kind="note",
        body=body,
        occurred_at=occurred_at,
        pinned=pinned,
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.note.add",
        target_type="incident",
        target_id=incident.reference,
        after={"entry_id": entry.id, "occurred_at": entry.occurred_at, "pinned": pinned},
    )
    return entry


def set_pinned(
    session: Session, *, actor: Actor, incident_ref: str | int, entry_id: int, pinned: bool
) -> TimelineEntry:
    require_writer(actor)
    incident = get_incident(session, actor, incident_ref, for_update=True)
    entry = session.get(TimelineEntry, entry_id)
    if entry is None or entry.incident_id != incident.id:
        raise NotFound(f"no timeline entry {entry_id} on {incident.reference}")
    if entry.pinned != pinned:
        entry.pinned = pinned
        incident.updated_at = clock.now(session)
        audit.record(
            session,
            actor=actor,
            action="incident.timeline.pin" if pinned else "incident.timeline.unpin",
            target_type="incident",
            target_id=incident.reference,
            after={"entry_id": entry.id},
        )
    return entry


def timeline(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    pinned_only: bool = False,
    kinds: list[str] | None = None,
) -> list[TimelineEntry]:
    """In order of when things happened; includes the entries of incidents merged into it."""
    incident = get_incident(session, actor, incident_ref)
    merged = select(Incident.id).where(Incident.merged_into_id == incident.id)
    query = (
        select(TimelineEntry)
        .where(or_(TimelineEntry.incident_id == incident.id, TimelineEntry.incident_id.in_(merged)))
        .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
    )
    if pinned_only:
        query = query.where(TimelineEntry.pinned.is_(True))
    if kinds:
        query = query.where(TimelineEntry.kind.in_(kinds))
    return list(session.scalars(query).all())
