"""Access rules for the alert pages: alerts, silences, maintenance windows, integrations and
routing rules."""

from __future__ import annotations

from typing import Any

from tests.access_rules import (
    ADMIN_READ,
    ADMIN_WRITE,
    MANAGER,
    RESPONDER,
    SIGNED_IN,
    Call,
    DomainTable,
)
from tests.alerts_helpers import make_integration

END = "2026-03-02T12:00:00+00:00"


def _setup(world: Any) -> None:
    client, admin = world.client, world.callers["admin"]
    iid, key = make_integration(world.database, name="pages-access", type="generic")
    r = client.post(
        "/api/v1/services", json={"slug": "pages-svc", "name": "Pages"}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    r = client.post(f"/integrations/{key}/generic", json={"summary": "Disk full on db-9"})
    assert r.is_success, r.text
    alert = client.get(f"/api/v1/alerts?integration_id={iid}", headers=admin.headers).json()[0]
    rule = client.post(
        "/api/v1/routing-rules",
        json={"name": "pages-spare", "matchers": ["team=y"], "action": "record"},
        headers=admin.headers,
    ).json()
    silence = client.post(
        "/api/v1/silences",
        json={"matchers": [{"name": "p", "value": "q"}], "ends_at": END, "comment": "c"},
        headers=admin.headers,
    ).json()
    window = client.post(
        "/api/v1/maintenance-windows",
        json={"service": "pages-svc", "ends_at": END},
        headers=admin.headers,
    ).json()
    world.values.update(
        {
            "page_alert": str(alert["id"]),
            "page_rule": str(rule["id"]),
            "page_silence": silence["id"],
            "page_window": str(window["id"]),
        }
    )


TABLE = DomainTable(
    expected={
        ("GET", "/alerts"): Call(SIGNED_IN),
        ("GET", "/alerts/{alert_id}"): Call(SIGNED_IN, path="/alerts/{page_alert}"),
        ("POST", "/alerts/{alert_id}/actions/{action}"): Call(
            RESPONDER, path="/alerts/{page_alert}/actions/acknowledge"
        ),
        ("GET", "/alerts/silences"): Call(SIGNED_IN),
        ("POST", "/alerts/silences"): Call(
            RESPONDER, form={"matchers": "alertname=Disk", "hours": "2", "comment": "noisy"}
        ),
        ("POST", "/alerts/silences/{silence_id}/expire"): Call(
            RESPONDER, path="/alerts/silences/{page_silence}/expire"
        ),
        ("POST", "/alerts/maintenance"): Call(
            RESPONDER, form={"service": "pages-svc", "hours": "1", "reason": "upgrade"}
        ),
        ("POST", "/alerts/maintenance/{window_id}/end"): Call(
            RESPONDER, path="/alerts/maintenance/{page_window}/end"
        ),
        ("GET", "/integrations"): Call(ADMIN_READ),
        ("POST", "/integrations"): Call(ADMIN_WRITE, form={"name": "from-page", "type": "generic"}),
        ("GET", "/integrations/routing"): Call(SIGNED_IN),
        ("POST", "/integrations/routing"): Call(
            MANAGER, form={"name": "db pages", "matchers": "service=db", "action": "page"}
        ),
        ("POST", "/integrations/routing/{rule_id}/delete"): Call(
            MANAGER, path="/integrations/routing/{page_rule}/delete"
        ),
    },
    setup=_setup,
)
