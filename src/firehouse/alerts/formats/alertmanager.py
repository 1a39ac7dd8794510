"""Prometheus Alertmanager: the webhook (version 4) and the `POST /api/v2/alerts` API that
Prometheus itself sends to. Grafana's alerting webhook has the same shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from firehouse.alerts.formats import (
    FormatError,
    labels,
    obj,
    opt_obj,
    text,
    timestamp,
)
from firehouse.alerts.service.fingerprint import label_fingerprint
from firehouse.alerts.service.inputs import AlertInput


def _one(
    raw: Any,
    field: str,
    *,
    now: datetime,
    status: str | None,
    group_key: str,
    use_sender_fingerprint: bool,
) -> AlertInput:
    alert = obj(raw, field)
    found = labels(alert.get("labels"), f"{field}.labels", required=True)
    notes = labels(alert.get("annotations"), f"{field}.annotations")
    starts = timestamp(alert.get("startsAt"), f"{field}.startsAt")
    ends = timestamp(alert.get("endsAt"), f"{field}.endsAt")
    state = text(alert.get("status"), f"{field}.status") or status
    if state is not None and state not in ("firing", "resolved"):
        raise FormatError(f"{field}.status", "must be firing or resolved")
    resolved = state == "resolved" if state is not None else (ends is not None and ends <= now)
    fingerprint = label_fingerprint(found)
    given = text(alert.get("fingerprint"), f"{field}.fingerprint", limit=255)
    if use_sender_fingerprint and given:
        fingerprint = given
    links = []
    generator = text(alert.get("generatorURL"), f"{field}.generatorURL", limit=2000)
    if generator:
        links.append({"href": generator, "text": "Source"})
    for key, name in (
        ("dashboardURL", "Dashboard"),
        ("panelURL", "Panel"),
        ("silenceURL", "Silence"),
    ):
        value = alert.get(key)
        if isinstance(value, str) and value:
            links.append({"href": value[:2000], "text": name})
    return AlertInput(
        fingerprint=fingerprint,
        action="resolve" if resolved else "trigger",
        summary=notes.get("summary") or notes.get("description") or found.get("alertname", ""),
        sender_severity=found.get("severity", ""),
        source=found.get("instance", "") or found.get("job", ""),
        labels=found,
        annotations=notes,
        links=links,
        starts_at=starts,
        generator_url=generator,
        sender_group_key=group_key,
        raw=alert,
    )


def parse_webhook(body: Any, *, now: datetime, grafana: bool = False) -> list[AlertInput]:
    """An Alertmanager webhook notification: one input per alert, firing or resolved each."""
    message = obj(body, "body")
    if not grafana:
        version = message.get("version")
        if version is not None and str(version) != "4":
            raise FormatError("version", "only webhook version 4 is supported")
    alerts = message.get("alerts")
    if not isinstance(alerts, list):
        raise FormatError("alerts", "is required and must be a list")
    group_key = text(message.get("groupKey"), "groupKey", limit=10_000)[:255]
    opt_obj(message.get("commonLabels"), "commonLabels")
    return [
        _one(
            a,
            f"alerts.{i}",
            now=now,
            status=None,
            group_key=group_key,
            use_sender_fingerprint=grafana,
        )
        for i, a in enumerate(alerts)
    ]


def parse_api_alerts(body: Any, *, now: datetime) -> list[AlertInput]:
    """`POST /api/v2/alerts`: a list of postable alerts; an `endsAt` in the past resolves."""
    if not isinstance(body, list):
        raise FormatError("body", "must be a list of alerts")
    return [
        _one(a, f"{i}", now=now, status=None, group_key="", use_sender_fingerprint=False)
        for i, a in enumerate(body)
    ]
