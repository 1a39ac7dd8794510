"""Prometheus Alertmanager: the webhook (version 4) and the `POST /api/v2/alerts` API that
Prometheus itself sends to. Grafana's alerting webhook has the same shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

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

LINK_FIELDS = (("dashboardURL", "Dashboard"), ("panelURL", "Panel"), ("silenceURL", "Silence"))


# Parsed alerts by their exact JSON less `endsAt`: Prometheus sends every firing alert again
# each evaluation, the same but for an `endsAt` moved forward, and a repeat should cost little.
MAX_REMEMBERED = 20_000
_parsed: dict[bytes, AlertInput] = {}


def _one(
    raw: Any,
    field: str,
    *,
    now: datetime,
    group_key: str,
    use_sender_fingerprint: bool,
) -> AlertInput:
    alert = obj(raw, field)
    try:
        key = orjson.dumps({k: v for k, v in alert.items() if k != "endsAt"})
    except TypeError:  # integers past 64 bits: parsed the long way, never remembered
        key = b""
    if use_sender_fingerprint:
        key += b"\x00sender-fingerprint"
    known = _parsed.get(key) if key else None
    if known is not None:
        return _again(known, alert, field, now=now, group_key=group_key)
    parsed = _parse(
        alert, field, now=now, group_key=group_key, use_sender_fingerprint=use_sender_fingerprint
    )
    if key:
        if len(_parsed) >= MAX_REMEMBERED:
            _parsed.clear()
        _parsed[key] = _remembered(parsed)
    return parsed


def _remembered(parsed: AlertInput) -> AlertInput:
    """What the memo keeps: everything but the sender's payload, which differs each time."""
    parsed.content()
    return parsed.redelivered(action=parsed.action, sender_group_key="", raw=None)


def _again(
    known: AlertInput, alert: dict[str, Any], field: str, *, now: datetime, group_key: str
) -> AlertInput:
    """A delivery equal to one parsed before but for `endsAt`, which still decides."""
    action = known.action
    if alert.get("status") is None:
        ends = timestamp(alert.get("endsAt"), f"{field}.endsAt")
        action = "resolve" if ends is not None and ends <= now else "trigger"
    return known.redelivered(action=action, sender_group_key=group_key, raw=alert)


def _parse(
    alert: dict[str, Any],
    field: str,
    *,
    now: datetime,
    group_key: str,
    use_sender_fingerprint: bool,
) -> AlertInput:
    get = alert.get  # one alert is read field by field; a storm is many alerts
    found = labels(get("labels"), f"{field}.labels", required=True)
    notes = labels(get("annotations"), f"{field}.annotations")
    starts = timestamp(get("startsAt"), f"{field}.startsAt")
    ends = timestamp(get("endsAt"), f"{field}.endsAt")
    state = get("status")
    if state is not None:
        state = text(state, f"{field}.status") or None
        if state is not None and state not in ("firing", "resolved"):
            raise FormatError(f"{field}.status", "must be firing or resolved")
    resolved = state == "resolved" if state is not None else (ends is not None and ends <= now)
    fingerprint = label_fingerprint(found)
    if use_sender_fingerprint:
        given = text(get("fingerprint"), f"{field}.fingerprint", limit=255)
        fingerprint = given or fingerprint
    else:
        text(get("fingerprint"), f"{field}.fingerprint", limit=255)
    generator = text(get("generatorURL"), f"{field}.generatorURL", limit=2000)
    links = [{"href": generator, "text": "Source"}] if generator else []
    for key, name in LINK_FIELDS:
        value = get(key)
        if value and isinstance(value, str):
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
        _one(a, f"{i}", now=now, group_key="", use_sender_fingerprint=False)
        for i, a in enumerate(body)
    ]
