"""Grafana alerting's webhook contact point: Alertmanager's webhook shape plus Grafana's own
fields (its fingerprint, dashboard, panel and silence links)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from firehouse.alerts.formats.alertmanager import parse_webhook
from firehouse.alerts.service.inputs import AlertInput


def parse(body: Any, *, now: datetime) -> list[AlertInput]:
    return parse_webhook(body, now=now, grafana=True)
