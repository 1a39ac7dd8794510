"""Scheduled maintenance: announced, a reminder before it starts, then in progress (its
components under maintenance) and completed, each step driven by the engine's clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock, markdown
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.statuspage.models import (
    Component,
    ComponentStatus,
    Maintenance,
    MaintenanceStatus,
)
from firehouse.statuspage.service.common import (
    components_by_id,
    page,
    require_manager,
    set_component_status,
    touch,
)
from firehouse.statuspage.service.delivery import Notice, fan_out

FINAL = (MaintenanceStatus.completed, MaintenanceStatus.canceled)
MAX_TITLE = 300


def get_maintenance(
    session: Session, maintenance_id: int, *, for_update: bool = False
) -> Maintenance:
    query = select(Maintenance).where(Maintenance.id == maintenance_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"no maintenance {maintenance_id}")
    return row


def list_maintenances(
    session: Session, *, since: datetime | None = None, upcoming_only: bool = False
) -> list[Maintenance]:
    query = select(Maintenance).order_by(Maintenance.starts_at, Maintenance.id)
    if since is not None:
        query = query.where(Maintenance.ends_at >= since)
    if upcoming_only:
        query = query.where(
            Maintenance.status.in_((MaintenanceStatus.scheduled, MaintenanceStatus.in_progress))
        )
    return list(session.scalars(query).all())


def next_action(row: Maintenance) -> datetime | None:
    """The next moment the engine must look at this maintenance."""
    if row.status == MaintenanceStatus.scheduled:
        remind = row.starts_at - timedelta(minutes=row.remind_minutes)
        if row.reminded_at is None and row.remind_minutes > 0:
            return min(remind, row.starts_at)
        return row.starts_at
    if row.status == MaintenanceStatus.in_progress:
        return row.ends_at
    return None


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid("times need a time zone", field="starts_at")
    if ends_at <= starts_at:
        raise Invalid("maintenance ends after it starts", field="ends_at")


def _snapshot(row: Maintenance) -> dict[str, Any]:
    return {
        "title": row.title,
        "status": row.status.value,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "components": row.component_ids,
    }


def _notice(session: Session, row: Maintenance, event: str, *, base_url: str) -> Notice:
    name = page(session).name
    names = [
        c.name
        for c in session.scalars(select(Component).where(Component.id.in_(row.component_ids)))
    ]
    when = f"{row.starts_at:%Y-%m-%d %H:%M} to {row.ends_at:%Y-%m-%d %H:%M} UTC"
    heading = {
        "scheduled": "Scheduled maintenance",
        "reminder": "Maintenance starts soon",
        "started": "Maintenance in progress",
        "completed": "Maintenance completed",
        "canceled": "Maintenance canceled",
    }[event]
    link = f"{base_url}/status/maintenance/{row.id}"
    affected = f"\nAffected: {', '.join(names)}" if names else ""
    text = f"{heading}: {row.title}\n{when}{affected}\n\n{row.body}\n\nDetails: {link}"
    html = (
        f"<h2>{escape(heading)}: {escape(row.title)}</h2><p>{escape(when)}</p>"
        + (f"<p>Affected: {escape(', '.join(names))}</p>" if names else "")
        + markdown.render(row.body)
        + f'<p><a href="{escape(link)}">Details</a></p>'
    )
    return Notice(
        key=f"status:maintenance:{row.id}:{event}",
        kind="status_maintenance",
        subject=f"[{name}] {heading}: {row.title}",
        text=text,
        html=html,
        component_ids=frozenset(row.component_ids),
        payload={
            "type": f"maintenance.{event}",
            "page": name,
            "maintenance": {
                "id": row.id,
                "title": row.title,
                "body": row.body,
                "status": row.status.value,
                "starts_at": row.starts_at.isoformat(),
                "ends_at": row.ends_at.isoformat(),
                "components": names,
                "url": link,
            },
        },
    )


def schedule_maintenance(
    session: Session,
    *,
    actor: Actor,
    title: str,
    body: str,
    starts_at: datetime,
    ends_at: datetime,
    component_ids: list[int],
    remind_minutes: int = 60,
    notify: bool = True,
    base_url: str,
) -> Maintenance:
    require_manager(actor)
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise Invalid(f"a title is 1-{MAX_TITLE} characters", field="title")
    _check_times(starts_at, ends_at)
    if remind_minutes < 0:
        raise Invalid("remind_minutes is 0 or more", field="remind_minutes")
    now = clock.now(session)
    if ends_at <= now:
        raise Invalid("maintenance must end in the future", field="ends_at")
    components_by_id(session, component_ids, field="components")
    row = Maintenance(
        title=title,
        body=body.strip(),
        status=MaintenanceStatus.scheduled,
        component_ids=sorted(set(component_ids)),
        starts_at=starts_at,
        ends_at=ends_at,
        remind_minutes=remind_minutes,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    # announcing it counts as the reminder when it starts within the reminder window
    if starts_at - timedelta(minutes=remind_minutes) <= now:
        row.reminded_at = now
    row.next_action_at = next_action(row)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="statuspage.maintenance.schedule",
        target_type="status_maintenance",
        target_id=row.id,
        after=_snapshot(row),
    )
    touch(session)
    if notify:
        fan_out(
            session, notice=_notice(session, row, "scheduled", base_url=base_url), base_url=base_url
        )
    return row


def update_maintenance(
    session: Session,
    *,
    actor: Actor,
    maintenance_id: int,
    changes: dict[str, Any],
    base_url: str,
) -> Maintenance:
    """Edit a scheduled or running maintenance; `status` completed or canceled ends it now."""
    require_manager(actor)
    row = get_maintenance(session, maintenance_id, for_update=True)
    if row.status in FINAL:
        raise Conflict(f"maintenance {row.id} is {row.status.value}")
    before = _snapshot(row)
    if "title" in changes:
        title = str(changes["title"]).strip()
        if not title or len(title) > MAX_TITLE:
            raise Invalid(f"a title is 1-{MAX_TITLE} characters", field="title")
        row.title = title
    if "body" in changes:
        row.body = str(changes["body"] or "").strip()
    if "component_ids" in changes:
        ids = list(changes["component_ids"] or [])
        components_by_id(session, ids, field="components")
        row.component_ids = sorted(set(ids))
    starts_at = changes.get("starts_at") or row.starts_at
    ends_at = changes.get("ends_at") or row.ends_at
    _check_times(starts_at, ends_at)
    if row.status == MaintenanceStatus.in_progress and starts_at != row.starts_at:
        raise Conflict(
            "a running maintenance cannot move its start", details={"field": "starts_at"}
        )
    row.starts_at, row.ends_at = starts_at, ends_at
    if "remind_minutes" in changes and changes["remind_minutes"] is not None:
        row.remind_minutes = int(changes["remind_minutes"])
    target = changes.get("status")
    now = clock.now(session)
    row.updated_at = now
    row.next_action_at = next_action(row)
    audit.record(
        session,
        actor=actor,
        action="statuspage.maintenance.update",
        target_type="status_maintenance",
        target_id=row.id,
        before=before,
        after=_snapshot(row),
    )
    if target in (MaintenanceStatus.completed.value, MaintenanceStatus.canceled.value):
        _finish(session, row, MaintenanceStatus(target), base_url=base_url)
    touch(session)
    return row


def _finish(
    session: Session, row: Maintenance, status: MaintenanceStatus, *, base_url: str
) -> None:
    was_running = row.status == MaintenanceStatus.in_progress
    row.status = status
    row.next_action_at = None
    if was_running:
        for component in session.scalars(
            select(Component).where(Component.id.in_(row.component_ids))
        ):
            if component.status == ComponentStatus.under_maintenance:
                set_component_status(session, component, ComponentStatus.operational)
    event = "completed" if status == MaintenanceStatus.completed else "canceled"
    fan_out(session, notice=_notice(session, row, event, base_url=base_url), base_url=base_url)


def advance_maintenances(session: Session, *, base_url: str, limit: int = 50) -> datetime | None:
    """The engine's step: remind, start and complete what is due. Returns the next due time."""
    now = clock.now(session)
    due = session.scalars(
        select(Maintenance)
        .where(Maintenance.next_action_at.is_not(None), Maintenance.next_action_at <= now)
        .order_by(Maintenance.next_action_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in due:
        changed = False
        if row.status == MaintenanceStatus.scheduled:
            if now >= row.starts_at:
                row.status = MaintenanceStatus.in_progress
                row.reminded_at = row.reminded_at or now
                for component in session.scalars(
                    select(Component).where(Component.id.in_(row.component_ids))
                ):
                    set_component_status(session, component, ComponentStatus.under_maintenance)
                fan_out(
                    session,
                    notice=_notice(session, row, "started", base_url=base_url),
                    base_url=base_url,
                )
                changed = True
            elif row.reminded_at is None:
                row.reminded_at = now
                fan_out(
                    session,
                    notice=_notice(session, row, "reminder", base_url=base_url),
                    base_url=base_url,
                )
        if row.status == MaintenanceStatus.in_progress and now >= row.ends_at:
            _finish(session, row, MaintenanceStatus.completed, base_url=base_url)
            changed = True
        row.next_action_at = next_action(row)
        row.updated_at = now
        if changed:
            touch(session)
    return session.scalar(
        select(Maintenance.next_action_at)
        .where(Maintenance.next_action_at.is_not(None))
        .order_by(Maintenance.next_action_at)
        .limit(1)
    )
