"""Helpers shared by the alerts tests: integrations made through the service, payloads."""

from __future__ import annotations

from typing import Any

from firehouse.actor import Actor
from firehouse.alerts import service as alerts
from firehouse.db import Database


def make_integration(
    database: Database, name: str = "prom", type: str = "alertmanager", **kw: Any
) -> tuple[int, str]:
    with database.session() as session:
        created = alerts.create_integration(
            session, actor=Actor.system("test"), name=name, type=type, **kw
        )
        return created.integration.id, created.key


def am_alert(
    name: str = "HighLatency",
    *,
    status: str = "firing",
    summary: str = "p99 latency above 2s",
    **labels: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "severity": "critical", **labels},
        "annotations": {"summary": summary},
        "startsAt": "2026-03-02T08:59:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-02T09:01:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": "ignored",
    }


def am_webhook(
    *alerts_: dict[str, Any], group_key: str = '{}:{alertname="HighLatency"}'
) -> dict[str, Any]:
    status = "firing" if any(a["status"] == "firing" for a in alerts_) else "resolved"
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "firehouse",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts_),
    }
