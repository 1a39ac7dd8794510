"""Deploy and change events, shown on incidents as recent changes to affected services."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.alerts.models import ChangeEvent
from firehouse.alerts.service.inputs import IntegrationInfo
from firehouse.catalog.models import Service
from firehouse.incidents import service as incidents
from firehouse.incidents.service.roles import services_of


def record_change(
    session: Session,
    *,
    integration: IntegrationInfo | None,
    summary: str,
    service: str = "",
    version: str = "",
    who: str = "",
    link: str = "",
    description: str = "",
    source: str = "",
    occurred_at: datetime | None = None,
) -> ChangeEvent:
    now = clock.now(session)
    service_id = integration.service_id if integration else None
    if service:
        found = session.scalar(select(Service.id).where(Service.slug == service))
        service_id = found if found is not None else service_id
    event = ChangeEvent(
        integration_id=integration.id if integration else None,
        service_id=service_id,
        service_name=service[:200],
        summary=summary[:1024],
        version=version[:200],
        who=who[:200],
        link=link[:1024],
        description=description,
        source=source[:255],
        occurred_at=min(occurred_at or now, now),
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event


def list_changes(
    session: Session, *, service_ids: list[int] | None = None, limit: int = 100
) -> list[ChangeEvent]:
    query = select(ChangeEvent).order_by(ChangeEvent.occurred_at.desc(), ChangeEvent.id.desc())
    if service_ids is not None:
        query = query.where(ChangeEvent.service_id.in_(service_ids))
    return list(session.scalars(query.limit(limit)).all())


def changes_for_incident(
    session: Session, *, actor: Actor, incident_ref: str, hours: int = 24
) -> list[ChangeEvent]:
    """Changes to the incident's services in the hours before it was detected or declared."""
    incident = incidents.get_incident(session, actor, incident_ref)
    ids = [s.id for s in services_of(session, incident.id)]
    if not ids:
        return []
    start = incident.detected_at or incident.declared_at
    return list(
        session.scalars(
            select(ChangeEvent)
            .where(
                ChangeEvent.service_id.in_(ids),
                ChangeEvent.occurred_at >= start - timedelta(hours=hours),
                ChangeEvent.occurred_at <= (incident.resolved_at or clock.now(session)),
            )
            .order_by(ChangeEvent.occurred_at.desc())
            .limit(100)
        ).all()
    )
