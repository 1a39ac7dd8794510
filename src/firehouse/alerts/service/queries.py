"""Reading alerts, and what a person does to one (acknowledge, resolve), audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.alerts.models import Alert, AlertEvent, AlertStatus
from firehouse.alerts.service import intake
from firehouse.alerts.service.home import visible_alerts
from firehouse.audit import service as audit
from firehouse.errors import Conflict, NotFound


@dataclass(frozen=True)
class AlertFilter:
    status: list[AlertStatus] | None = None
    integration_id: int | None = None
    incident_id: int | None = None
    fingerprint: str | None = None
    open_only: bool = False
    before_id: int | None = None
    limit: int = 100
    severity: str | None = None
    text: str | None = None  # in the summary, fingerprint or source


def list_alerts(session: Session, flt: AlertFilter, *, actor: Actor | None = None) -> list[Alert]:
    """Newest first; with `actor`, only alerts outside incidents or in incidents they may see."""
    query = select(Alert).order_by(Alert.id.desc()).limit(min(max(flt.limit, 1), 500))
    if actor is not None:
        query = query.where(visible_alerts(actor))
    if flt.severity:
        query = query.where(Alert.severity == flt.severity)
    if flt.text:
        like = "%" + flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Alert.summary.ilike(like, escape="\\"),
                Alert.fingerprint.ilike(like, escape="\\"),
                Alert.source.ilike(like, escape="\\"),
            )
        )
    if flt.status:
        query = query.where(Alert.status.in_(flt.status))
    if flt.integration_id is not None:
        query = query.where(Alert.integration_id == flt.integration_id)
    if flt.incident_id is not None:
        query = query.where(Alert.incident_id == flt.incident_id)
    if flt.fingerprint:
        query = query.where(Alert.fingerprint == flt.fingerprint)
    if flt.open_only:
        query = query.where(Alert.resolved_at.is_(None))
    if flt.before_id is not None:
        query = query.where(Alert.id < flt.before_id)
    return list(session.scalars(query).all())


def get_alert(session: Session, alert_id: int, *, for_update: bool = False) -> Alert:
    query = select(Alert).where(Alert.id == alert_id)
    if for_update:
        query = query.with_for_update()
    alert = session.scalar(query)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    return alert


def get_visible_alert(session: Session, alert_id: int, *, actor: Actor) -> Alert:
    """The alert, or NotFound also when it is in an incident `actor` may not see."""
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, visible_alerts(actor)))
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    return alert


def history(session: Session, alert_id: int) -> list[AlertEvent]:
    return list(
        session.scalars(
            select(AlertEvent)
            .where(AlertEvent.alert_id == alert_id)
            .order_by(AlertEvent.at, AlertEvent.id)
        ).all()
    )


def act_on_alert(session: Session, *, actor: Actor, alert_id: int, action: str) -> Alert:
    """A person acknowledges or resolves an alert."""
    require_writer(actor)
    get_visible_alert(session, alert_id, actor=actor)
    alert = get_alert(session, alert_id, for_update=True)
    before = {"status": alert.status.value}
    now = clock.now(session)
    who = f"user:{actor.handle}"
    if action == "acknowledge":
        done = intake.acknowledge_alert(session, alert, now=now, actor=who)
    else:
        done = intake.resolve_alert(session, alert, now=now, actor=who)
    if not done:
        raise Conflict(
            f"alert {alert_id} is {alert.status.value}; it cannot {action}",
            details={"status": alert.status.value},
        )
    audit.record(
        session,
        actor=actor,
        action=f"alert.{action}",
        target_type="alert",
        target_id=alert.id,
        before=before,
        after={"status": alert.status.value},
    )
    return alert
