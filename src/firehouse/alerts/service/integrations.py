"""Integrations: a secret key per door for alerts, owned by a team or a service."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.alerts.models import Integration, IntegrationType
from firehouse.alerts.service.inputs import IntegrationInfo
from firehouse.audit import service as audit
from firehouse.catalog import service as catalog
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.incidents import service as incidents
from firehouse.people import service as people
from firehouse.people.models import Role


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedIntegration:
    integration: Integration
    key: str  # shown once


def snapshot(integration: Integration) -> dict[str, Any]:
    return {
        "name": integration.name,
        "type": integration.type.value,
        "team_id": integration.team_id,
        "service_id": integration.service_id,
        "severity_map": dict(integration.severity_map),
        "default_severity": integration.default_severity,
        "rate_limit_per_minute": integration.rate_limit_per_minute,
        "storm_threshold": integration.storm_threshold,
        "revoked_at": integration.revoked_at,
    }


def info(integration: Integration) -> IntegrationInfo:
    return IntegrationInfo(
        id=integration.id,
        name=integration.name,
        type=integration.type.value,
        team_id=integration.team_id,
        service_id=integration.service_id,
        severity_map=dict(integration.severity_map),
        default_severity=integration.default_severity,
        rate_limit_per_minute=integration.rate_limit_per_minute,
        storm_threshold=integration.storm_threshold,
    )


def _check_severities(session: Session, mapping: dict[str, str], default: str) -> None:
    incidents.find_severity(session, default)
    for sender, key in mapping.items():
        try:
            incidents.find_severity(session, key)
        except Exception:
            raise Invalid(f"unknown severity {key!r}", field=f"severity_map.{sender}") from None


def create_integration(
    session: Session,
    *,
    actor: Actor,
    name: str,
    type: str,
    team: str | None = None,
    service: str | None = None,
    severity_map: dict[str, str] | None = None,
    default_severity: str = "SEV3",
    rate_limit_per_minute: int | None = None,
    storm_threshold: int | None = None,
) -> CreatedIntegration:
    require_writer(actor, Role.admin)
    if not name.strip():
        raise Invalid("an integration needs a name", field="name")
    try:
        kind = IntegrationType(type)
    except ValueError:
        allowed = ", ".join(t.value for t in IntegrationType)
        raise Invalid(f"type must be one of {allowed}", field="type") from None
    if session.scalar(select(Integration.id).where(Integration.name == name.strip())):
        raise Conflict(f"an integration named {name!r} exists")
    mapping = dict(severity_map or {})
    _check_severities(session, mapping, default_severity)
    found_service = catalog.find_service(session, service, field="service") if service else None
    team_id = people.find_team(session, team, field="team").id if team else None
    if team_id is None and found_service is not None:
        team_id = found_service.team_id
    key = secrets.token_hex(16)  # 32 characters, the length PagerDuty clients expect
    integration = Integration(
        name=name.strip(),
        type=kind,
        key_hash=hash_key(key),
        key_hint=key[:4],
        team_id=team_id,
        service_id=found_service.id if found_service else None,
        severity_map=mapping,
        default_severity=default_severity,
        rate_limit_per_minute=rate_limit_per_minute,
        storm_threshold=storm_threshold,
        created_at=clock.now(session),
    )
    session.add(integration)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="integration.create",
        target_type="integration",
        target_id=integration.id,
        after=snapshot(integration),
    )
    return CreatedIntegration(integration, key)


def list_integrations(session: Session) -> list[Integration]:
    return list(session.scalars(select(Integration).order_by(Integration.name)).all())


def get_integration(session: Session, integration_id: int) -> Integration:
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise NotFound(f"no integration {integration_id}")
    return integration


def update_integration(
    session: Session, *, actor: Actor, integration_id: int, changes: dict[str, Any]
) -> Integration:
    require_writer(actor, Role.admin)
    integration = get_integration(session, integration_id)
    before = snapshot(integration)
    mapping = changes.get("severity_map", integration.severity_map)
    default = changes.get("default_severity", integration.default_severity)
    _check_severities(session, mapping, default)
    for name in ("severity_map", "default_severity", "rate_limit_per_minute", "storm_threshold"):
        if name in changes:
            setattr(integration, name, changes[name])
    audit.record(
        session,
        actor=actor,
        action="integration.update",
        target_type="integration",
        target_id=integration.id,
        before=before,
        after=snapshot(integration),
    )
    return integration


def revoke_integration(session: Session, *, actor: Actor, integration_id: int) -> Integration:
    require_writer(actor, Role.admin)
    integration = get_integration(session, integration_id)
    if integration.revoked_at is None:
        before = snapshot(integration)
        integration.revoked_at = clock.now(session)
        audit.record(
            session,
            actor=actor,
            action="integration.revoke",
            target_type="integration",
            target_id=integration.id,
            before=before,
            after=snapshot(integration),
        )
    return integration


def authenticate(session: Session, key: str) -> Integration | None:
    """The live integration with this key, or None (callers say nothing about why)."""
    if not key or len(key) > 200:
        return None
    digest = hash_key(key)
    integration = session.scalar(select(Integration).where(Integration.key_hash == digest))
    if integration is None or integration.revoked_at is not None:
        return None
    if not hmac.compare_digest(integration.key_hash, digest):
        return None
    return integration
