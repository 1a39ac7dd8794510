"""Stakeholder updates on an incident: written by its communications lead or incident manager
from a template, sent to the chosen audiences through the outbox, put on the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Forbidden, Invalid
from firehouse.incidents import service as incidents
from firehouse.incidents.models import TERMINAL_STATUSES, Incident
from firehouse.incidents.service.timeline import append_entry
from firehouse.notify import service as notify
from firehouse.statuspage.service.common import may_publish
from firehouse.updates.models import StakeholderUpdate, UpdateCadence
from firehouse.updates.service import audiences as audience_service
from firehouse.updates.service.templates import TEMPLATES, Fields, render

MAX_FIELD = 5000


@dataclass(frozen=True)
class Draft:
    template: str
    impact: str
    current_actions: str = ""
    next_update_at: datetime | None = None
    audiences: tuple[str, ...] = ()


def require_communicator(session: Session, actor: Actor, incident: Incident) -> None:
    if not actor.can_write:
        raise Forbidden("this token is read-only")
    if not may_publish(session, actor, incident):
        raise Forbidden(
            "stakeholder updates are sent by the incident's communications lead or incident "
            "manager, or by an incident_manager"
        )


def list_updates(session: Session, *, actor: Actor, incident_ref: str) -> list[StakeholderUpdate]:
    incident = incidents.get_incident(session, actor, incident_ref)
    query = (
        select(StakeholderUpdate)
        .where(StakeholderUpdate.incident_id == incident.id)
        .order_by(StakeholderUpdate.sent_at.desc(), StakeholderUpdate.id.desc())
    )
    return list(session.scalars(query).all())


def last_update(session: Session, incident_id: int) -> StakeholderUpdate | None:
    return session.scalar(
        select(StakeholderUpdate)
        .where(StakeholderUpdate.incident_id == incident_id)
        .order_by(StakeholderUpdate.sent_at.desc(), StakeholderUpdate.id.desc())
        .limit(1)
    )


def due_at(incident: Incident, last: StakeholderUpdate | None) -> datetime:
    """When the next update is due: the time the last one promised, else the severity's
    cadence after the last update (or after the declaration)."""
    if last is not None and last.next_update_at is not None:
        return last.next_update_at
    cadence = timedelta(minutes=incident.severity.update_every_minutes)
    return (last.sent_at if last is not None else incident.declared_at) + cadence


def _text(value: str, *, field: str, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise Invalid(f"{field.replace('_', ' ')} is needed", field=field)
    if len(text) > MAX_FIELD:
        raise Invalid(f"at most {MAX_FIELD} characters", field=field)
    return text


def send_update(
    session: Session, *, actor: Actor, incident_ref: str, draft: Draft, base_url: str
) -> StakeholderUpdate:
    incident = incidents.get_incident(session, actor, incident_ref, for_update=True)
    require_communicator(session, actor, incident)
    if incident.status in TERMINAL_STATUSES:
        raise Conflict(f"{incident.reference} is {incident.status.value}")
    template = TEMPLATES.get(draft.template)
    if template is None:
        raise Invalid(f"template is one of {', '.join(TEMPLATES)}", field="template")
    now = clock.now(session)
    fields = Fields(
        impact=_text(draft.impact, field="impact", required=True),
        current_actions=_text(
            draft.current_actions, field="current_actions", required=template.needs_actions
        ),
        next_update_at=draft.next_update_at,
    )
    if fields.next_update_at is not None and fields.next_update_at <= now:
        raise Invalid("the next update is in the future", field="next_update_at")
    if fields.next_update_at is None and template.needs_next_update:
        cadence = timedelta(minutes=incident.severity.update_every_minutes)
        fields = Fields(fields.impact, fields.current_actions, now + cadence)
    if not draft.audiences:
        raise Invalid("choose at least one audience", field="audiences")
    targets = audience_service.resolve(session, list(draft.audiences))
    link = f"{base_url}/incidents/{incident.reference}"
    subject, body = render(template, incident, fields, author=actor.handle, link=link)
    update = StakeholderUpdate(
        incident_id=incident.id,
        template=template.key,
        fields={
            "impact": fields.impact,
            "current_actions": fields.current_actions,
            "next_update_at": fields.next_update_at.isoformat() if fields.next_update_at else None,
        },
        subject=subject,
        body=body,
        audiences=list(draft.audiences),
        recipients=len(targets),
        next_update_at=fields.next_update_at,
        author_id=actor.user_id,
        sent_at=now,
    )
    session.add(update)
    session.flush()
    for target in targets:
        notify.enqueue(
            session,
            channel=target.channel,
            target=target.target,
            subject=subject,
            body_text=body,
            kind="stakeholder_update",
            incident_id=incident.id,
            dedup_key=f"upd:{update.id}:{target.channel}:{target.target}"[:200],
            payload={
                "type": "stakeholder_update",
                "incident": incident.reference,
                "subject": subject,
                "text": body,
                **update.fields,
            }
            if target.channel == "webhook"
            else None,
        )
    next_text = (
        f" Next update by {fields.next_update_at:%H:%M} UTC." if fields.next_update_at else ""
    )
    append_entry(
        session,
        incident,
        actor=actor,
        kind="stakeholder_update",
        body=(
            f"Stakeholder update ({template.name}) sent to {', '.join(draft.audiences)} "
            f"({len(targets)} recipients): {fields.impact}.{next_text}"
        ),
        data={"update_id": update.id, "audiences": list(draft.audiences)},
    )
    _reset_cadence(session, incident, update)
    audit.record(
        session,
        actor=actor,
        action="incident.stakeholder_update.send",
        target_type="incident",
        target_id=incident.reference,
        after={
            "update_id": update.id,
            "template": template.key,
            "audiences": list(draft.audiences),
            "recipients": len(targets),
        },
    )
    return update


def _reset_cadence(session: Session, incident: Incident, update: StakeholderUpdate) -> None:
    row = session.get(UpdateCadence, incident.id, with_for_update=True)
    due = due_at(incident, update)
    if row is None:
        session.add(
            UpdateCadence(incident_id=incident.id, due_at=due, reminded=0, next_check_at=due)
        )
    else:
        row.due_at, row.reminded, row.next_check_at = due, 0, due
