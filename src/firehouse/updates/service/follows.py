"""Follows: a person follows an incident, a service or a team and is told of changes (a mail
per incident per round of the job, listing what happened on its timeline)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.catalog import service as catalog
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident, TimelineEntry
from firehouse.incidents.service.roles import services_of
from firehouse.notify import service as notify
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.updates.models import Follow, FollowCursor, FollowTarget

BATCH = 500


@dataclass(frozen=True)
class FollowView:
    id: int
    type: FollowTarget
    target: str  # INC-42, a service slug or a team slug
    name: str


def _resolve(
    session: Session, actor: Actor, kind: FollowTarget, target: str
) -> tuple[int, str, str]:
    """(id, display reference, name) of what is followed; 422 naming `target` when unknown."""
    if kind == FollowTarget.incident:
        try:
            incident = incidents.get_incident(session, actor, target)
        except NotFound as exc:
            raise Invalid(f"no incident {target}", field="target") from exc
        return incident.id, incident.reference, incident.title
    if kind == FollowTarget.service:
        service = catalog.find_service(session, target, field="target")
        return service.id, service.slug, service.name
    team = people.find_team(session, target, field="target")
    return team.id, team.slug, team.name


def follow(session: Session, *, actor: Actor, kind: FollowTarget, target: str) -> Follow:
    require_writer(actor, Role.viewer)
    if actor.user_id is None:
        raise Invalid("only people follow things", field="target")
    target_id, reference, _ = _resolve(session, actor, kind, target)
    existing = session.scalar(
        select(Follow).where(
            Follow.user_id == actor.user_id,
            Follow.target_type == kind,
            Follow.target_id == target_id,
        )
    )
    if existing is not None:
        raise Conflict(f"you already follow {reference}")
    row = Follow(
        user_id=actor.user_id, target_type=kind, target_id=target_id, created_at=clock.now(session)
    )
    session.add(row)
    session.flush()
    if session.get(FollowCursor, 1) is None:
        _cursor(session)  # the first follow ever: the follow job reads from here on
    audit.record(
        session,
        actor=actor,
        action="follow.create",
        target_type=kind.value,
        target_id=reference,
    )
    return row


def unfollow(session: Session, *, actor: Actor, follow_id: int) -> None:
    require_writer(actor, Role.viewer)
    row = session.get(Follow, follow_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(f"no follow {follow_id}")
    audit.record(
        session,
        actor=actor,
        action="follow.delete",
        target_type=row.target_type.value,
        target_id=str(row.target_id),
    )
    session.delete(row)


def list_follows(session: Session, *, actor: Actor) -> list[FollowView]:
    rows = session.scalars(
        select(Follow).where(Follow.user_id == actor.user_id).order_by(Follow.id)
    ).all()
    result = []
    for row in rows:
        if row.target_type == FollowTarget.incident:
            try:
                incident = incidents.get_incident(session, actor, f"id:{row.target_id}")
            except NotFound:
                continue
            result.append(FollowView(row.id, row.target_type, incident.reference, incident.title))
        elif row.target_type == FollowTarget.service:
            service = next(
                (s for s in catalog.list_services(session) if s.id == row.target_id), None
            )
            if service is not None:
                result.append(FollowView(row.id, row.target_type, service.slug, service.name))
        else:
            team = people.get_team(session, row.target_id)
            result.append(FollowView(row.id, row.target_type, team.slug, team.name))
    return result


def _cursor(session: Session) -> FollowCursor:
    row = session.get(FollowCursor, 1, with_for_update=True)
    if row is None:
        # start from now: following is about changes from here on
        last = session.scalar(select(func.max(TimelineEntry.id))) or 0
        row = FollowCursor(id=1, last_entry_id=last)
        session.add(row)
        session.flush()
    return row


def _actor_for(session: Session, user_id: int) -> Actor | None:
    user = people.get_user(session, user_id)
    if not user.active:
        return None
    return Actor(
        user_id=user.id,
        handle=user.handle,
        role=user.role,
        team_ids=people.team_ids_of(session, user.id),
    )


def followers_have_news(session: Session) -> bool:
    """Read-only: whether timeline entries wait for the follow job. Nothing waits before the
    first follow (which places the job's cursor)."""
    cursor = session.get(FollowCursor, 1)
    if cursor is None:
        return False
    newer = select(TimelineEntry.id).where(TimelineEntry.id > cursor.last_entry_id).limit(1)
    return session.scalar(newer) is not None


def tell_followers(session: Session, *, base_url: str) -> bool:
    """The engine's step: mail followers about new timeline entries. True when more wait."""
    cursor = _cursor(session)
    # the incident timeline is read by position, like the team-channel messages
    entries = session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.id > cursor.last_entry_id)
        .order_by(TimelineEntry.id)
        .limit(BATCH)
    ).all()
    if not entries:
        return False
    cursor.last_entry_id = entries[-1].id
    by_incident: dict[int, list[TimelineEntry]] = defaultdict(list)
    for entry in entries:
        by_incident[entry.incident_id].append(entry)
    follows = session.scalars(select(Follow)).all()
    if not follows:
        return len(entries) == BATCH
    for incident_id, items in by_incident.items():
        incident = session.get(Incident, incident_id)
        if incident is None:
            continue
        service_ids = {s.id for s in services_of(session, incident_id)}
        users = {
            f.user_id
            for f in follows
            if (f.target_type == FollowTarget.incident and f.target_id == incident_id)
            or (f.target_type == FollowTarget.service and f.target_id in service_ids)
            or (f.target_type == FollowTarget.team and f.target_id == incident.team_id)
        }
        for user_id in sorted(users):
            news = [e for e in items if e.author_id != user_id]
            if not news:
                continue
            who = _actor_for(session, user_id)
            if who is None:
                continue
            try:
                incidents.get_incident(session, who, f"id:{incident_id}")
            except NotFound:
                continue  # a restricted incident this person may not see
            user = people.get_user(session, user_id)
            lines = [f"- {e.occurred_at:%H:%M} UTC {e.body}" for e in news]
            notify.enqueue(
                session,
                channel="email",
                target=user.email,
                subject=f"{incident.reference} {incident.title}: {len(news)} change(s)",
                body_text=(
                    f"{incident.reference} {incident.title} ({incident.status.value})\n\n"
                    + "\n".join(lines)
                    + f"\n\n{base_url}/incidents/{incident.reference}\n"
                    "You follow this incident, its service or its team."
                ),
                kind="follow",
                user_id=user_id,
                incident_id=incident_id,
                dedup_key=f"follow:{user_id}:{incident_id}:{news[-1].id}",
            )
    return len(entries) == BATCH
