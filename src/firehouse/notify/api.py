"""Thin JSON routes: contact methods and notification rules (yours, or anyone's for admins),
test notifications, team channels, and an incident's delivery log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.api.deps import AdminActor, CurrentActor, UnitOfWork
from firehouse.errors import Unauthorized
from firehouse.incidents import service as incidents
from firehouse.notify import contacts, schemas, stakeholders
from firehouse.notify import log as delivery_log
from firehouse.notify import service as notify
from firehouse.notify.models import ContactMethod, NotificationRule
from firehouse.people import service as people

router = APIRouter(prefix="/api/v1", tags=["notifications"])


def _me(actor: Actor) -> int:
    if actor.user_id is None:
        raise Unauthorized("this needs a person")
    return actor.user_id


def _method_read(method: ContactMethod, *, show_secret: bool) -> dict[str, Any]:
    return {
        "id": method.id,
        "kind": method.kind.value,
        "label": method.label,
        "address": method.address,
        "position": method.position,
        "enabled": method.enabled,
        "secret": method.secret if show_secret else None,
        "created_at": method.created_at,
    }


def _rule_read(rule: NotificationRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "contact_method_id": rule.contact_method_id,
        "urgency": rule.urgency.value,
        "delay_minutes": rule.delay_minutes,
        "created_at": rule.created_at,
    }


def _create_method(
    session: Session, actor: Actor, user_id: int, body: schemas.ContactMethodIn
) -> dict[str, Any]:
    method = contacts.create_method(
        session,
        actor=actor,
        user_id=user_id,
        kind=body.kind,
        address=body.address,
        label=body.label,
        enabled=body.enabled,
    )
    return _method_read(method, show_secret=True)


@router.get("/me/contact-methods", response_model=list[schemas.ContactMethodRead])
def my_methods(session: UnitOfWork, actor: CurrentActor) -> Any:
    methods = contacts.list_methods(session, user_id=_me(actor))
    return [_method_read(m, show_secret=True) for m in methods]


@router.post("/me/contact-methods", status_code=201, response_model=schemas.ContactMethodRead)
def add_my_method(body: schemas.ContactMethodIn, session: UnitOfWork, actor: CurrentActor) -> Any:
    return _create_method(session, actor, _me(actor), body)


@router.patch("/me/contact-methods/{method_id}", response_model=schemas.ContactMethodRead)
def change_my_method(
    method_id: int, body: schemas.ContactMethodPatch, session: UnitOfWork, actor: CurrentActor
) -> Any:
    method = contacts.update_method(
        session, actor=actor, method_id=method_id, changes=body.model_dump(exclude_unset=True)
    )
    return _method_read(method, show_secret=True)


@router.delete("/me/contact-methods/{method_id}", status_code=204)
def delete_my_method(method_id: int, session: UnitOfWork, actor: CurrentActor) -> Response:
    contacts.delete_method(session, actor=actor, method_id=method_id)
    return Response(status_code=204)


@router.post(
    "/me/contact-methods/{method_id}/test", status_code=202, response_model=schemas.TestSent
)
def test_my_method(method_id: int, session: UnitOfWork, actor: CurrentActor) -> Any:
    """Send a test message through the method now; its delivery shows in /me/notifications."""
    method = contacts.get_method(session, actor=actor, method_id=method_id)
    contacts.check_owner(actor, method.user_id)
    row = notify.enqueue(
        session,
        channel=method.kind.channel.value,
        target=method.address,
        subject="firehouse test notification",
        body_text=f"This is a test of your contact method {method.label!r}. "
        "When you read this, pages will reach you here.\n",
        kind="test",
        urgency="high",
        user_id=method.user_id,
        contact_method_id=method.id,
        payload={"event": "test", "contact_method": method.label},
        secret=method.secret,
    )
    return {"notification_id": row.id, "status": row.status.value}


@router.get("/me/notification-rules", response_model=list[schemas.RuleRead])
def my_rules(session: UnitOfWork, actor: CurrentActor) -> Any:
    return [_rule_read(r) for r in contacts.list_rules(session, user_id=_me(actor))]


@router.post("/me/notification-rules", status_code=201, response_model=schemas.RuleRead)
def add_my_rule(body: schemas.RuleIn, session: UnitOfWork, actor: CurrentActor) -> Any:
    rule = contacts.create_rule(
        session,
        actor=actor,
        user_id=_me(actor),
        contact_method_id=body.contact_method_id,
        urgency=body.urgency,
        delay_minutes=body.delay_minutes,
    )
    return _rule_read(rule)


@router.delete("/me/notification-rules/{rule_id}", status_code=204)
def delete_my_rule(rule_id: int, session: UnitOfWork, actor: CurrentActor) -> Response:
    contacts.delete_rule(session, actor=actor, rule_id=rule_id)
    return Response(status_code=204)


@router.get("/me/notifications", response_model=list[schemas.DeliveryRead])
def my_notifications(session: UnitOfWork, actor: CurrentActor) -> Any:
    return delivery_log.for_user(session, _me(actor))


@router.get("/users/{handle}/contact-methods", response_model=list[schemas.ContactMethodRead])
def user_methods(handle: str, session: UnitOfWork, actor: AdminActor) -> Any:
    user = people.find_user(session, handle)
    return [
        _method_read(m, show_secret=False) for m in contacts.list_methods(session, user_id=user.id)
    ]


@router.post(
    "/users/{handle}/contact-methods", status_code=201, response_model=schemas.ContactMethodRead
)
def add_user_method(
    handle: str, body: schemas.ContactMethodIn, session: UnitOfWork, actor: AdminActor
) -> Any:
    user = people.find_user(session, handle)
    return _create_method(session, actor, user.id, body)


@router.get("/users/{handle}/notification-rules", response_model=list[schemas.RuleRead])
def user_rules(handle: str, session: UnitOfWork, actor: AdminActor) -> Any:
    user = people.find_user(session, handle)
    return [_rule_read(r) for r in contacts.list_rules(session, user_id=user.id)]


@router.post("/users/{handle}/notification-rules", status_code=201, response_model=schemas.RuleRead)
def add_user_rule(handle: str, body: schemas.RuleIn, session: UnitOfWork, actor: AdminActor) -> Any:
    user = people.find_user(session, handle)
    rule = contacts.create_rule(
        session,
        actor=actor,
        user_id=user.id,
        contact_method_id=body.contact_method_id,
        urgency=body.urgency,
        delay_minutes=body.delay_minutes,
    )
    return _rule_read(rule)


@router.get("/teams/{slug}/channels", response_model=list[schemas.TeamChannelRead])
def team_channels(slug: str, session: UnitOfWork, actor: CurrentActor) -> Any:
    rows = stakeholders.list_channels(session, team_slug=slug)
    return [
        {
            "id": r.id,
            "label": r.label,
            "channel": r.channel.value,
            "target": delivery_log.mask_target(r.channel, r.target),
            "events": r.events,
            "created_at": r.created_at,
        }
        for r in rows
    ]


@router.post("/teams/{slug}/channels", status_code=201, response_model=schemas.TeamChannelRead)
def add_team_channel(
    slug: str, body: schemas.TeamChannelIn, session: UnitOfWork, actor: CurrentActor
) -> Any:
    row = stakeholders.create_channel(
        session,
        actor=actor,
        team_slug=slug,
        channel=body.channel,
        target=body.target,
        label=body.label,
        events=list(body.events),
    )
    return {
        "id": row.id,
        "label": row.label,
        "channel": row.channel.value,
        "target": row.target,
        "events": row.events,
        "created_at": row.created_at,
    }


@router.delete("/teams/{slug}/channels/{channel_id}", status_code=204)
def delete_team_channel(
    slug: str, channel_id: int, session: UnitOfWork, actor: CurrentActor
) -> Response:
    stakeholders.delete_channel(session, actor=actor, team_slug=slug, channel_id=channel_id)
    return Response(status_code=204)


@router.get("/incidents/{ref}/deliveries", response_model=list[schemas.DeliveryRead])
def incident_deliveries(ref: str, session: UnitOfWork, actor: CurrentActor) -> Any:
    incident = incidents.get_incident(session, actor, ref)
    return delivery_log.for_incident(session, incident.id)
