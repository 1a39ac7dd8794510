"""The state machine of alerts: apply normalised inputs to the database, in one transaction.

Called by the group-commit writer (many requests per transaction) and by jobs. On SQLite the
transaction holds the write lock from BEGIN, so looking for the open alert and inserting it is
atomic; on PostgreSQL the partial unique index decides, and a losing insert joins the winner.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.alerts.models import Alert, AlertEvent, AlertStatus, Integration, RuleAction
from firehouse.alerts.service import grouping, routing, silences
from firehouse.alerts.service.bulk_insert import postgres_insert, sqlite_insert
from firehouse.alerts.service.inputs import AlertInput, IntegrationInfo, Outcome, capped
from firehouse.alerts.service.lookup import select_open
from firehouse.alerts.service.storm import StormState
from firehouse.incidents.models import OPEN_STATUSES, Incident
from firehouse.incidents.service.timeline import append_entry
from firehouse.web.live import publish_after_commit

OPEN = (AlertStatus.triggered, AlertStatus.acknowledged, AlertStatus.suppressed)
ALERTS = cast(Table, Alert.__table__)  # Core inserts: the ORM per-row bookkeeping is the cost
EVENTS = cast(Table, AlertEvent.__table__)


@dataclass
class Batch:
    """What one transaction loads once, however many alerts it applies."""

    session: Session
    now: datetime
    _rules: list[routing.CompiledRule] | None = None
    _silences: list[silences.ActiveSilence] | None = None
    _maintenance: frozenset[int] | None = None
    storms: dict[int, StormState] = field(default_factory=dict)
    groups: dict[str, Incident | None] = field(default_factory=dict)
    # incident id -> (alert id, label) of the alerts that joined it in this batch
    joined: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def start(cls, session: Session) -> Batch:
        return cls(session, clock.now(session))

    @property
    def rules(self) -> list[routing.CompiledRule]:
        if self._rules is None:
            self._rules = routing.load_rules(self.session)
        return self._rules

    @property
    def silences(self) -> list[silences.ActiveSilence]:
        if self._silences is None:
            self._silences = silences.active_silences(self.session, self.now)
        return self._silences

    @property
    def maintenance(self) -> frozenset[int]:
        if self._maintenance is None:
            self._maintenance = silences.services_in_maintenance(self.session, self.now)
        return self._maintenance

    def storm(self, integration_id: int) -> StormState:
        state = self.storms.get(integration_id)
        if state is None:
            query = select(Integration).where(Integration.id == integration_id)
            if self.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            row = self.session.scalar(query)
            assert row is not None
            state = self.storms[integration_id] = StormState(self.session, row, self.now)
        return state

    def finish(self) -> None:
        """One timeline entry per incident for the alerts that joined it in this batch."""
        for incident_id, alerts in self.joined.items():
            if not alerts:
                continue
            known = {i.id: i for i in self.groups.values() if i is not None}
            incident = known.get(incident_id) or grouping.open_incident_of(
                self.session, incident_id
            )
            if incident is None or incident.status not in OPEN_STATUSES:
                continue
            names = ", ".join(label for _, label in alerts[:5])
            more = f" and {len(alerts) - 5} more" if len(alerts) > 5 else ""
            append_entry(
                self.session,
                incident,
                actor=Actor.system("alerts"),
                kind="alerts_joined",
                body=f"{len(alerts)} alert(s) joined: {names}{more}",
                data={"alert_ids": [alert_id for alert_id, _ in alerts[:100]]},
            )
        self.joined.clear()


def _event(
    session: Session, alert: Alert, kind: str, at: datetime, actor: str, **data: Any
) -> None:
    session.add(AlertEvent(alert_id=alert.id, kind=kind, at=at, actor=actor, data=data))


def _announce(session: Session) -> None:
    """Tell open pages that alerts changed, once per transaction (the same event is merged);
    exact repeats answered from memory never get here."""
    publish_after_commit(session, "alert", {"changed": "alerts"})


def _find_open(session: Session, integration_id: int, fingerprints: list[str]) -> dict[str, Alert]:
    query, _ = select_open(session, integration_id, fingerprints, lock=True)
    return {a.fingerprint: a for a in session.scalars(query)}


def apply_inputs(
    batch: Batch, integration: IntegrationInfo, inputs: list[AlertInput], *, actor: str = ""
) -> list[Outcome]:
    """Apply inputs in order. New alerts are planned in memory and inserted in bulk (one
    statement for all of them), since most of a storm is new alerts."""
    session = batch.session
    who = actor or f"integration:{integration.name}"
    unique = list(dict.fromkeys(i.fingerprint for i in inputs))
    open_alerts = _find_open(session, integration.id, unique) if unique else {}
    outcomes: list[Outcome | None] = []
    planned: dict[str, Planned] = {}
    for item in inputs:
        digest = item.content()
        if item.fingerprint in planned:
            plan = planned[item.fingerprint]
            if item.action == "trigger" and plan.digest == digest:
                plan.row["repeat_count"] += 1
                plan.slots.append(len(outcomes))
                outcomes.append(None)
                continue
            _insert_planned(batch, integration, planned, outcomes, who)
            open_alerts.update(_find_open(session, integration.id, [item.fingerprint]))
            planned = {}
        alert = open_alerts.get(item.fingerprint)
        if item.action == "trigger":
            if alert is None:
                plan = _plan_alert(batch, integration, item, digest, who)
                plan.slots.append(len(outcomes))
                planned[item.fingerprint] = plan
                outcomes.append(None)
                continue
            if alert.content_hash != digest:
                _update_alert(batch, alert, integration, item, digest, who)
            else:
                alert.repeat_count += 1
                alert.last_seen_at = batch.now
                if alert.status == AlertStatus.suppressed:
                    _recheck_suppression(batch, alert, integration, who)
        elif alert is not None and item.action == "acknowledge":
            acknowledge_alert(session, alert, now=batch.now, actor=who)
        elif alert is not None and item.action == "resolve":
            resolve_alert(session, alert, now=batch.now, actor=who)
            del open_alerts[item.fingerprint]
        outcomes.append(_outcome(item.fingerprint, alert, digest))
    if planned:
        _insert_planned(batch, integration, planned, outcomes, who)
    return [o for o in outcomes if o is not None]


def _outcome(fingerprint: str, alert: Alert | None, digest: str) -> Outcome:
    return Outcome(
        fingerprint=fingerprint,
        alert_id=alert.id if alert is not None else None,
        status=alert.status.value if alert is not None else None,
        content_hash=alert.content_hash if alert is not None else digest,
        open=alert is not None and alert.resolved_at is None,
    )


@dataclass
class Planned:
    """A new alert decided in memory, waiting for the bulk insert."""

    item: AlertInput
    digest: str
    row: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    opened: Incident | None = None
    joined: int | None = None
    slots: list[int] = field(default_factory=list)


def _plan_alert(
    batch: Batch, integration: IntegrationInfo, item: AlertInput, digest: str, who: str
) -> Planned:
    route = routing.route(batch.rules, integration_id=integration.id, labels=item.labels)
    row: dict[str, Any] = {
        "integration_id": integration.id,
        "fingerprint": item.fingerprint,
        "status": AlertStatus.triggered,
        "summary": item.summary[:1024],
        "source": item.source[:255],
        "severity": route.severity or integration.severity_for(item.sender_severity),
        "sender_severity": item.sender_severity[:32],
        "labels": item.labels,
        "annotations": item.annotations,
        "links": item.links,
        "raw": capped(item.raw),
        "content_hash": digest,
        "group_key": grouping.group_key(item.labels, route.group_by, item.fingerprint),
        "sender_group_key": item.sender_group_key[:255],
        "generator_url": item.generator_url[:1024],
        "action": route.action,
        "suppressed_by": "",
        "team_id": route.team_id or integration.team_id,
        "service_id": route.service_id or integration.service_id,
        "incident_id": None,
        "rule_id": route.rule_id,
        "starts_at": item.starts_at,
        "first_seen_at": batch.now,
        "last_seen_at": batch.now,
        "repeat_count": 0,
    }
    plan = Planned(item, digest, row, events=[("triggered", {})])
    silence = next((s for s in batch.silences if s.matches(item.labels)), None)
    if route.action == RuleAction.suppress or silence is not None:
        row["status"] = AlertStatus.suppressed
        row["suppressed_by"] = f"silence:{silence.id}" if silence else "rule"
        plan.events.append(("suppressed", {"by": row["suppressed_by"]}))
        return plan
    if row["service_id"] is not None and row["service_id"] in batch.maintenance:
        row["suppressed_by"] = "maintenance"
        plan.events.append(("recorded", {"reason": "maintenance window"}))
        return plan
    storm = (
        batch.storm(integration.id).on_new_alert(
            batch.session, severity=row["severity"], seen_at=batch.now
        )
        if integration.storm_threshold
        else None
    )
    if storm is not None:
        row["incident_id"] = plan.joined = storm.id
        row["suppressed_by"] = "storm"
        return plan
    key = row["group_key"]
    incident = batch.groups.get(key)
    if incident is None and key not in batch.groups:
        incident = grouping.find_group_incident(
            batch.session, key=key, window_minutes=route.group_window_minutes, now=batch.now
        )
    if incident is not None:
        row["incident_id"] = plan.joined = incident.id
        batch.groups[key] = incident
        plan.events.append(("joined", {"incident_id": incident.id}))
        return plan
    incident = grouping.declare_for_alert(
        batch.session,
        alert=Alert(**row),
        integration_name=integration.name,
        incident_type=route.incident_type,
        title=item.summary or item.labels.get("alertname", "") or item.fingerprint,
    )
    row["incident_id"] = incident.id
    batch.groups[key] = incident
    plan.opened = incident
    plan.events.append(("opened_incident", {"incident_id": incident.id}))
    if route.action == RuleAction.page:
        grouping.page(
            batch.session,
            incident_id=incident.id,
            policy_id=route.escalation_policy_id,
            urgency="high",
            reason=f"alert: {item.summary}"[:500],
        )
    return plan


def _insert_planned(
    batch: Batch,
    integration: IntegrationInfo,
    planned: dict[str, Planned],
    outcomes: list[Outcome | None],
    who: str,
) -> None:
    """One INSERT for every planned alert; on PostgreSQL a fingerprint another instance opened
    meanwhile is skipped by the partial unique index and applied to the winner instead."""
    session = batch.session
    plans = list(planned.values())
    if session.get_bind().dialect.name == "postgresql":
        ids = dict(
            postgres_insert(
                session,
                ALERTS,
                [p.row for p in plans],
                returning="fingerprint, id",
                # the partial unique index of open alerts (uq_alerts_open_fingerprint)
                on_conflict="(integration_id, fingerprint) WHERE resolved_at IS NULL DO NOTHING",
            )
        )
    else:
        ids = dict(sqlite_insert(session, ALERTS, [p.row for p in plans], "fingerprint, id"))
    events = []
    for plan in plans:
        alert_id = ids.get(plan.item.fingerprint)
        if alert_id is None:
            winner = _find_open(session, integration.id, [plan.item.fingerprint])
            alert = winner[plan.item.fingerprint]
            alert.repeat_count += 1 + plan.row["repeat_count"]
            alert.last_seen_at = batch.now
            for slot in plan.slots:
                outcomes[slot] = _outcome(plan.item.fingerprint, alert, plan.digest)
            continue
        events += [
            {"alert_id": alert_id, "kind": kind, "at": batch.now, "actor": who, "data": data}
            for kind, data in plan.events
        ]
        label = plan.row["summary"] or plan.item.fingerprint
        if plan.joined is not None:
            batch.joined[plan.joined].append((alert_id, label))
        if plan.opened is not None:
            append_entry(
                session,
                plan.opened,
                actor=Actor.system("alerts"),
                kind="alert_opened",
                body=f"Opened by alert: {label}",
                data={"alert_id": alert_id, "fingerprint": plan.item.fingerprint},
            )
        status = plan.row["status"].value
        for slot in plan.slots:
            outcomes[slot] = Outcome(plan.item.fingerprint, alert_id, status, plan.digest, True)
    if events:
        if session.get_bind().dialect.name == "sqlite":
            sqlite_insert(session, EVENTS, events)
        else:
            postgres_insert(session, EVENTS, events)
        _announce(session)


def _dispatch(
    batch: Batch, alert: Alert, integration: IntegrationInfo, route: routing.Route, who: str
) -> None:
    """Suppress, record, or open or join an incident and page, as routing and noise say."""
    session = batch.session
    silence = next((s for s in batch.silences if s.matches(alert.labels)), None)
    if route.action == RuleAction.suppress or silence is not None:
        alert.status = AlertStatus.suppressed
        alert.suppressed_by = f"silence:{silence.id}" if silence else "rule"
        _event(session, alert, "suppressed", batch.now, who, by=alert.suppressed_by)
        return
    if alert.service_id is not None and alert.service_id in batch.maintenance:
        alert.suppressed_by = "maintenance"
        _event(session, alert, "recorded", batch.now, who, reason="maintenance window")
        return
    storm = (
        batch.storm(integration.id).on_new_alert(
            session, severity=alert.severity, seen_at=batch.now
        )
        if integration.storm_threshold
        else None
    )
    if storm is not None:
        alert.incident_id = storm.id
        alert.suppressed_by = "storm"
        batch.joined[storm.id].append((alert.id, alert.summary or alert.fingerprint))
        return
    incident = batch.groups.get(alert.group_key)
    if incident is None and alert.group_key not in batch.groups:
        incident = grouping.find_group_incident(
            session,
            key=alert.group_key,
            window_minutes=route.group_window_minutes,
            now=batch.now,
        )
    if incident is not None:
        alert.incident_id = incident.id
        batch.groups[alert.group_key] = incident
        batch.joined[incident.id].append((alert.id, alert.summary or alert.fingerprint))
        _event(session, alert, "joined", batch.now, who, incident_id=incident.id)
        return
    incident = grouping.declare_for_alert(
        session,
        alert=alert,
        integration_name=integration.name,
        incident_type=route.incident_type,
        title=alert.summary or alert.labels.get("alertname", "") or alert.fingerprint,
    )
    alert.incident_id = incident.id
    batch.groups[alert.group_key] = incident
    grouping.note_on_incident(
        session,
        incident,
        kind="alert_opened",
        body=f"Opened by alert: {alert.summary}",
        alert=alert,
    )
    _event(session, alert, "opened_incident", batch.now, who, incident_id=incident.id)
    if route.action == RuleAction.page:
        urgency = "high"
        grouping.page(
            session,
            incident_id=incident.id,
            policy_id=route.escalation_policy_id,
            urgency=urgency,
            reason=f"alert: {alert.summary}"[:500],
        )


def _recheck_suppression(
    batch: Batch, alert: Alert, integration: IntegrationInfo, who: str
) -> None:
    """A silenced alert still firing after its silence ended is routed as if new."""
    if not alert.suppressed_by.startswith("silence:"):
        return
    if any(s.matches(alert.labels) for s in batch.silences):
        return
    alert.status = AlertStatus.triggered
    alert.suppressed_by = ""
    _event(batch.session, alert, "unsuppressed", batch.now, who)
    _announce(batch.session)
    route = routing.route(batch.rules, integration_id=integration.id, labels=alert.labels)
    _dispatch(batch, alert, integration, route, who)


def _update_alert(
    batch: Batch,
    alert: Alert,
    integration: IntegrationInfo,
    item: AlertInput,
    digest: str,
    who: str,
) -> None:
    changed = [
        name
        for name, new in (
            ("summary", item.summary[:1024]),
            ("sender_severity", item.sender_severity[:32]),
            ("labels", item.labels),
            ("annotations", item.annotations),
            ("links", item.links),
        )
        if getattr(alert, name) != new
    ]
    alert.summary = item.summary[:1024]
    alert.source = item.source[:255]
    alert.sender_severity = item.sender_severity[:32]
    alert.labels = item.labels
    alert.annotations = item.annotations
    alert.links = item.links
    alert.raw = capped(item.raw)
    alert.generator_url = item.generator_url[:1024]
    alert.content_hash = digest
    alert.repeat_count += 1
    alert.last_seen_at = batch.now
    _event(batch.session, alert, "updated", batch.now, who, fields=changed)
    _announce(batch.session)
    if alert.status == AlertStatus.suppressed:
        _recheck_suppression(batch, alert, integration, who)


def acknowledge_alert(session: Session, alert: Alert, *, now: datetime, actor: str) -> bool:
    if alert.status != AlertStatus.triggered:
        return False
    alert.status = AlertStatus.acknowledged
    alert.acknowledged_at = now
    _event(session, alert, "acknowledged", now, actor)
    _announce(session)
    return True


def resolve_alert(session: Session, alert: Alert, *, now: datetime, actor: str) -> bool:
    if alert.resolved_at is not None:
        return False
    alert.status = AlertStatus.resolved
    alert.resolved_at = now
    alert.last_seen_at = now
    session.flush()
    _event(session, alert, "resolved", now, actor)
    _announce(session)
    grouping.after_alert_resolved(session, alert)
    return True
