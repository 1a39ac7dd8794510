"""Contact methods and personal notification rules: how and when a person is paged."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.errors import Conflict, Forbidden, Invalid, NotFound
from firehouse.notify.appriseimport import load_apprise
from firehouse.notify.models import ContactMethod, MethodKind, NotificationRule, Urgency
from firehouse.people.models import Role, User

MAX_DELAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class EffectiveRule:
    """One way to reach a person for a page, `delay_minutes` after being paged."""

    channel: str
    target: str
    delay_minutes: int
    contact_method_id: int | None
    secret: str | None
    key: str


def rules_for(session: Session, user: User, urgency: str) -> list[EffectiveRule]:
    """The person's rules for `urgency`; with none, an email to their account address now."""
    rows = session.execute(
        select(NotificationRule, ContactMethod)
        .join(ContactMethod, ContactMethod.id == NotificationRule.contact_method_id)
        .where(
            NotificationRule.user_id == user.id,
            NotificationRule.urgency == Urgency(urgency),
            ContactMethod.enabled,
        )
        .order_by(NotificationRule.delay_minutes, ContactMethod.position, NotificationRule.id)
    ).all()
    if not rows:
        return [EffectiveRule("email", user.email, 0, None, None, "account")]
    return [
        EffectiveRule(
            method.kind.channel.value,
            method.address,
            rule.delay_minutes,
            method.id,
            method.secret,
            f"r{rule.id}",
        )
        for rule, method in rows
    ]


def next_method(session: Session, *, user_id: int, after_id: int | None) -> ContactMethod | None:
    """The person's next enabled method after `after_id` in their order (for fallback)."""
    methods = list(
        session.scalars(
            select(ContactMethod)
            .where(ContactMethod.user_id == user_id, ContactMethod.enabled)
            .order_by(ContactMethod.position, ContactMethod.id)
        ).all()
    )
    ids = [m.id for m in methods]
    if after_id in ids:
        rest = methods[ids.index(after_id) + 1 :]
        return rest[0] if rest else None
    return methods[0] if methods else None


def check_address(kind: MethodKind, address: str, *, field: str = "address") -> str:
    """Validate an address for its kind: an email, an http(s) URL, or an Apprise URL."""
    address = address.strip()
    if not address:
        raise Invalid("an address is required", field=field)
    if kind == MethodKind.email:
        try:
            return validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise Invalid(f"not an email address: {exc}", field=field) from None
    if kind == MethodKind.webhook:
        if not address.startswith(("http://", "https://")):
            raise Invalid("a webhook address is an http:// or https:// URL", field=field)
        return address
    apprise = load_apprise()
    if "://" not in address or not apprise.Apprise().add(address):
        raise Invalid(
            f"not an Apprise URL Apprise understands (for {kind.value}, e.g. "
            "ntfys://topic, tgram://token/chat, twilio://sid:token@from/to)",
            field=field,
        )
    return address


def method_snapshot(method: ContactMethod) -> dict[str, Any]:
    return {
        "user_id": method.user_id,
        "kind": method.kind.value,
        "label": method.label,
        "address": method.address,
        "position": method.position,
        "enabled": method.enabled,
    }


def check_owner(actor: Actor, user_id: int) -> None:
    """Anyone manages their own methods and rules (viewers too); admins manage everyone's."""
    if not actor.can_write:
        raise Forbidden("this token is read-only")
    if actor.user_id != user_id and not actor.has(Role.admin):
        raise Forbidden("only admins manage other people's contact methods")


def list_methods(session: Session, *, user_id: int) -> list[ContactMethod]:
    return list(
        session.scalars(
            select(ContactMethod)
            .where(ContactMethod.user_id == user_id)
            .order_by(ContactMethod.position, ContactMethod.id)
        ).all()
    )


def get_method(session: Session, *, actor: Actor, method_id: int) -> ContactMethod:
    method = session.get(ContactMethod, method_id)
    if method is None or (method.user_id != actor.user_id and not actor.has(Role.admin)):
        raise NotFound(f"no contact method {method_id}")
    return method


def create_method(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    kind: str,
    address: str,
    label: str = "",
    enabled: bool = True,
) -> ContactMethod:
    check_owner(actor, user_id)
    if session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}")
    try:
        chosen = MethodKind(kind)
    except ValueError:
        raise Invalid(
            f"kind must be one of {', '.join(k.value for k in MethodKind)}", field="kind"
        ) from None
    clean = check_address(chosen, address)
    position = session.scalar(
        select(func.coalesce(func.max(ContactMethod.position), -1)).where(
            ContactMethod.user_id == user_id
        )
    )
    method = ContactMethod(
        user_id=user_id,
        kind=chosen,
        label=(label.strip() or chosen.value)[:100],
        address=clean,
        secret=secrets.token_urlsafe(32) if chosen == MethodKind.webhook else None,
        position=int(position if position is not None else -1) + 1,
        enabled=enabled,
        created_at=clock.now(session),
    )
    session.add(method)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="contact_method.create",
        target_type="contact_method",
        target_id=method.id,
        after=method_snapshot(method),
    )
    return method


def update_method(
    session: Session, *, actor: Actor, method_id: int, changes: dict[str, Any]
) -> ContactMethod:
    method = get_method(session, actor=actor, method_id=method_id)
    check_owner(actor, method.user_id)
    before = method_snapshot(method)
    if "address" in changes and changes["address"] is not None:
        method.address = check_address(method.kind, str(changes["address"]))
    if changes.get("label") is not None:
        method.label = str(changes["label"]).strip()[:100] or method.kind.value
    if changes.get("enabled") is not None:
        method.enabled = bool(changes["enabled"])
    if changes.get("position") is not None:
        if int(changes["position"]) < 0:
            raise Invalid("position is 0 or more", field="position")
        method.position = int(changes["position"])
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="contact_method.update",
        target_type="contact_method",
        target_id=method.id,
        before=before,
        after=method_snapshot(method),
    )
    return method


def delete_method(session: Session, *, actor: Actor, method_id: int) -> None:
    method = get_method(session, actor=actor, method_id=method_id)
    check_owner(actor, method.user_id)
    before = method_snapshot(method)
    session.delete(method)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="contact_method.delete",
        target_type="contact_method",
        target_id=method_id,
        before=before,
    )


def list_rules(session: Session, *, user_id: int) -> list[NotificationRule]:
    return list(
        session.scalars(
            select(NotificationRule)
            .where(NotificationRule.user_id == user_id)
            .order_by(NotificationRule.urgency, NotificationRule.delay_minutes, NotificationRule.id)
        ).all()
    )


def create_rule(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    contact_method_id: int,
    urgency: str,
    delay_minutes: int,
) -> NotificationRule:
    check_owner(actor, user_id)
    method = session.get(ContactMethod, contact_method_id)
    if method is None or method.user_id != user_id:
        # another person's method is as invisible as one that does not exist
        raise NotFound(f"no contact method {contact_method_id} of this person")
    try:
        level = Urgency(urgency)
    except ValueError:
        raise Invalid("urgency must be high or low", field="urgency") from None
    if not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        raise Invalid(f"delay_minutes is between 0 and {MAX_DELAY_MINUTES}", field="delay_minutes")
    duplicate = session.scalar(
        select(NotificationRule.id).where(
            NotificationRule.contact_method_id == method.id,
            NotificationRule.urgency == level,
            NotificationRule.delay_minutes == delay_minutes,
        )
    )
    if duplicate is not None:
        raise Conflict("that rule exists", details={"rule_id": duplicate})
    rule = NotificationRule(
        user_id=user_id,
        contact_method_id=method.id,
        urgency=level,
        delay_minutes=delay_minutes,
        created_at=clock.now(session),
    )
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="notification_rule.create",
        target_type="notification_rule",
        target_id=rule.id,
        after={
            "user_id": user_id,
            "contact_method_id": method.id,
            "urgency": level.value,
            "delay_minutes": delay_minutes,
        },
    )
    return rule


def delete_rule(session: Session, *, actor: Actor, rule_id: int) -> None:
    rule = session.get(NotificationRule, rule_id)
    if rule is None or (rule.user_id != actor.user_id and not actor.has(Role.admin)):
        raise NotFound(f"no notification rule {rule_id}")
    check_owner(actor, rule.user_id)
    before = {
        "user_id": rule.user_id,
        "contact_method_id": rule.contact_method_id,
        "urgency": rule.urgency.value,
        "delay_minutes": rule.delay_minutes,
    }
    session.delete(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="notification_rule.delete",
        target_type="notification_rule",
        target_id=rule_id,
        before=before,
    )
