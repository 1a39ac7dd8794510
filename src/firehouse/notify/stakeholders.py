"""Team channels: stakeholder messages when a team's incident is declared, changes severity or
is resolved. A job reads the incident timeline from a stored position, so no message is lost
or sent twice (each has a dedup key naming channel and timeline entry)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.db import Database
from firehouse.errors import Invalid, NotFound
from firehouse.incidents.models import Incident, TimelineEntry
from firehouse.notify import service as notify
from firehouse.notify.contacts import check_address
from firehouse.notify.models import Channel, MethodKind, NotifyState, TeamChannel
from firehouse.people import service as people
from firehouse.people.models import Role

EVENTS = ("declared", "severity_changed", "resolved")
CURSOR = "stakeholder_cursor"
BATCH = 200
LOOKBACK = 20
# channels hear what is new: a first start on a database with history, or a channel added
# later, does not replay incidents recorded longer ago than this
HISTORY = timedelta(hours=1)


def _event_of(entry: TimelineEntry) -> str | None:
    if entry.kind == "declared":
        return "declared"
    if entry.kind == "severity_change":
        return "severity_changed"
    if entry.kind == "status_change" and (entry.data or {}).get("to") == "resolved":
        return "resolved"
    return None


def list_channels(session: Session, *, team_slug: str) -> list[TeamChannel]:
    team = people.find_team(session, team_slug)
    return list(
        session.scalars(
            select(TeamChannel).where(TeamChannel.team_id == team.id).order_by(TeamChannel.id)
        ).all()
    )


def create_channel(
    session: Session,
    *,
    actor: Actor,
    team_slug: str,
    channel: str,
    target: str,
    label: str = "",
    events: list[str] | None = None,
) -> TeamChannel:
    require_writer(actor, Role.incident_manager)
    team = people.find_team(session, team_slug)
    try:
        chosen = Channel(channel)
    except ValueError:
        raise Invalid("channel is email, webhook or apprise", field="channel") from None
    kind = {Channel.email: MethodKind.email, Channel.webhook: MethodKind.webhook}.get(
        chosen, MethodKind.chat
    )
    clean = check_address(kind, target, field="target")
    chosen_events = list(dict.fromkeys(events if events is not None else EVENTS))
    for i, event in enumerate(chosen_events):
        if event not in EVENTS:
            raise Invalid(f"events are {', '.join(EVENTS)}", field=f"events.{i}")
    if not chosen_events:
        raise Invalid("choose at least one event", field="events")
    row = TeamChannel(
        team_id=team.id,
        label=(label.strip() or chosen.value)[:100],
        channel=chosen,
        target=clean,
        events=chosen_events,
        created_at=clock.now(session),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="team_channel.create",
        target_type="team",
        target_id=team.id,
        after={"channel": chosen.value, "label": row.label, "events": chosen_events},
    )
    return row


def delete_channel(session: Session, *, actor: Actor, team_slug: str, channel_id: int) -> None:
    require_writer(actor, Role.incident_manager)
    team = people.find_team(session, team_slug)
    row = session.get(TeamChannel, channel_id)
    if row is None or row.team_id != team.id:
        raise NotFound(f"no channel {channel_id} in team {team_slug}")
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="team_channel.delete",
        target_type="team",
        target_id=team.id,
        before={"channel": row.channel.value, "label": row.label},
    )


def _message(
    incident: Incident, event: str, entry: TimelineEntry, base_url: str
) -> tuple[str, str, dict[str, Any]]:
    url = f"{base_url}/incidents/{incident.number}"
    heading = {
        "declared": "declared",
        "severity_changed": "changed severity",
        "resolved": "resolved",
    }[event]
    subject = f"{incident.reference} {heading}: {incident.title} ({incident.severity.key})"
    text = f"{subject}\n\n{entry.body}\n\n{url}\n"
    payload = {
        "event": f"incident.{event}",
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity.key,
            "status": incident.status.value,
            "url": url,
        },
        "detail": entry.body,
        "at": entry.occurred_at.isoformat(),
    }
    return subject, text, payload


def _cursor(session: Session) -> NotifyState:
    row = session.get(NotifyState, CURSOR, with_for_update=True)
    if row is None:
        older = clock.now(session) - HISTORY
        start = session.scalar(
            select(func.max(TimelineEntry.id)).where(TimelineEntry.recorded_at < older)
        )
        row = NotifyState(name=CURSOR, value=str(start or 0))
        session.add(row)
        session.flush()
    return row


def send_stakeholder_messages(db: Database, base_url: str) -> datetime | None:
    """Turn new timeline entries into team-channel messages, a batch per transaction.

    Entries a little behind the stored position are read again (a concurrent transaction may
    commit a lower id later); the dedup keys make that harmless.
    """
    kinds = ("declared", "severity_change", "status_change")
    while True:
        with db.session(write=False) as session:
            state = session.get(NotifyState, CURSOR)
            position = int(state.value) if state else 0
            newer = session.scalar(
                select(TimelineEntry.id)
                .where(TimelineEntry.id > position, TimelineEntry.kind.in_(kinds))
                .limit(1)
            )
        if newer is None:
            return None
        with db.session() as session:
            cursor = _cursor(session)
            entries = list(
                session.scalars(
                    select(TimelineEntry)
                    .where(
                        TimelineEntry.id > int(cursor.value) - LOOKBACK,
                        TimelineEntry.kind.in_(kinds),
                    )
                    .order_by(TimelineEntry.id)
                    .limit(BATCH)
                ).all()
            )
            # with no team channels at all there is nobody to tell: just move the position on
            if session.scalar(select(TeamChannel.id).limit(1)) is not None:
                for entry in entries:
                    _fan_out(session, entry, base_url)
            if entries:
                cursor.value = str(max(int(cursor.value), entries[-1].id))
        if len(entries) < BATCH:
            return None


def _fan_out(session: Session, entry: TimelineEntry, base_url: str) -> None:
    event = _event_of(entry)
    if event is None or entry.recorded_at < clock.now(session) - HISTORY:
        return
    incident = session.get(Incident, entry.incident_id)
    if incident is None or incident.team_id is None or incident.restricted:
        return
    channels = session.scalars(
        select(TeamChannel).where(TeamChannel.team_id == incident.team_id)
    ).all()
    for channel in channels:
        if event not in channel.events:
            continue
        subject, text, payload = _message(incident, event, entry, base_url)
        notify.enqueue(
            session,
            channel=channel.channel.value,
            target=channel.target,
            subject=subject,
            body_text=text,
            kind="stakeholder",
            urgency="low",
            incident_id=incident.id,
            dedup_key=f"stake:{channel.id}:{entry.id}",
            payload=payload,
        )
