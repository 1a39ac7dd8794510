"""Admin pages for integrations (the key and a copy-paste example shown once, at creation) and
the routing rules every alert goes through (incident managers edit them)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.alerts import service as alerts
from firehouse.alerts.api import integration_url
from firehouse.alerts.models import IntegrationType, RuleAction
from firehouse.api.deps import Principal, UnitOfWork
from firehouse.catalog import service as catalog
from firehouse.errors import AppError, Forbidden, Invalid
from firehouse.escalation import service as escalation
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.settings import Settings
from firehouse.web.deps import PagePrincipal, attempt, error_page, render

router = APIRouter(include_in_schema=False)


def examples(kind: str, base: str, url: str, key: str) -> list[tuple[str, str]]:
    """How to send to a new integration, ready to paste (the key is in them)."""
    host = urlsplit(base).netloc or base
    scheme = urlsplit(base).scheme or "https"
    json_header = "-H 'Content-Type: application/json'"
    if kind == IntegrationType.alertmanager.value:
        return [
            (
                "Alertmanager (alertmanager.yml)",
                "receivers:\n  - name: firehouse\n    webhook_configs:\n"
                f"      - url: {url}\n        send_resolved: true\n"
                "route:\n  receiver: firehouse\n",
            ),
            (
                "Prometheus, straight to firehouse (prometheus.yml)",
                "alerting:\n  alertmanagers:\n    - api_version: v2\n"
                f"      scheme: {scheme}\n      authorization:\n        type: Bearer\n"
                f"        credentials: {key}\n      static_configs:\n"
                f'        - targets: ["{host}"]\n',
            ),
        ]
    if kind == IntegrationType.pagerduty.value:
        body = (
            f'{{"routing_key": "{key}", "event_action": "trigger", "dedup_key": "disk-db-1",'
            ' "payload": {"summary": "Disk at 99% on db-1", "source": "db-1",'
            ' "severity": "critical"}}'
        )
        return [("PagerDuty Events API v2 (curl)", f"curl -X POST {url} {json_header} -d '{body}'")]
    if kind == IntegrationType.opsgenie.value:
        body = '{"message": "CPU above 90% on web-3", "alias": "cpu-web-3", "priority": "P2"}'
        return [
            (
                "Opsgenie Alert API (curl)",
                f"curl -X POST {url} -H 'Authorization: GenieKey {key}' {json_header} -d '{body}'",
            )
        ]
    if kind == IntegrationType.grafana.value:
        return [("Grafana contact point (Webhook URL)", url)]
    body = (
        '{"summary": "Nightly backup failed on db-1", "severity": "error",'
        ' "dedup_key": "backup-db-1"}'
    )
    return [("Generic JSON (curl)", f"curl -X POST {url} {json_header} -d '{body}'")]


def _refuse_unless_admin(principal: Principal) -> None:
    if not principal.actor.has(Role.admin):
        raise Forbidden("integrations are for admins")


def _integrations_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    created: dict[str, Any] | None = None,
    problem: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "alerts/integrations.html",
        principal,
        {
            "section": "admin",
            "integrations": alerts.list_integrations(session),
            "url_of": lambda i: integration_url(request, i),
            "types": [t.value for t in IntegrationType],
            "teams": people.list_teams(session),
            "services": catalog.list_services(session),
            "can_edit": principal.actor.can_write,
            "created": created,
            "values": values or {},
            "problem": problem,
            "now": clock.now(session),
        },
        status=status,
    )


@router.get("/integrations", response_class=HTMLResponse)
def integration_list(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    try:
        _refuse_unless_admin(principal)
    except AppError as exc:
        return error_page(request, principal, exc)
    return _integrations_page(request, session, principal)


@router.post("/integrations", response_class=HTMLResponse)
def create_integration(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=100)] = "",
    type: Annotated[str, Form(max_length=16)] = "generic",
    team: Annotated[str, Form(max_length=64)] = "",
    service: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = {"name": name, "type": type, "team": team, "service": service}
    try:
        with attempt(session):
            made = alerts.create_integration(
                session,
                actor=principal.actor,
                name=name,
                type=type,
                team=team or None,
                service=service or None,
            )
    except AppError as exc:
        if exc.status_code == 403:
            return error_page(request, principal, exc)
        return _integrations_page(
            request, session, principal, problem=exc.message, status=exc.status_code, values=values
        )
    settings: Settings = request.app.state.settings
    url = integration_url(request, made.integration, made.key)
    created = {
        "integration": made.integration,
        "key": made.key,
        "url": url,
        "examples": examples(made.integration.type.value, settings.public_url(), url, made.key),
    }
    # the key is in this answer and nowhere else: no caching, no redirect that would lose it
    response = _integrations_page(request, session, principal, created=created, status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


def _rules_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    problem: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "alerts/routing.html",
        principal,
        {
            "section": "alerts",
            "rules": alerts.list_rules(session),
            "integrations": {i.id: i.name for i in alerts.list_integrations(session)},
            "teams": {t.id: t for t in people.list_teams(session)},
            "services": {s.id: s for s in catalog.list_services(session)},
            "policies": escalation.list_policies(session),
            "actions": [a.value for a in RuleAction],
            "can_edit": principal.actor.can_write and principal.actor.has(Role.incident_manager),
            "values": values or {},
            "problem": problem,
        },
        status=status,
    )


@router.get("/integrations/routing", response_class=HTMLResponse)
def rule_list(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _rules_page(request, session, principal)


def _optional_int(value: str, field: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        raise Invalid(f"{field} must be a number", field=field)
    return int(value)


@router.post("/integrations/routing", response_class=HTMLResponse)
def create_rule(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=100)] = "",
    matchers: Annotated[str, Form(max_length=5000)] = "",
    action: Annotated[str, Form(max_length=16)] = "page",
    integration: Annotated[str, Form(max_length=20)] = "",
    team: Annotated[str, Form(max_length=64)] = "",
    service: Annotated[str, Form(max_length=100)] = "",
    severity: Annotated[str, Form(max_length=16)] = "",
    policy: Annotated[str, Form(max_length=20)] = "",
    group_by: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    values = {
        "name": name,
        "matchers": matchers,
        "action": action,
        "team": team,
        "service": service,
        "severity": severity,
        "group_by": group_by,
    }
    try:
        with attempt(session):
            if not name.strip():
                raise Invalid("a rule needs a name", field="name")
            if action not in {a.value for a in RuleAction}:
                raise Invalid("action must be page, record or suppress", field="action")
            fields: dict[str, Any] = {
                "name": name.strip(),
                "matchers": [x.strip() for x in matchers.splitlines() if x.strip()],
                "action": action,
                "integration_id": _optional_int(integration, "integration"),
                "escalation_policy_id": _optional_int(policy, "policy"),
                "group_by": [x.strip() for x in group_by.split(",") if x.strip()],
            }
            for key, value in (("team", team), ("service", service), ("severity", severity)):
                if value.strip():
                    fields[key] = value.strip()
            alerts.create_rule(session, actor=principal.actor, fields=fields)
    except AppError as exc:
        return _rules_page(
            request, session, principal, problem=exc.message, status=exc.status_code, values=values
        )
    return RedirectResponse("/integrations/routing", status_code=303)


@router.post("/integrations/routing/{rule_id}/delete", response_class=HTMLResponse)
def delete_rule(
    rule_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        with attempt(session):
            alerts.delete_rule(session, actor=principal.actor, rule_id=rule_id)
    except AppError as exc:
        return _rules_page(request, session, principal, problem=exc.message, status=exc.status_code)
    return RedirectResponse("/integrations/routing", status_code=303)
