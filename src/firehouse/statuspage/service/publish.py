"""Public incidents: what customers are told, in words a person wrote for them. Linked to an
internal incident (so its communications lead may publish) but never copied from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock, markdown
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.errors import Invalid, NotFound
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident
from firehouse.incidents.service.timeline import append_entry
from firehouse.statuspage.models import (
    Component,
    ComponentStatus,
    PublicIncident,
    PublicStatus,
    PublicUpdate,
)
from firehouse.statuspage.service.common import (
    components_by_id,
    page,
    parse_status,
    require_publisher,
    set_component_status,
    touch,
)
from firehouse.statuspage.service.delivery import Notice, fan_out

MAX_TITLE = 300
MAX_BODY = 20_000


@dataclass(frozen=True)
class Publication:
    """A public update as a person wrote it."""

    status: PublicStatus
    body: str
    # component id -> status it is in now (affected components)
    component_statuses: dict[int, str] = field(default_factory=dict)
    notify: bool = True


def _title(value: str) -> str:
    title = value.strip()
    if not title:
        raise Invalid("a public incident needs a title", field="title")
    if len(title) > MAX_TITLE:
        raise Invalid(f"a title is at most {MAX_TITLE} characters", field="title")
    return title


def _body(value: str) -> str:
    body = value.strip()
    if not body:
        raise Invalid("an update needs some text for customers", field="body")
    if len(body) > MAX_BODY:
        raise Invalid(f"an update is at most {MAX_BODY} characters", field="body")
    return body


def get_public_incident(
    session: Session, public_id: int, *, for_update: bool = False
) -> PublicIncident:
    query = select(PublicIncident).where(PublicIncident.id == public_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"no public incident {public_id}")
    return row


def list_public_incidents(
    session: Session, *, since: datetime | None = None, open_only: bool = False, limit: int = 200
) -> list[PublicIncident]:
    query = select(PublicIncident).order_by(
        PublicIncident.started_at.desc(), PublicIncident.id.desc()
    )
    if since is not None:
        query = query.where(PublicIncident.started_at >= since)
    if open_only:
        query = query.where(PublicIncident.status != PublicStatus.resolved)
    return list(session.scalars(query.limit(limit)).all())


def updates_of(session: Session, public_ids: list[int]) -> dict[int, list[PublicUpdate]]:
    """Newest first, for many incidents in one query."""
    result: dict[int, list[PublicUpdate]] = {i: [] for i in public_ids}
    if not public_ids:
        return result
    query = (
        select(PublicUpdate)
        .where(PublicUpdate.public_incident_id.in_(public_ids))
        .order_by(PublicUpdate.published_at.desc(), PublicUpdate.id.desc())
    )
    for row in session.scalars(query):
        result[row.public_incident_id].append(row)
    return result


def for_incident(session: Session, *, actor: Actor, incident_ref: str) -> list[PublicIncident]:
    """The public incidents linked to an internal one (for its page)."""
    incident = incidents.get_incident(session, actor, incident_ref)
    query = (
        select(PublicIncident)
        .where(PublicIncident.incident_id == incident.id)
        .order_by(PublicIncident.started_at.desc())
    )
    return list(session.scalars(query).all())


def _apply_components(
    session: Session, statuses: dict[int, str], *, field_name: str = "component_statuses"
) -> dict[int, Component]:
    wanted = list(statuses)
    found = components_by_id(session, wanted, field=field_name, for_update=True)
    for component_id, value in statuses.items():
        status = parse_status(value, field=f"{field_name}.{component_id}")
        set_component_status(session, found[component_id], status)
    return found


def _restore_components(session: Session, public: PublicIncident, explicit: set[int]) -> None:
    """On resolution, affected components not set explicitly go back to operational unless
    another open public incident still names them."""
    others = session.scalars(
        select(PublicIncident.component_ids).where(
            PublicIncident.status != PublicStatus.resolved, PublicIncident.id != public.id
        )
    ).all()
    still_named = {cid for ids in others for cid in ids}
    ids = [cid for cid in public.component_ids if cid not in explicit and cid not in still_named]
    if not ids:
        return
    for component in session.scalars(select(Component).where(Component.id.in_(ids))):
        if component.status != ComponentStatus.under_maintenance:
            set_component_status(session, component, ComponentStatus.operational)


def _notice(
    session: Session, public: PublicIncident, update: PublicUpdate, *, base_url: str
) -> Notice:
    name = page(session).name
    label = update.status.value.capitalize()
    names = [
        c.name
        for c in session.scalars(select(Component).where(Component.id.in_(public.component_ids)))
    ]
    link = f"{base_url}/status/incidents/{public.id}"
    affected = f"\nAffected: {', '.join(names)}" if names else ""
    text = f"{public.title}\n{label}: {update.body}\n{affected}\n\nDetails: {link}"
    html = (
        f"<h2>{escape(public.title)}</h2><p><strong>{escape(label)}</strong></p>"
        f"{markdown.render(update.body)}"
        + (f"<p>Affected: {escape(', '.join(names))}</p>" if names else "")
        + f'<p><a href="{escape(link)}">Details</a></p>'
    )
    payload: dict[str, Any] = {
        "type": "incident.update",
        "page": name,
        "incident": {
            "id": public.id,
            "title": public.title,
            "status": public.status.value,
            "url": link,
            "started_at": public.started_at.isoformat(),
            "resolved_at": public.resolved_at.isoformat() if public.resolved_at else None,
            "components": names,
        },
        "update": {
            "id": update.id,
            "status": update.status.value,
            "body": update.body,
            "published_at": update.published_at.isoformat(),
        },
    }
    return Notice(
        key=f"status:update:{update.id}",
        kind="status_update",
        subject=f"[{name}] {public.title}: {label}",
        text=text,
        html=html,
        component_ids=frozenset(public.component_ids),
        payload=payload,
    )


def _publish(
    session: Session,
    *,
    actor: Actor,
    public: PublicIncident,
    spec: Publication,
    internal: Incident | None,
    base_url: str,
) -> PublicUpdate:
    now = clock.now(session)
    body = _body(spec.body)
    _apply_components(session, spec.component_statuses)
    public.component_ids = sorted(set(public.component_ids) | set(spec.component_statuses))
    public.status = spec.status
    public.updated_at = now
    if spec.status == PublicStatus.resolved:
        public.resolved_at = public.resolved_at or now
        _restore_components(session, public, set(spec.component_statuses))
    else:
        public.resolved_at = None
    update = PublicUpdate(
        public_incident_id=public.id,
        status=spec.status,
        body=body,
        component_statuses={str(k): v for k, v in spec.component_statuses.items()},
        author_id=actor.user_id,
        published_at=now,
    )
    session.add(update)
    session.flush()
    if internal is not None:
        append_entry(
            session,
            internal,
            actor=actor,
            kind="status_page",
            body=f"Published to the status page ({spec.status.value}): {public.title}",
            data={"public_incident_id": public.id, "update_id": update.id},
        )
    audit.record(
        session,
        actor=actor,
        action="statuspage.incident.publish",
        target_type="public_incident",
        target_id=public.id,
        after={
            "title": public.title,
            "status": spec.status.value,
            "update_id": update.id,
            "components": update.component_statuses,
            "incident_id": public.incident_id,
        },
    )
    touch(session)
    if spec.notify:
        fan_out(
            session, notice=_notice(session, public, update, base_url=base_url), base_url=base_url
        )
    return update


def open_public_incident(
    session: Session,
    *,
    actor: Actor,
    title: str,
    spec: Publication,
    incident_ref: str | None = None,
    base_url: str,
) -> PublicIncident:
    """Publish a new public incident with its first update."""
    internal = (
        incidents.get_incident(session, actor, incident_ref, for_update=True)
        if incident_ref
        else None
    )
    require_publisher(session, actor, internal)
    now = clock.now(session)
    public = PublicIncident(
        title=_title(title),
        status=spec.status,
        incident_id=internal.id if internal else None,
        component_ids=[],
        started_at=now,
        created_by_id=actor.user_id,
        updated_at=now,
    )
    session.add(public)
    session.flush()
    _publish(session, actor=actor, public=public, spec=spec, internal=internal, base_url=base_url)
    return public


def post_public_update(
    session: Session,
    *,
    actor: Actor,
    public_id: int,
    spec: Publication,
    title: str | None = None,
    base_url: str,
) -> PublicUpdate:
    public = get_public_incident(session, public_id, for_update=True)
    internal = session.get(Incident, public.incident_id) if public.incident_id else None
    require_publisher(session, actor, internal)
    if title is not None:
        public.title = _title(title)
    return _publish(
        session, actor=actor, public=public, spec=spec, internal=internal, base_url=base_url
    )
