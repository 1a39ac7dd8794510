"""Firehouse's own JSON format, for scripts and anything without a format of its own.

    {"summary": "Disk full on db-1", "severity": "critical", "source": "db-1",
     "dedup_key": "disk-db-1", "action": "trigger", "labels": {"service": "db"},
     "links": [{"href": "https://grafana/d/1", "text": "Dashboard"}]}

`summary` is required to trigger; `action` is trigger (default), acknowledge or resolve;
without a `dedup_key` the fingerprint of the labels (plus the summary) is the key. A body may
also be `{"alerts": [ ... ]}` with up to 1000 of these.
"""

from __future__ import annotations

from typing import Any

from firehouse.alerts.formats import (
    FormatError,
    capped,
    labels,
    links_of,
    obj,
    opt_obj,
    text,
    timestamp,
)
from firehouse.alerts.service.fingerprint import label_fingerprint
from firehouse.alerts.service.inputs import Action, AlertInput

MAX_ALERTS = 1000
ACTIONS: tuple[Action, ...] = ("trigger", "acknowledge", "resolve")


def _one(raw: Any, field: str) -> AlertInput:
    event = obj(raw, field or "body")
    prefix = f"{field}." if field else ""
    action_name = text(event.get("action"), f"{prefix}action") or "trigger"
    action = next((a for a in ACTIONS if a == action_name), None)
    if action is None:
        raise FormatError(f"{prefix}action", "must be trigger, acknowledge or resolve")
    dedup = text(event.get("dedup_key"), f"{prefix}dedup_key", limit=255)
    found = labels(event.get("labels"), f"{prefix}labels")
    summary = text(
        event.get("summary"),
        f"{prefix}summary",
        required=action == "trigger" and not dedup,
        limit=1024,
    )
    if action == "trigger" and not summary:
        raise FormatError(f"{prefix}summary", "is required")
    if not dedup:
        if action != "trigger":
            raise FormatError(f"{prefix}dedup_key", f"is required to {action}")
        dedup = label_fingerprint({**found, "__summary__": summary})
    severity = text(event.get("severity"), f"{prefix}severity", limit=32)
    found.setdefault("alertname", summary[:255])
    return AlertInput(
        fingerprint=dedup,
        action=action,
        summary=summary,
        sender_severity=severity,
        source=text(event.get("source"), f"{prefix}source", limit=255),
        labels=found,
        annotations=opt_obj(event.get("details"), f"{prefix}details"),
        links=links_of(event.get("links"), f"{prefix}links"),
        starts_at=timestamp(event.get("time"), f"{prefix}time"),
        raw=capped(event),
    )


def parse(body: Any) -> list[AlertInput]:
    if isinstance(body, dict) and "alerts" in body:
        alerts = body["alerts"]
        if not isinstance(alerts, list):
            raise FormatError("alerts", "must be a list")
        if len(alerts) > MAX_ALERTS:
            raise FormatError("alerts", f"at most {MAX_ALERTS} alerts a request")
        return [_one(a, f"alerts.{i}") for i, a in enumerate(alerts)]
    return [_one(body, "")]
