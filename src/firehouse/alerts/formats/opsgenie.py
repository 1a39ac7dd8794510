"""Opsgenie Alert API: `POST /v2/alerts` (create) with `alias` as the dedup key."""

from __future__ import annotations

from typing import Any

from firehouse.alerts.formats import FormatError, capped, obj, text
from firehouse.alerts.service.inputs import AlertInput

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


def parse_create(body: Any) -> AlertInput:
    alert = obj(body, "body")
    message = text(alert.get("message"), "message", required=True, limit=130)
    alias = text(alert.get("alias"), "alias", limit=512)
    priority = text(alert.get("priority"), "priority") or "P3"
    if priority not in PRIORITIES:
        raise FormatError("priority", "must be one of P1, P2, P3, P4, P5")
    tags = alert.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FormatError("tags", "must be a list of strings")
    details = alert.get("details") or {}
    if not isinstance(details, dict):
        raise FormatError("details", "must be an object")
    found = {str(k): str(v) for k, v in details.items()}
    found["alertname"] = message
    entity = text(alert.get("entity"), "entity", limit=512)
    if entity:
        found.setdefault("service", entity)
    source = text(alert.get("source"), "source", limit=100)
    description = text(alert.get("description"), "description", limit=15_000)
    annotations: dict[str, Any] = {"description": description} if description else {}
    if tags:
        annotations["tags"] = tags
    return AlertInput(
        fingerprint=(alias or message)[:255],
        action="trigger",
        summary=message,
        sender_severity=priority,
        source=source,
        labels=found,
        annotations=annotations,
        raw=capped(alert),
    )
