"""Every sender format in, answered in its senders' shape; bad input rejected, nothing stored."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firehouse.alerts.formats import FormatError
from firehouse.alerts.formats.alertmanager import parse_api_alerts
from firehouse.alerts.service.fingerprint import label_fingerprint
from firehouse.db import Database
from tests.alerts_helpers import am_alert, am_webhook, make_integration
from tests.conftest import Person


def alerts_of(client: TestClient, who: Person, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/alerts", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


def flush(client: TestClient) -> None:
    client.app.state.alert_intake.flush_repeats()  # type: ignore[attr-defined]


def test_alertmanager_webhook_opens_one_alert_per_fingerprint(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database)
    body = am_webhook(am_alert(instance="a"), am_alert(instance="b"))
    response = client.post(f"/integrations/{key}/alertmanager", json=body)
    assert response.status_code == 200, response.text
    found = alerts_of(client, admin)
    assert len(found) == 2
    labels = {"alertname": "HighLatency", "severity": "critical", "instance": "a"}
    assert {a["fingerprint"] for a in found} >= {label_fingerprint(labels)}
    assert all(a["status"] == "triggered" for a in found)
    assert {a["summary"] for a in found} == {"p99 latency above 2s"}


def test_alertmanager_resolved_alert_resolves(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database)
    client.post(f"/integrations/{key}/alertmanager", json=am_webhook(am_alert(instance="a")))
    resolved = am_webhook(am_alert(instance="a", status="resolved"))
    assert client.post(f"/integrations/{key}/alertmanager", json=resolved).status_code == 200
    [alert] = alerts_of(client, admin)
    assert alert["status"] == "resolved"
    assert alert["resolved_at"] is not None


def test_two_alertmanager_replicas_make_one_alert(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database)
    for replica in ("am-0", "am-1", "am-0", "am-1"):
        body = am_webhook(am_alert(instance="a"))
        body["externalURL"] = f"http://{replica}:9093"
        assert client.post(f"/integrations/{key}/alertmanager", json=body).status_code == 200
    flush(client)
    [alert] = alerts_of(client, admin)
    assert alert["repeat_count"] == 3


def test_refiring_a_resolved_fingerprint_opens_a_new_alert(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database)
    url = f"/integrations/{key}/alertmanager"
    client.post(url, json=am_webhook(am_alert(instance="a")))
    client.post(url, json=am_webhook(am_alert(instance="a", status="resolved")))
    client.post(url, json=am_webhook(am_alert(instance="a")))
    found = alerts_of(client, admin)
    assert [a["status"] for a in found] == ["triggered", "resolved"]
    assert found[0]["fingerprint"] == found[1]["fingerprint"]


def test_changed_content_updates_the_open_alert(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database)
    url = f"/integrations/{key}/alertmanager"
    client.post(url, json=am_webhook(am_alert(instance="a")))
    client.post(url, json=am_webhook(am_alert(instance="a", summary="p99 above 5s")))
    [alert] = alerts_of(client, admin)
    assert alert["summary"] == "p99 above 5s"
    detail = client.get(f"/api/v1/alerts/{alert['id']}", headers=admin.headers).json()
    assert [e["kind"] for e in detail["history"]][:1] == ["triggered"]
    assert "updated" in [e["kind"] for e in detail["history"]]


@pytest.mark.parametrize("how", ["bearer", "basic", "query"])
def test_the_alertmanager_api_takes_the_key_three_ways(
    client: TestClient, database: Database, admin: Person, how: str
) -> None:
    _, key = make_integration(database)
    body = [
        {
            "labels": {"alertname": "InstanceDown", "instance": "db-1:9100", "job": "node"},
            "annotations": {"summary": "db-1 is down"},
            "startsAt": "2026-03-02T08:58:00Z",
            "endsAt": "2026-03-02T09:04:00Z",
            "generatorURL": "http://prometheus:9090/graph",
        }
    ]
    headers, params = {}, {}
    if how == "bearer":
        headers = {"Authorization": f"Bearer {key}"}
    elif how == "basic":
        headers = {"Authorization": "Basic " + base64.b64encode(f"prom:{key}".encode()).decode()}
    else:
        params = {"key": key}
    response = client.post("/api/v2/alerts", json=body, headers=headers, params=params)
    assert response.status_code == 200, response.text
    [alert] = alerts_of(client, admin)
    assert alert["fingerprint"] == label_fingerprint(body[0]["labels"])
    assert alert["status"] == "triggered"


def test_the_alertmanager_api_resolves_when_ends_at_is_past(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database)
    labels = {"alertname": "InstanceDown", "instance": "db-1:9100"}
    headers = {"Authorization": f"Bearer {key}"}
    firing = [{"labels": labels, "endsAt": "2026-03-02T09:04:00Z"}]
    resolved = [{"labels": labels, "endsAt": "2026-03-02T08:59:30Z"}]
    assert client.post("/api/v2/alerts", json=firing, headers=headers).status_code == 200
    assert client.post("/api/v2/alerts", json=resolved, headers=headers).status_code == 200
    [alert] = alerts_of(client, admin)
    assert alert["status"] == "resolved"


def test_a_redelivery_is_parsed_from_memory_but_its_end_and_payload_are_its_own() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    alert = {"labels": {"alertname": "Memo", "instance": "a"}, "annotations": {"summary": "s"}}
    [first] = parse_api_alerts([{**alert, "endsAt": "2026-03-02T09:04:00Z"}], now=now)
    later = {**alert, "endsAt": "2026-03-02T08:59:00Z"}  # Prometheus: it stopped firing
    [second] = parse_api_alerts([later], now=now)
    assert (first.action, second.action) == ("trigger", "resolve")
    assert second.raw is later
    assert second.fingerprint == first.fingerprint
    assert second.content() != first.content()
    [moved] = parse_api_alerts(
        [{**alert, "labels": {"alertname": "Memo", "instance": "b"}}], now=now
    )
    assert moved.fingerprint != first.fingerprint
    with pytest.raises(FormatError) as bad:
        parse_api_alerts([{**alert, "endsAt": "yesterday"}], now=now)
    assert bad.value.field == "0.endsAt"


def test_the_alertmanager_api_refuses_a_wrong_key_in_its_shape(
    client: TestClient, database: Database, admin: Person
) -> None:
    make_integration(database)
    response = client.post(
        "/api/v2/alerts",
        json=[{"labels": {"alertname": "X"}}],
        headers={"Authorization": "Bearer not-a-key"},
    )
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "unknown integration key"}
    assert alerts_of(client, admin) == []


def test_the_alertmanager_api_names_a_missing_field(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database)
    response = client.post(
        "/api/v2/alerts",
        json=[{"labels": {"alertname": "A"}}, {"annotations": {}}],
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("1.labels")
    assert alerts_of(client, admin) == []


def pd_trigger(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {
            "summary": "DISK at 99% on machine prod-datapipe03.example.com",
            "source": "prod-datapipe03.example.com",
            "severity": "critical",
            "timestamp": "2026-03-02T08:42:58.315+0000".replace("+0000", "+00:00"),
            "component": "mysql",
            "group": "prod-datapipe",
            "class": "disk",
            "custom_details": {"free space": "1%", "ping time": "1500ms"},
        },
        "links": [{"href": "https://example.com/", "text": "Link text"}],
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
        **extra,
    }


def test_pagerduty_trigger_acknowledge_resolve(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database, type="pagerduty")
    response = client.post("/v2/enqueue", json=pd_trigger(key))
    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "success"
    assert answer["message"] == "Event processed"
    dedup = answer["dedup_key"]
    assert dedup
    [alert] = alerts_of(client, admin)
    assert alert["fingerprint"] == dedup
    assert alert["severity"] == "SEV2"
    assert alert["labels"]["service"] == "mysql"
    ack = {"routing_key": key, "event_action": "acknowledge", "dedup_key": dedup}
    assert client.post("/v2/enqueue", json=ack).status_code == 202
    assert alerts_of(client, admin)[0]["status"] == "acknowledged"
    resolve = {"routing_key": key, "event_action": "resolve", "dedup_key": dedup}
    response = client.post("/v2/enqueue", json=resolve)
    assert response.status_code == 202
    assert response.json()["dedup_key"] == dedup
    assert alerts_of(client, admin)[0]["status"] == "resolved"


def test_pagerduty_dedup_key_deduplicates(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database, type="pagerduty")
    for _ in range(3):
        response = client.post("/v2/enqueue", json=pd_trigger(key, dedup_key="disk-03"))
        assert response.json()["dedup_key"] == "disk-03"
    flush(client)
    [alert] = alerts_of(client, admin)
    assert alert["repeat_count"] == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_action": "explode"}, "event_action"),
        ({"payload": {"source": "x", "severity": "critical"}}, "payload.summary"),
        ({"payload": {"summary": "x", "source": "x", "severity": "fatal"}}, "payload.severity"),
        ({"routing_key": None}, "routing_key"),
    ],
)
def test_pagerduty_invalid_events_are_400_with_errors(
    client: TestClient, database: Database, admin: Person, change: dict[str, Any], field: str
) -> None:
    _, key = make_integration(database, type="pagerduty")
    body = {**pd_trigger(key), **change}
    response = client.post("/v2/enqueue", json=body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "invalid event"
    assert answer["errors"][0].startswith(field)
    assert alerts_of(client, admin) == []


def test_pagerduty_acknowledge_needs_a_dedup_key(client: TestClient, database: Database) -> None:
    _, key = make_integration(database, type="pagerduty")
    response = client.post("/v2/enqueue", json={"routing_key": key, "event_action": "resolve"})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("dedup_key")


def test_pagerduty_unknown_routing_key_says_nothing_more(
    client: TestClient, database: Database, admin: Person
) -> None:
    make_integration(database, type="pagerduty")
    response = client.post("/v2/enqueue", json=pd_trigger("0" * 32))
    assert response.status_code == 404
    assert "0" * 32 not in response.text
    assert alerts_of(client, admin) == []


def test_pagerduty_v1_legacy_events(client: TestClient, database: Database, admin: Person) -> None:
    _, key = make_integration(database, type="pagerduty")
    trigger = {
        "service_key": key,
        "event_type": "trigger",
        "description": "FAILURE for production/HTTP on machine srv01.acme.com",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.service.com",
        "details": {"ping time": "1500ms", "load avg": 0.75},
    }
    response = client.post("/generic/2010-04-15/create_event.json", json=trigger)
    assert response.status_code == 200
    incident_key = response.json()["incident_key"]
    resolve = {"service_key": key, "event_type": "resolve", "incident_key": incident_key}
    assert client.post("/generic/2010-04-15/create_event.json", json=resolve).status_code == 200
    [alert] = alerts_of(client, admin)
    assert alert["status"] == "resolved"
    bad = client.post("/generic/2010-04-15/create_event.json", json={"service_key": key})
    assert bad.status_code == 400
    assert bad.json()["errors"][0].startswith("event_type")


def test_pagerduty_change_events_are_recorded(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database, type="pagerduty")
    body = {
        "routing_key": key,
        "payload": {
            "summary": "Build 1.2.3 deployed",
            "timestamp": "2026-03-02T08:30:00Z",
            "source": "ci",
            "custom_details": {"version": "1.2.3", "who": "dana"},
        },
        "links": [{"href": "https://ci.example.com/builds/123", "text": "Build"}],
    }
    response = client.post("/v2/change/enqueue", json=body)
    assert response.status_code == 202
    [change] = client.get("/api/v1/changes", headers=admin.headers).json()
    assert change["summary"] == "Build 1.2.3 deployed"
    assert (change["version"], change["who"]) == ("1.2.3", "dana")
    assert change["link"] == "https://ci.example.com/builds/123"


def test_opsgenie_create_acknowledge_close_by_alias_and_id(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database, type="opsgenie")
    headers = {"Authorization": f"GenieKey {key}"}
    body = {
        "message": "An example alert message",
        "alias": "Life is too short for no alias",
        "description": "Every alert needs a description",
        "tags": ["OverwriteQuietHours", "Critical"],
        "details": {"key1": "value1"},
        "entity": "An example entity",
        "priority": "P1",
        "source": "monitor-01",
    }
    response = client.post("/v2/alerts", json=body, headers=headers)
    assert response.status_code == 202
    assert response.json()["result"] == "Request will be processed"
    [alert] = alerts_of(client, admin)
    assert alert["severity"] == "SEV1"
    assert alert["fingerprint"] == body["alias"]
    alias = "Life%20is%20too%20short%20for%20no%20alias"
    response = client.post(
        f"/v2/alerts/{alias}/acknowledge?identifierType=alias", json={"user": "x"}, headers=headers
    )
    assert response.status_code == 202
    assert alerts_of(client, admin)[0]["status"] == "acknowledged"
    response = client.post(f"/v2/alerts/{alert['id']}/close", json={}, headers=headers)
    assert response.status_code == 202
    assert alerts_of(client, admin)[0]["status"] == "resolved"


def test_opsgenie_errors_in_its_shape(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database, type="opsgenie")
    response = client.post(
        "/v2/alerts", json={"message": "x"}, headers={"Authorization": "GenieKey nope"}
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Could not authenticate"
    assert "requestId" in response.json()
    response = client.post(
        "/v2/alerts", json={"alias": "a"}, headers={"Authorization": f"GenieKey {key}"}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("message")
    assert alerts_of(client, admin) == []


def test_grafana_webhook(client: TestClient, database: Database, admin: Person) -> None:
    _, key = make_integration(database, type="grafana")
    body = {
        "receiver": "firehouse",
        "status": "firing",
        "orgId": 1,
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "CPU high", "grafana_folder": "Infra"},
                "annotations": {"summary": "CPU above 90%"},
                "startsAt": "2026-03-02T08:55:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://grafana/alerting/grafana/abc/view",
                "fingerprint": "5a1b2c3d4e5f6789",
                "silenceURL": "http://grafana/alerting/silence/new",
                "dashboardURL": "http://grafana/d/abc",
                "panelURL": "http://grafana/d/abc?viewPanel=1",
                "values": {"B": 93.1},
                "valueString": "[ var='B' value=93.1 ]",
            }
        ],
        "groupLabels": {"alertname": "CPU high"},
        "commonLabels": {"alertname": "CPU high"},
        "commonAnnotations": {},
        "externalURL": "http://grafana/",
        "version": "1",
        "groupKey": '{}:{alertname="CPU high"}',
        "truncatedAlerts": 0,
        "title": "[FIRING:1] CPU high",
        "state": "alerting",
        "message": "...",
    }
    assert client.post(f"/integrations/{key}/grafana", json=body).status_code == 200
    [alert] = alerts_of(client, admin)
    assert alert["fingerprint"] == "5a1b2c3d4e5f6789"
    assert {link["text"] for link in alert["links"]} >= {"Dashboard", "Panel"}


def test_generic_format(client: TestClient, database: Database, admin: Person) -> None:
    _, key = make_integration(database, type="generic")
    body = {
        "summary": "Backup failed on db-1",
        "severity": "error",
        "source": "cron@db-1",
        "dedup_key": "backup-db-1",
        "labels": {"service": "db"},
        "links": [{"href": "https://runbooks/backup", "text": "Runbook"}],
    }
    response = client.post(f"/integrations/{key}/generic", json=body)
    assert response.status_code == 202
    assert response.json()["alerts"][0]["dedup_key"] == "backup-db-1"
    resolve = {"dedup_key": "backup-db-1", "action": "resolve"}
    assert client.post(f"/integrations/{key}/generic", json=resolve).status_code == 202
    [alert] = alerts_of(client, admin)
    assert alert["status"] == "resolved"
    assert alert["severity"] == "SEV3"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b'{"severity": "error"}', "summary"),
        (b'{"summary": "x", "labels": {"a": 1}}', "labels.a"),
        (b'{"alerts": [{"summary": "ok"}, {"summary": 5}]}', "alerts.1.summary"),
        (b'{"summary": "x", "action": "snooze"}', "action"),
    ],
)
def test_generic_bad_input_names_the_field_and_stores_nothing(
    client: TestClient, database: Database, admin: Person, body: bytes, field: str
) -> None:
    _, key = make_integration(database, type="generic")
    response = client.post(
        f"/integrations/{key}/generic", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == field
    assert alerts_of(client, admin) == []


def test_webhook_missing_alerts_is_400(client: TestClient, database: Database) -> None:
    _, key = make_integration(database)
    response = client.post(f"/integrations/{key}/alertmanager", json={"version": "4"})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "alerts"


def test_an_unknown_or_revoked_key_is_404_without_detail(
    client: TestClient, database: Database, admin: Person
) -> None:
    iid, key = make_integration(database)
    body = am_webhook(am_alert())
    assert client.post("/integrations/nope/alertmanager", json=body).status_code == 404
    response = client.delete(f"/api/v1/integrations/{iid}", headers=admin.headers)
    assert response.status_code == 200
    response = client.post(f"/integrations/{key}/alertmanager", json=body)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "unknown integration key"
    assert alerts_of(client, admin) == []


def test_a_body_over_the_limit_is_413_and_stores_nothing(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database, type="generic")
    huge = {"summary": "x", "details": {"blob": "y" * 600_000}}
    response = client.post(f"/integrations/{key}/generic", json=huge)
    assert response.status_code == 413
    assert alerts_of(client, admin) == []


def test_a_large_raw_payload_is_capped(
    client: TestClient, database: Database, admin: Person
) -> None:
    _, key = make_integration(database, type="generic")
    body = {"summary": "x", "dedup_key": "big", "details": {"blob": "y" * 40_000}}
    assert client.post(f"/integrations/{key}/generic", json=body).status_code == 202
    [alert] = alerts_of(client, admin)
    detail = client.get(f"/api/v1/alerts/{alert['id']}", headers=admin.headers).json()
    assert detail["raw"]["truncated"] is True
