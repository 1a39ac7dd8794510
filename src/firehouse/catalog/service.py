"""Services: the things that break, each owned by a team."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.catalog.models import Service
from firehouse.errors import Conflict, Forbidden, Invalid
from firehouse.people import service as people
from firehouse.people.models import Role


def find_service(session: Session, slug: str, *, field: str = "service") -> Service:
    service = session.scalar(select(Service).where(Service.slug == slug))
    if service is None:
        raise Invalid(f"unknown service {slug!r}", field=field)
    return service


def list_services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.name)).all())


def create_service(
    session: Session,
    *,
    actor: Actor,
    slug: str,
    name: str,
    team: str | None = None,
    description: str = "",
) -> Service:
    if not actor.can_write or not actor.has(Role.incident_manager):
        raise Forbidden("creating services needs the incident_manager role or higher")
    people.check_handle(slug, field="slug")
    if session.scalar(select(Service.id).where(Service.slug == slug)) is not None:
        raise Conflict(f"service {slug!r} exists", details={"field": "slug"})
    team_id = people.find_team(session, team, field="team").id if team else None
    service = Service(
        slug=slug,
        name=name,
        description=description,
        team_id=team_id,
        created_at=clock.now(session),
    )
    session.add(service)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="service.create",
        target_type="service",
        target_id=service.id,
        after={"slug": slug, "name": name, "team_id": team_id},
    )
    return service
