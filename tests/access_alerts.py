"""Access rules for alert intake: the management API, and the sender endpoints (public routes
authenticated by the integration key)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import ADMIN_WRITE, MANAGER, PUBLIC, RESPONDER, SIGNED_IN, Call, DomainTable
from tests.alerts_helpers import make_integration

END = "2026-03-02T12:00:00+00:00"
AM_ALERT = {
    "status": "firing",
    "labels": {"alertname": "A", "service": "api"},
    "annotations": {"summary": "a"},
    "startsAt": "2026-03-02T08:59:00Z",
    "endsAt": "0001-01-01T00:00:00Z",
}


def _setup(world: Any) -> None:
    client, admin = world.client, world.callers["admin"]
    iid, key = make_integration(world.database, name="access")
    spare, _ = make_integration(world.database, name="spare", type="generic")
    r = client.post("/api/v1/services", json={"slug": "api", "name": "API"}, headers=admin.headers)
    assert r.status_code == 201, r.text
    r = client.post(
        f"/integrations/{key}/alertmanager", json={"version": "4", "alerts": [AM_ALERT]}
    )
    assert r.status_code == 200, r.text
    alert = client.get("/api/v1/alerts", headers=admin.headers).json()[0]
    rules = [
        client.post(
            "/api/v1/routing-rules",
            json={"name": f"r{i}", "matchers": ["team=x"], "action": "record"},
            headers=admin.headers,
        ).json()
        for i in range(2)
    ]
    silence = client.post(
        "/api/v1/silences",
        json={"matchers": [{"name": "a", "value": "b"}], "ends_at": END, "comment": "c"},
        headers=admin.headers,
    ).json()
    window = client.post(
        "/api/v1/maintenance-windows",
        json={"service": "api", "ends_at": END},
        headers=admin.headers,
    ).json()
    heartbeat = client.post(
        "/api/v1/heartbeats",
        json={"integration_id": iid, "name": "cron", "interval_minutes": 5},
        headers=admin.headers,
    ).json()
    world.values.update(
        {
            "key": key,
            "integration_id": str(iid),
            "spare_integration": str(spare),
            "alert_id": str(alert["id"]),
            "alias": alert["fingerprint"],
            "rule_id": str(rules[0]["id"]),
            "rule_spare": str(rules[1]["id"]),
            "silence_id": silence["id"],
            "window_id": str(window["id"]),
            "heartbeat_id": str(heartbeat["id"]),
        }
    )


PD = {
    "routing_key": "{key}",
    "event_action": "trigger",
    "payload": {"summary": "s", "source": "h", "severity": "info"},
}

TABLE = DomainTable(
    expected={
        ("GET", "/api/v1/integrations"): Call(SIGNED_IN),
        ("POST", "/api/v1/integrations"): Call(
            ADMIN_WRITE, json={"name": "new", "type": "generic"}
        ),
        ("PATCH", "/api/v1/integrations/{integration_id}"): Call(
            ADMIN_WRITE, json={"storm_threshold": 100}
        ),
        ("DELETE", "/api/v1/integrations/{integration_id}"): Call(
            ADMIN_WRITE, path="/api/v1/integrations/{spare_integration}"
        ),
        ("POST", "/api/v1/integrations/{integration_id}/release-storm"): Call(RESPONDER),
        ("GET", "/api/v1/alerts"): Call(SIGNED_IN),
        ("GET", "/api/v1/alerts/{alert_id}"): Call(SIGNED_IN),
        ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): Call(RESPONDER),
        ("POST", "/api/v1/alerts/{alert_id}/resolve"): Call(RESPONDER),
        ("GET", "/api/v1/routing-rules"): Call(SIGNED_IN),
        ("POST", "/api/v1/routing-rules"): Call(
            MANAGER, json={"name": "n", "matchers": ["a=b"], "action": "page"}
        ),
        ("PATCH", "/api/v1/routing-rules/{rule_id}"): Call(MANAGER, json={"enabled": False}),
        ("DELETE", "/api/v1/routing-rules/{rule_id}"): Call(
            MANAGER, path="/api/v1/routing-rules/{rule_spare}"
        ),
        ("GET", "/api/v1/silences"): Call(SIGNED_IN),
        ("POST", "/api/v1/silences"): Call(
            RESPONDER,
            json={"matchers": [{"name": "x", "value": "y"}], "ends_at": END, "comment": "z"},
        ),
        ("DELETE", "/api/v1/silences/{silence_id}"): Call(RESPONDER),
        ("GET", "/api/v1/maintenance-windows"): Call(SIGNED_IN),
        ("POST", "/api/v1/maintenance-windows"): Call(
            RESPONDER, json={"service": "api", "ends_at": END}
        ),
        ("DELETE", "/api/v1/maintenance-windows/{window_id}"): Call(RESPONDER),
        ("GET", "/api/v1/heartbeats"): Call(SIGNED_IN),
        ("POST", "/api/v1/heartbeats"): Call(
            MANAGER,
            json={"integration_id": "{integration_id}", "name": "other", "interval_minutes": 5},
        ),
        ("DELETE", "/api/v1/heartbeats/{heartbeat_id}"): Call(MANAGER),
        ("GET", "/api/v1/changes"): Call(SIGNED_IN),
        ("GET", "/api/v1/incidents/{ref}/changes"): Call(SIGNED_IN),
        # senders: the integration key is the credential
        ("POST", "/integrations/{key}/alertmanager"): Call(
            PUBLIC, json={"version": "4", "alerts": [AM_ALERT]}
        ),
        ("POST", "/integrations/{key}/grafana"): Call(PUBLIC, json={"alerts": [AM_ALERT]}),
        ("POST", "/integrations/{key}/generic"): Call(PUBLIC, json={"summary": "s"}),
        ("POST", "/integrations/{key}/changes"): Call(PUBLIC, json={"summary": "deployed"}),
        ("POST", "/integrations/{key}/heartbeats/{name}"): Call(
            PUBLIC, path="/integrations/{key}/heartbeats/cron"
        ),
        ("POST", "/api/v2/alerts"): Call(PUBLIC, path="/api/v2/alerts?key={key}", json=None),
        ("POST", "/v2/enqueue"): Call(PUBLIC, json=PD),
        ("POST", "/generic/2010-04-15/create_event.json"): Call(
            PUBLIC, json={"service_key": "{key}", "event_type": "trigger", "description": "d"}
        ),
        ("POST", "/v2/change/enqueue"): Call(
            PUBLIC, json={"routing_key": "{key}", "payload": {"summary": "deployed"}}
        ),
        ("POST", "/v2/alerts"): Call(PUBLIC, path="/v2/alerts?key={key}", json={"message": "m"}),
        ("POST", "/v2/alerts/{identifier}/acknowledge"): Call(
            PUBLIC, path="/v2/alerts/{alias}/acknowledge?identifierType=alias&key={key}"
        ),
        ("POST", "/v2/alerts/{identifier}/close"): Call(
            PUBLIC, path="/v2/alerts/{alert_id}/close?key={key}"
        ),
    },
    setup=_setup,
)
