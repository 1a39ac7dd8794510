"""Action items: tracked across incidents until done (or deliberately not done)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.errors import Invalid, NotFound
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident
from firehouse.people import service as people
from firehouse.postmortems.models import ActionCategory, ActionItem, ActionStatus, Priority

OPEN = (ActionStatus.open, ActionStatus.in_progress)
REMIND_BEFORE = timedelta(days=1)
REMIND_AFTER = timedelta(days=1)
UPDATABLE = ("title", "category", "owner", "team", "due_at", "priority", "status", "reason",
             "tracker_url")  # fmt: skip


def first_reminder(item: ActionItem) -> datetime | None:
    if item.status not in OPEN or item.due_at is None:
        return None
    return item.due_at - REMIND_BEFORE


def _check_url(url: str | None) -> str | None:
    if url and not url.startswith(("http://", "https://")):
        raise Invalid("the tracker link must be an http(s) URL", field="tracker_url")
    return url or None


def _snapshot(item: ActionItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "category": item.category.value,
        "owner_id": item.owner_id,
        "team_id": item.team_id,
        "due_at": item.due_at,
        "priority": item.priority.value,
        "status": item.status.value,
        "reason": item.reason,
        "tracker_url": item.tracker_url,
    }


def create_action(
    session: Session,
    *,
    actor: Actor,
    incident_ref: str | int,
    title: str,
    category: ActionCategory,
    owner: str | None = None,
    team: str | None = None,
    due_at: datetime | None = None,
    priority: Priority = Priority.medium,
    tracker_url: str | None = None,
) -> ActionItem:
    require_writer(actor)
    if not title.strip():
        raise Invalid("an action item needs a title", field="title")
    incident = incidents.get_incident(session, actor, incident_ref, for_update=True)
    owner_id = people.find_user(session, owner, field="owner").id if owner else None
    team_id = people.find_team(session, team, field="team").id if team else incident.team_id
    if team_id is None and owner_id is not None:
        teams = people.team_ids_of(session, owner_id)
        team_id = next(iter(teams)) if len(teams) == 1 else None
    now = clock.now(session)
    item = ActionItem(
        incident_id=incident.id,
        title=title.strip(),
        category=category,
        owner_id=owner_id,
        team_id=team_id,
        due_at=due_at,
        priority=priority,
        status=ActionStatus.open,
        reason="",
        tracker_url=_check_url(tracker_url),
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    item.next_reminder_at = first_reminder(item)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="action_item.create",
        target_type="action_item",
        target_id=item.id,
        after={"incident": incident.reference, **_snapshot(item)},
    )
    return item


def get_action(session: Session, *, actor: Actor, action_id: int) -> ActionItem:
    item = session.scalar(
        select(ActionItem)
        .join(Incident, Incident.id == ActionItem.incident_id)
        .where(ActionItem.id == action_id, incidents.visible_to(actor))
    )
    if item is None:
        raise NotFound(f"no action item {action_id}")
    return item


def update_action(
    session: Session, *, actor: Actor, action_id: int, changes: dict[str, Any]
) -> ActionItem:
    require_writer(actor)
    item = get_action(session, actor=actor, action_id=action_id)
    before = _snapshot(item)
    if "title" in changes:
        if not str(changes["title"] or "").strip():
            raise Invalid("an action item needs a title", field="title")
        item.title = str(changes["title"]).strip()
    if "category" in changes and changes["category"] is not None:
        item.category = ActionCategory(changes["category"])
    if "priority" in changes and changes["priority"] is not None:
        item.priority = Priority(changes["priority"])
    if "owner" in changes:
        owner = changes["owner"]
        item.owner_id = people.find_user(session, owner, field="owner").id if owner else None
    if "team" in changes:
        team = changes["team"]
        item.team_id = people.find_team(session, team, field="team").id if team else None
    if "due_at" in changes:
        item.due_at = changes["due_at"]
    if "tracker_url" in changes:
        item.tracker_url = _check_url(changes["tracker_url"])
    if "reason" in changes:
        item.reason = str(changes["reason"] or "")
    if "status" in changes and changes["status"] is not None:
        item.status = ActionStatus(changes["status"])
    if item.status == ActionStatus.wont_do and not item.reason.strip():
        raise Invalid("say why this will not be done", field="reason")
    now = clock.now(session)
    if item.status in OPEN:
        item.completed_at = None
    elif item.completed_at is None:
        item.completed_at = now
    if before["due_at"] != item.due_at or before["status"] != item.status.value:
        item.next_reminder_at = first_reminder(item)
    item.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="action_item.update",
        target_type="action_item",
        target_id=item.id,
        before=before,
        after=_snapshot(item),
    )
    return item


@dataclass
class ActionFilter:
    incident: str | None = None
    owner: str | None = None  # a handle, or "me"
    team: str | None = None  # a slug, or "mine"
    category: list[ActionCategory] = field(default_factory=list)
    status: list[ActionStatus] = field(default_factory=list)  # empty: open and in progress
    overdue: bool = False


def list_actions(
    session: Session, *, actor: Actor, filters: ActionFilter, limit: int = 200
) -> list[ActionItem]:
    query = select(ActionItem).join(Incident, Incident.id == ActionItem.incident_id)
    query = query.where(incidents.visible_to(actor))
    if filters.incident:
        incident = incidents.get_incident(session, actor, filters.incident)
        query = query.where(ActionItem.incident_id == incident.id)
    if filters.owner:
        owner_id = (
            actor.user_id
            if filters.owner == "me"
            else people.find_user(session, filters.owner, field="owner").id
        )
        query = query.where(ActionItem.owner_id == owner_id)
    if filters.team:
        if filters.team == "mine":
            query = query.where(ActionItem.team_id.in_(sorted(actor.team_ids)))
        else:
            team_id = people.find_team(session, filters.team, field="team").id
            query = query.where(ActionItem.team_id == team_id)
    if filters.category:
        query = query.where(ActionItem.category.in_(filters.category))
    statuses = filters.status or (list(OPEN) if not filters.incident else list(ActionStatus))
    if filters.overdue:
        statuses = [s for s in statuses if s in OPEN]
        query = query.where(ActionItem.due_at < clock.now(session))
    query = query.where(ActionItem.status.in_(statuses))
    query = query.order_by(ActionItem.due_at.is_(None), ActionItem.due_at, ActionItem.id)
    return list(session.scalars(query.limit(limit)).all())
