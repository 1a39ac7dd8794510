"""Ordered routing rules: the first enabled rule whose matchers all match decides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.alerts.models import RoutingRule, RuleAction
from firehouse.alerts.service.matchers import Matcher, all_match, parse_matchers
from firehouse.audit import service as audit
from firehouse.catalog import service as catalog
from firehouse.errors import Invalid, NotFound
from firehouse.incidents import service as incidents
from firehouse.people import service as people
from firehouse.people.models import Role

DEFAULT_GROUP_BY = ("alertname", "service")


@dataclass(frozen=True)
class Route:
    """What routing decided for one alert."""

    rule_id: int | None
    action: RuleAction
    team_id: int | None
    service_id: int | None
    severity: str | None
    incident_type: str
    escalation_policy_id: int | None
    group_by: tuple[str, ...]
    group_window_minutes: int
    resolve_incident: bool


@dataclass(frozen=True)
class CompiledRule:
    rule: RoutingRule
    matchers: list[Matcher]


def load_rules(session: Session) -> list[CompiledRule]:
    rows = session.scalars(
        select(RoutingRule).where(RoutingRule.enabled.is_(True)).order_by(RoutingRule.position)
    ).all()
    return [CompiledRule(r, parse_matchers(r.matchers)) for r in rows]


def route(rules: list[CompiledRule], *, integration_id: int, labels: dict[str, str]) -> Route:
    for compiled in rules:
        rule = compiled.rule
        if rule.integration_id is not None and rule.integration_id != integration_id:
            continue
        if all_match(compiled.matchers, labels):
            return Route(
                rule_id=rule.id,
                action=rule.action,
                team_id=rule.set_team_id,
                service_id=rule.set_service_id,
                severity=rule.set_severity,
                incident_type=rule.set_incident_type or "operational",
                escalation_policy_id=rule.escalation_policy_id,
                group_by=tuple(rule.group_by) or DEFAULT_GROUP_BY,
                group_window_minutes=rule.group_window_minutes,
                resolve_incident=rule.resolve_incident_when_alerts_resolve,
            )
    return Route(
        rule_id=None,
        action=RuleAction.page,
        team_id=None,
        service_id=None,
        severity=None,
        incident_type="operational",
        escalation_policy_id=None,
        group_by=DEFAULT_GROUP_BY,
        group_window_minutes=60,
        resolve_incident=False,
    )


def rule_snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "position": rule.position,
        "name": rule.name,
        "integration_id": rule.integration_id,
        "matchers": list(rule.matchers),
        "set_team_id": rule.set_team_id,
        "set_service_id": rule.set_service_id,
        "set_severity": rule.set_severity,
        "set_incident_type": rule.set_incident_type,
        "action": rule.action.value,
        "escalation_policy_id": rule.escalation_policy_id,
        "group_by": list(rule.group_by),
        "group_window_minutes": rule.group_window_minutes,
        "resolve_incident_when_alerts_resolve": rule.resolve_incident_when_alerts_resolve,
        "enabled": rule.enabled,
    }


def list_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all())


def _apply(session: Session, rule: RoutingRule, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name == "matchers":
            parse_matchers(value)
            rule.matchers = list(value)
        elif name == "team":
            rule.set_team_id = people.find_team(session, value, field="team").id if value else None
        elif name == "service":
            rule.set_service_id = (
                catalog.find_service(session, value, field="service").id if value else None
            )
        elif name == "severity":
            if value:
                incidents.find_severity(session, value)
            rule.set_severity = value or None
        elif name == "incident_type":
            if value:
                incidents.find_type(session, value)
            rule.set_incident_type = value or None
        elif name == "escalation_policy_id":
            _check_policy(session, value)
            rule.escalation_policy_id = value
        elif name == "action":
            rule.action = RuleAction(value)
        elif name == "group_by":
            rule.group_by = list(value)
        else:
            setattr(rule, name, value)


def _check_policy(session: Session, policy_id: int | None) -> None:
    """The escalation domain validates its own ids, when it is installed."""
    if policy_id is None:
        return
    try:
        from firehouse.escalation import service as escalation
    except ImportError:
        return
    check = getattr(escalation, "get_policy", None)
    if check is not None:
        try:
            check(session, policy_id=policy_id)
        except Exception as exc:
            raise Invalid(
                f"no escalation policy {policy_id}", field="escalation_policy_id"
            ) from exc


def create_rule(session: Session, *, actor: Actor, fields: dict[str, Any]) -> RoutingRule:
    require_writer(actor, Role.incident_manager)
    if fields.get("position") is None:
        last = session.scalar(select(func.max(RoutingRule.position)))
        fields["position"] = (last or 0) + 10
    rule = RoutingRule(
        position=fields.pop("position"),
        name=fields.pop("name"),
        action=RuleAction(fields.pop("action", "page")),
        matchers=[],
        group_by=[],
        created_at=clock.now(session),
    )
    _apply(session, rule, fields)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="routing_rule.create",
        target_type="routing_rule",
        target_id=rule.id,
        after=rule_snapshot(rule),
    )
    return rule


def get_rule(session: Session, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"no routing rule {rule_id}")
    return rule


def update_rule(
    session: Session, *, actor: Actor, rule_id: int, changes: dict[str, Any]
) -> RoutingRule:
    require_writer(actor, Role.incident_manager)
    rule = get_rule(session, rule_id)
    before = rule_snapshot(rule)
    _apply(session, rule, changes)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="routing_rule.update",
        target_type="routing_rule",
        target_id=rule.id,
        before=before,
        after=rule_snapshot(rule),
    )
    return rule


def delete_rule(session: Session, *, actor: Actor, rule_id: int) -> None:
    require_writer(actor, Role.incident_manager)
    rule = get_rule(session, rule_id)
    before = rule_snapshot(rule)
    session.delete(rule)
    audit.record(
        session,
        actor=actor,
        action="routing_rule.delete",
        target_type="routing_rule",
        target_id=rule_id,
        before=before,
    )
