"""Who a step pages (resolving schedules and teams at the moment it fires), and the pages
themselves: one notification per personal notification rule, with one-click links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.errors import NotFound
from firehouse.escalation.models import Escalation, TargetKind
from firehouse.incidents.models import Incident
from firehouse.notify import links
from firehouse.notify import service as notify
from firehouse.notify.contacts import rules_for
from firehouse.people.models import TeamMember, User


@dataclass(frozen=True)
class Pager:
    """What composing a page needs from the settings."""

    base_url: str
    link_secret: str | None = None
    link_lifetime: timedelta = timedelta(hours=24)


@dataclass
class Resolved:
    users: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def resolve_targets(session: Session, targets: list[dict[str, Any]], *, at: datetime) -> Resolved:
    """People to page for a step's snapshot targets, in order, each once."""
    from firehouse.schedules import service as schedules

    out = Resolved()

    def add(user_id: int) -> None:
        if user_id not in out.users:
            out.users.append(user_id)

    for target in targets:
        kind = TargetKind(target["kind"])
        if kind == TargetKind.user:
            add(int(target["user_id"]))
        elif kind == TargetKind.schedule:
            try:
                ids = schedules.on_call_user_ids(session, schedule_id=target["schedule_id"], at=at)
            except NotFound:
                ids = []
            if not ids:
                out.notes.append(f"nobody on call in schedule {target.get('name')}")
            for user_id in ids:
                add(int(user_id))
        elif kind == TargetKind.team:
            ids = schedules.team_on_call_user_ids(session, team_id=target["team_id"], at=at)
            if not ids:
                # a team without an on-call schedule: page its managers, else everyone in it
                members = session.execute(
                    select(TeamMember.user_id, TeamMember.is_manager)
                    .where(TeamMember.team_id == target["team_id"])
                    .order_by(TeamMember.id)
                ).all()
                managers = [m.user_id for m in members if m.is_manager]
                ids = managers or [m.user_id for m in members]
            if not ids:
                out.notes.append(f"team {target.get('name')} has nobody to page")
            for user_id in ids:
                add(int(user_id))
    return out


def _compose(
    incident: Incident, escalation: Escalation, pager: Pager, ack_url: str, resolve_url: str
) -> tuple[str, str, str, dict[str, Any]]:
    url = f"{pager.base_url}/incidents/{incident.number}"
    subject = f"[{incident.severity.key}] {incident.reference}: {incident.title}"
    lines = [
        f"{incident.reference} ({incident.severity.key}, {incident.status.value}): "
        + incident.title,
        "",
        f"Paged through escalation policy {escalation.policy_name}"
        + (f": {escalation.reason}" if escalation.reason else ""),
        "",
        f"Acknowledge: {ack_url}",
        f"Resolve: {resolve_url}",
        f"Open: {url}",
    ]
    text = "\n".join(lines) + "\n"
    from html import escape

    html = (
        f"<p><strong>{escape(incident.reference)}</strong> ({escape(incident.severity.key)}, "
        f"{escape(incident.status.value)}): {escape(incident.title)}</p>"
        f"<p>Paged through escalation policy {escape(escalation.policy_name)}</p>"
        f'<p><a href="{escape(ack_url)}">Acknowledge</a> &middot; '
        f'<a href="{escape(resolve_url)}">Resolve</a> &middot; '
        f'<a href="{escape(url)}">Open the incident</a></p>'
    )
    payload = {
        "event": "page",
        "incident": {
            "reference": incident.reference,
            "number": incident.number,
            "title": incident.title,
            "severity": incident.severity.key,
            "status": incident.status.value,
            "url": url,
        },
        "urgency": escalation.urgency,
        "policy": escalation.policy_name,
        "acknowledge_url": ack_url,
        "resolve_url": resolve_url,
    }
    return subject, text, html, payload


def page_users(
    session: Session,
    pager: Pager,
    *,
    incident: Incident,
    escalation: Escalation,
    users: list[int],
    key: str,
) -> list[str]:
    """Enqueue pages for `users` by their notification rules. Returns the handles paged."""
    now = clock.now(session)
    secret = links.link_secret(session, pager.link_secret)
    handles: list[str] = []
    for user_id in users:
        user = session.get(User, user_id)
        if user is None or not user.active:
            continue
        urls = {
            action: f"{pager.base_url}/a/"
            + links.make_token(
                secret,
                incident_id=incident.id,
                action=action,
                user_id=user.id,
                now=now,
                lifetime=pager.link_lifetime,
            )
            for action in links.ACTIONS
        }
        subject, text, html, payload = _compose(
            incident, escalation, pager, urls["acknowledge"], urls["resolve"]
        )
        for rule in rules_for(session, user, escalation.urgency):
            notify.enqueue(
                session,
                channel=rule.channel,
                target=rule.target,
                subject=subject,
                body_text=text,
                body_html=html if rule.channel == "email" else None,
                kind="page",
                urgency=escalation.urgency,
                user_id=user.id,
                incident_id=incident.id,
                dedup_key=f"{key}:{user.id}:{rule.key}",
                payload=payload,
                contact_method_id=rule.contact_method_id,
                not_before=now + timedelta(minutes=rule.delay_minutes),
                secret=rule.secret,
            )
        handles.append(user.handle)
    return handles
