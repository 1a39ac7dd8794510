"""The alerts API in firehouse's own shape: integrations, alerts, routing rules, silences,
maintenance windows, heartbeats and change events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from firehouse import clock
from firehouse.alerts import schemas
from firehouse.alerts import service as alerts
from firehouse.alerts.models import (
    Alert,
    AlertStatus,
    ChangeEvent,
    Heartbeat,
    Integration,
    MaintenanceWindow,
    RoutingRule,
    Silence,
)
from firehouse.alerts.service import queries, silences
from firehouse.alerts.service.writer import Intake
from firehouse.api.deps import AdminActor, CurrentActor, UnitOfWork
from firehouse.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["alerts"])

ENDPOINTS = {
    "alertmanager": "/integrations/{key}/alertmanager",
    "grafana": "/integrations/{key}/grafana",
    "generic": "/integrations/{key}/generic",
    "pagerduty": "/v2/enqueue",
    "opsgenie": "/v2/alerts",
}


def _intake(request: Request) -> Intake | None:
    return getattr(request.app.state, "alert_intake", None)


def integration_url(request: Request, integration: Integration, key: str = "{key}") -> str:
    settings: Settings = request.app.state.settings
    path = ENDPOINTS[integration.type.value].replace("{key}", key)
    return settings.public_url() + path


def _integration(request: Request, i: Integration) -> dict[str, Any]:
    return {
        "id": i.id,
        "name": i.name,
        "type": i.type.value,
        "key_hint": i.key_hint,
        "team_id": i.team_id,
        "service_id": i.service_id,
        "severity_map": i.severity_map,
        "default_severity": i.default_severity,
        "rate_limit_per_minute": i.rate_limit_per_minute,
        "storm_threshold": i.storm_threshold,
        "storm_incident_id": i.storm_incident_id,
        "created_at": i.created_at,
        "revoked_at": i.revoked_at,
        "url": integration_url(request, i),
    }


@router.get("/integrations", response_model=list[schemas.IntegrationRead])
def list_integrations(
    request: Request, session: UnitOfWork, actor: CurrentActor
) -> list[dict[str, Any]]:
    return [_integration(request, i) for i in alerts.list_integrations(session)]


@router.post("/integrations", status_code=201, response_model=schemas.IntegrationCreated)
def create_integration(
    request: Request, body: schemas.IntegrationCreate, session: UnitOfWork, actor: AdminActor
) -> dict[str, Any]:
    created = alerts.create_integration(session, actor=actor, **body.model_dump())
    result = _integration(request, created.integration)
    result["key"] = created.key
    result["url"] = integration_url(request, created.integration, created.key)
    return result


@router.patch("/integrations/{integration_id}", response_model=schemas.IntegrationRead)
def update_integration(
    request: Request,
    integration_id: int,
    body: schemas.IntegrationUpdate,
    session: UnitOfWork,
    actor: AdminActor,
) -> dict[str, Any]:
    integration = alerts.update_integration(
        session,
        actor=actor,
        integration_id=integration_id,
        changes=body.model_dump(exclude_unset=True),
    )
    if (intake := _intake(request)) is not None:
        intake.forget_integration(integration_id)
    return _integration(request, integration)


@router.delete("/integrations/{integration_id}", response_model=schemas.IntegrationRead)
def revoke_integration(
    request: Request, integration_id: int, session: UnitOfWork, actor: AdminActor
) -> dict[str, Any]:
    integration = alerts.revoke_integration(session, actor=actor, integration_id=integration_id)
    if (intake := _intake(request)) is not None:
        intake.forget_integration(integration_id)
    return _integration(request, integration)


@router.post("/integrations/{integration_id}/release-storm", response_model=schemas.IntegrationRead)
def release_storm(
    request: Request, integration_id: int, session: UnitOfWork, actor: CurrentActor
) -> dict[str, Any]:
    integration = alerts.release_storm(session, actor=actor, integration_id=integration_id)
    return _integration(request, integration)


def _alert(a: Alert) -> dict[str, Any]:
    return {
        name: getattr(a, name)
        for name in schemas.AlertRead.model_fields
        if name not in ("status", "action")
    } | {"status": a.status.value, "action": a.action.value}


@router.get("/alerts", response_model=list[schemas.AlertRead])
def list_alerts(
    session: UnitOfWork,
    actor: CurrentActor,
    status: Annotated[list[AlertStatus] | None, Query()] = None,
    integration_id: int | None = None,
    incident_id: int | None = None,
    fingerprint: str | None = None,
    open: bool = False,
    before_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    flt = queries.AlertFilter(
        status=status,
        integration_id=integration_id,
        incident_id=incident_id,
        fingerprint=fingerprint,
        open_only=open,
        before_id=before_id,
        limit=limit,
    )
    return [_alert(a) for a in queries.list_alerts(session, flt, actor=actor)]


def _detail(session: UnitOfWork, alert: Alert) -> dict[str, Any]:
    events = [
        {"kind": e.kind, "at": e.at, "actor": e.actor, "data": e.data}
        for e in queries.history(session, alert.id)
    ]
    return _alert(alert) | {"raw": alert.raw, "history": events}


@router.get("/alerts/{alert_id}", response_model=schemas.AlertDetail)
def get_alert(alert_id: int, session: UnitOfWork, actor: CurrentActor) -> dict[str, Any]:
    return _detail(session, queries.get_visible_alert(session, alert_id, actor=actor))


def _act(
    request: Request, session: UnitOfWork, actor: CurrentActor, alert_id: int, action: str
) -> dict[str, Any]:
    alert = queries.act_on_alert(session, actor=actor, alert_id=alert_id, action=action)
    if (intake := _intake(request)) is not None:
        intake.forget_alert(alert.integration_id, alert.fingerprint)
    session.flush()
    return _detail(session, alert)


@router.post("/alerts/{alert_id}/acknowledge", response_model=schemas.AlertDetail)
def acknowledge_alert(
    request: Request, alert_id: int, session: UnitOfWork, actor: CurrentActor
) -> dict[str, Any]:
    return _act(request, session, actor, alert_id, "acknowledge")


@router.post("/alerts/{alert_id}/resolve", response_model=schemas.AlertDetail)
def resolve_alert(
    request: Request, alert_id: int, session: UnitOfWork, actor: CurrentActor
) -> dict[str, Any]:
    return _act(request, session, actor, alert_id, "resolve")


def _rule(r: RoutingRule) -> dict[str, Any]:
    return {
        name: getattr(r, name) for name in schemas.RuleRead.model_fields if name != "action"
    } | {"action": r.action.value}


@router.get("/routing-rules", response_model=list[schemas.RuleRead])
def list_rules(session: UnitOfWork, actor: CurrentActor) -> list[dict[str, Any]]:
    return [_rule(r) for r in alerts.list_rules(session)]


@router.post("/routing-rules", status_code=201, response_model=schemas.RuleRead)
def create_rule(body: schemas.RuleBody, session: UnitOfWork, actor: CurrentActor) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    if not fields.get("name"):
        from firehouse.errors import Invalid

        raise Invalid("a rule needs a name", field="name")
    return _rule(alerts.create_rule(session, actor=actor, fields=fields))


@router.patch("/routing-rules/{rule_id}", response_model=schemas.RuleRead)
def update_rule(
    rule_id: int, body: schemas.RuleBody, session: UnitOfWork, actor: CurrentActor
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    return _rule(alerts.update_rule(session, actor=actor, rule_id=rule_id, changes=changes))


@router.delete("/routing-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, session: UnitOfWork, actor: CurrentActor) -> None:
    alerts.delete_rule(session, actor=actor, rule_id=rule_id)


def _silence(s: Silence, session: UnitOfWork) -> dict[str, Any]:
    return {
        "id": s.id,
        "matchers": s.matchers,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "created_by": s.created_by,
        "comment": s.comment,
        "state": silences.silence_state(s, clock.now(session)),
    }


@router.get("/silences", response_model=list[schemas.SilenceRead])
def list_silences(session: UnitOfWork, actor: CurrentActor) -> list[dict[str, Any]]:
    return [_silence(s, session) for s in alerts.list_silences(session)]


@router.post("/silences", status_code=201, response_model=schemas.SilenceRead)
def create_silence(
    body: schemas.SilenceCreate, session: UnitOfWork, actor: CurrentActor
) -> dict[str, Any]:
    silence = alerts.create_silence(
        session,
        actor=actor,
        matchers=[m.model_dump() for m in body.matchers],
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        comment=body.comment,
        created_by=body.created_by,
    )
    return _silence(silence, session)


@router.delete("/silences/{silence_id}", response_model=schemas.SilenceRead)
def expire_silence(silence_id: str, session: UnitOfWork, actor: CurrentActor) -> dict[str, Any]:
    return _silence(alerts.expire_silence(session, actor=actor, silence_id=silence_id), session)


def _window(w: MaintenanceWindow) -> dict[str, Any]:
    return {name: getattr(w, name) for name in schemas.MaintenanceRead.model_fields}


@router.get("/maintenance-windows", response_model=list[schemas.MaintenanceRead])
def list_maintenance(session: UnitOfWork, actor: CurrentActor) -> list[dict[str, Any]]:
    return [_window(w) for w in alerts.list_maintenance(session)]


@router.post("/maintenance-windows", status_code=201, response_model=schemas.MaintenanceRead)
def create_maintenance(
    body: schemas.MaintenanceCreate, session: UnitOfWork, actor: CurrentActor
) -> dict[str, Any]:
    return _window(alerts.create_maintenance(session, actor=actor, **body.model_dump()))


@router.delete("/maintenance-windows/{window_id}", response_model=schemas.MaintenanceRead)
def end_maintenance(window_id: int, session: UnitOfWork, actor: CurrentActor) -> dict[str, Any]:
    return _window(alerts.end_maintenance(session, actor=actor, window_id=window_id))


def _heartbeat(h: Heartbeat) -> dict[str, Any]:
    return {name: getattr(h, name) for name in schemas.HeartbeatRead.model_fields}


@router.get("/heartbeats", response_model=list[schemas.HeartbeatRead])
def list_heartbeats(session: UnitOfWork, actor: CurrentActor) -> list[dict[str, Any]]:
    return [_heartbeat(h) for h in alerts.list_heartbeats(session)]


@router.post("/heartbeats", status_code=201, response_model=schemas.HeartbeatRead)
def create_heartbeat(
    body: schemas.HeartbeatCreate, session: UnitOfWork, actor: CurrentActor
) -> dict[str, Any]:
    return _heartbeat(alerts.create_heartbeat(session, actor=actor, **body.model_dump()))


@router.delete("/heartbeats/{heartbeat_id}", status_code=204)
def delete_heartbeat(heartbeat_id: int, session: UnitOfWork, actor: CurrentActor) -> None:
    alerts.delete_heartbeat(session, actor=actor, heartbeat_id=heartbeat_id)


def _change(c: ChangeEvent) -> dict[str, Any]:
    return {name: getattr(c, name) for name in schemas.ChangeRead.model_fields}


@router.get("/changes", response_model=list[schemas.ChangeRead])
def list_changes(
    session: UnitOfWork,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    return [_change(c) for c in alerts.list_changes(session, limit=limit)]


@router.get("/incidents/{ref}/changes", response_model=list[schemas.ChangeRead])
def incident_changes(ref: str, session: UnitOfWork, actor: CurrentActor) -> list[dict[str, Any]]:
    """Recent changes to the incident's services: what changed before it broke."""
    return [_change(c) for c in alerts.changes_for_incident(session, actor=actor, incident_ref=ref)]
