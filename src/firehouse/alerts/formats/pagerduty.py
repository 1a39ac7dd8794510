"""PagerDuty Events API v2 (`/v2/enqueue`, `/v2/change/enqueue`) and the legacy v1
generic events API (`/generic/2010-04-15/create_event.json`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firehouse.alerts.formats import FormatError, capped, links_of, obj, opt_obj, text, timestamp
from firehouse.alerts.service.inputs import Action, AlertInput

ACTIONS: dict[str, Action] = {
    "trigger": "trigger",
    "acknowledge": "acknowledge",
    "resolve": "resolve",
}
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass(frozen=True)
class Event:
    routing_key: str
    dedup_key: str
    alert: AlertInput


def routing_key_of(body: Any, name: str = "routing_key") -> str:
    if not isinstance(body, dict):
        raise FormatError("body", "must be an object")
    return text(body.get(name), name, required=True, limit=200)


def _flat(details: Any) -> dict[str, Any]:
    if details is None:
        return {}
    if isinstance(details, dict):
        return dict(details)
    return {"details": details}


def parse_v2(body: Any) -> Event:
    event = obj(body, "body")
    key = routing_key_of(event)
    action_name = text(event.get("event_action"), "event_action", required=True)
    if action_name not in ACTIONS:
        raise FormatError("event_action", "must be trigger, acknowledge or resolve")
    action = ACTIONS[action_name]
    dedup = text(event.get("dedup_key"), "dedup_key", limit=255)
    if action != "trigger" and not dedup:
        raise FormatError("dedup_key", f"is required to {action_name}")
    links = links_of(event.get("links"), "links")
    if action != "trigger":
        return Event(key, dedup, AlertInput(fingerprint=dedup, action=action, raw=capped(event)))
    payload = obj(event.get("payload"), "payload")
    summary = text(payload.get("summary"), "payload.summary", required=True, limit=1024)
    source = text(payload.get("source"), "payload.source", required=True, limit=255)
    severity = text(payload.get("severity"), "payload.severity", required=True)
    if severity not in SEVERITIES:
        raise FormatError("payload.severity", "must be critical, error, warning or info")
    timestamp(payload.get("timestamp"), "payload.timestamp")
    found: dict[str, str] = {"source": source, "severity": severity}
    for name in ("component", "group", "class"):
        value = text(payload.get(name), f"payload.{name}", limit=255)
        if value:
            found[name] = value
    found.setdefault("alertname", found.get("class") or summary[:255])
    if "component" in found:
        found.setdefault("service", found["component"])
    client_url = text(event.get("client_url"), "client_url", limit=2000)
    if client_url:
        links.append({"href": client_url, "text": text(event.get("client"), "client") or "Client"})
    dedup = dedup or uuid.uuid4().hex
    return Event(
        key,
        dedup,
        AlertInput(
            fingerprint=dedup,
            action="trigger",
            summary=summary,
            sender_severity=severity,
            source=source,
            labels=found,
            annotations=_flat(payload.get("custom_details")),
            links=links,
            starts_at=timestamp(payload.get("timestamp"), "payload.timestamp"),
            raw=capped(event),
        ),
    )


def parse_v1(body: Any) -> Event:
    event = obj(body, "body")
    key = routing_key_of(event, "service_key")
    kind = text(event.get("event_type"), "event_type", required=True)
    if kind not in ACTIONS:
        raise FormatError("event_type", "must be trigger, acknowledge or resolve")
    action = ACTIONS[kind]
    incident_key = text(event.get("incident_key"), "incident_key", limit=255)
    if action != "trigger":
        if not incident_key:
            raise FormatError("incident_key", f"is required to {kind}")
        return Event(key, incident_key, AlertInput(incident_key, action, raw=capped(event)))
    description = text(event.get("description"), "description", required=True, limit=1024)
    links = []
    client_url = text(event.get("client_url"), "client_url", limit=2000)
    if client_url:
        links.append({"href": client_url, "text": text(event.get("client"), "client") or "Client"})
    incident_key = incident_key or uuid.uuid4().hex
    return Event(
        key,
        incident_key,
        AlertInput(
            fingerprint=incident_key,
            action="trigger",
            summary=description,
            source=text(event.get("client"), "client", limit=255),
            labels={"alertname": description[:255]},
            annotations=_flat(event.get("details")),
            links=links,
            raw=capped(event),
        ),
    )


@dataclass(frozen=True)
class Change:
    routing_key: str
    summary: str
    source: str
    occurred_at: datetime | None
    details: dict[str, Any]
    links: list[dict[str, str]]


def parse_change(body: Any) -> Change:
    event = obj(body, "body")
    key = routing_key_of(event)
    payload = obj(event.get("payload"), "payload")
    return Change(
        routing_key=key,
        summary=text(payload.get("summary"), "payload.summary", required=True, limit=1024),
        source=text(payload.get("source"), "payload.source", limit=255),
        occurred_at=timestamp(payload.get("timestamp"), "payload.timestamp"),
        details=opt_obj(payload.get("custom_details"), "payload.custom_details"),
        links=links_of(event.get("links"), "links"),
    )
