"""Routing, grouping into incidents, silences, maintenance, storms, rate limits, heartbeats."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firehouse.alerts import jobs as alert_jobs
from firehouse.alerts.service.matchers import parse_matcher
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine, Job
from firehouse.errors import Invalid
from tests.alerts_helpers import am_alert, am_webhook, make_integration
from tests.conftest import Person


def post(client: TestClient, key: str, *alerts: dict[str, Any]) -> None:
    response = client.post(f"/integrations/{key}/alertmanager", json=am_webhook(*alerts))
    assert response.status_code == 200, response.text


def alerts_of(client: TestClient, who: Person) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = client.get("/api/v1/alerts", headers=who.headers).json()
    return result


def incidents_of(client: TestClient, who: Person) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = client.get("/api/v1/incidents", headers=who.headers).json()[
        "items"
    ]
    return result


def timeline_kinds(client: TestClient, who: Person, ref: str) -> list[str]:
    body = client.get(f"/api/v1/incidents/{ref}/timeline", headers=who.headers).json()
    items = body["items"] if isinstance(body, dict) else body
    return [e["kind"] for e in items]


def rule(client: TestClient, who: Person, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/routing-rules", json=fields, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ("severity=critical", {"severity": "warning"}, False),
        ("severity!=critical", {"severity": "warning"}, True),
        ("severity!=critical", {}, True),
        ('service=~"api|web"', {"service": "api"}, True),
        ('service=~"api|web"', {"service": "apiserver"}, False),  # anchored
        ('service!~"db.*"', {"service": "db-primary"}, False),
        ("team=", {}, True),  # a missing label is the empty string
    ],
)
def test_matchers(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(text).matches(labels) is expected


def test_a_bad_matcher_is_refused() -> None:
    with pytest.raises(Invalid):
        parse_matcher('service=~"("')
    with pytest.raises(Invalid):
        parse_matcher("no operator")


def test_first_matching_rule_wins(client: TestClient, database: Database, manager: Person) -> None:
    _, key = make_integration(database)
    rule(client, manager, name="drop info", matchers=['severity="info"'], action="suppress")
    rule(
        client,
        manager,
        name="api tickets",
        matchers=['service="api"'],
        action="record",
        severity="SEV4",
    )
    rule(client, manager, name="api pages", matchers=['service="api"'], action="page")
    post(client, key, am_alert("A", service="api"))
    post(client, key, am_alert("B", service="api", severity="info"))
    by_name = {a["labels"]["alertname"]: a for a in alerts_of(client, manager)}
    assert by_name["A"]["action"] == "record"
    assert by_name["A"]["severity"] == "SEV4"
    assert by_name["B"]["status"] == "suppressed"
    assert by_name["B"]["incident_id"] is None
    [incident] = incidents_of(client, manager)
    assert incident["severity"]["key"] == "SEV4"
    # a ticket: the incident exists, but nobody was paged for it
    assert "escalation" not in timeline_kinds(client, manager, incident["reference"])


def test_a_paging_alert_pages(client: TestClient, database: Database, manager: Person) -> None:
    _, key = make_integration(database)
    post(client, key, am_alert("A", service="api"))
    [incident] = incidents_of(client, manager)
    assert "escalation" in timeline_kinds(client, manager, incident["reference"])


def test_rule_order_can_be_changed(client: TestClient, database: Database, manager: Person) -> None:
    _, key = make_integration(database)
    rule(client, manager, name="record", matchers=["service=api"], action="record")
    second = rule(client, manager, name="suppress", matchers=["service=api"], action="suppress")
    response = client.patch(
        f"/api/v1/routing-rules/{second['id']}", json={"position": 1}, headers=manager.headers
    )
    assert response.status_code == 200
    post(client, key, am_alert("A", service="api"))
    assert alerts_of(client, manager)[0]["status"] == "suppressed"


def test_alerts_of_one_group_join_one_incident_within_the_window(
    client: TestClient, database: Database, manager: Person, clock: FrozenClock
) -> None:
    _, key = make_integration(database)
    post(client, key, am_alert("HighLatency", service="api", instance="a"))
    clock.advance(timedelta(minutes=10))
    post(client, key, am_alert("HighLatency", service="api", instance="b"))
    post(client, key, am_alert("HighLatency", service="web", instance="c"))
    found = alerts_of(client, manager)
    by_instance = {a["labels"]["instance"]: a["incident_id"] for a in found}
    assert by_instance["a"] == by_instance["b"] != by_instance["c"]
    assert len(incidents_of(client, manager)) == 2
    ref = f"id:{by_instance['a']}"
    assert "alerts_joined" in timeline_kinds(client, manager, ref)
    clock.advance(timedelta(minutes=61))
    post(client, key, am_alert("HighLatency", service="api", instance="d"))
    assert len(incidents_of(client, manager)) == 3


def test_a_custom_group_by_and_window(
    client: TestClient, database: Database, manager: Person, clock: FrozenClock
) -> None:
    _, key = make_integration(database)
    rule(
        client,
        manager,
        name="by cluster",
        matchers=[],
        action="page",
        group_by=["cluster"],
        group_window_minutes=5,
    )
    post(client, key, am_alert("A", cluster="eu"))
    post(client, key, am_alert("B", cluster="eu"))
    clock.advance(timedelta(minutes=6))
    post(client, key, am_alert("C", cluster="eu"))
    ids = {a["labels"]["alertname"]: a["incident_id"] for a in alerts_of(client, manager)}
    assert ids["A"] == ids["B"] != ids["C"]


def test_the_incident_resolves_when_its_alerts_do_if_the_rule_says_so(
    client: TestClient, database: Database, manager: Person
) -> None:
    _, key = make_integration(database)
    rule(
        client,
        manager,
        name="auto",
        matchers=["service=api"],
        action="page",
        resolve_incident_when_alerts_resolve=True,
    )
    post(
        client,
        key,
        am_alert("A", service="api", instance="1"),
        am_alert("A", service="api", instance="2"),
    )
    [incident] = incidents_of(client, manager)
    post(client, key, am_alert("A", service="api", instance="1", status="resolved"))
    assert incidents_of(client, manager)[0]["status"] == "triggered"
    post(client, key, am_alert("A", service="api", instance="2", status="resolved"))
    assert incidents_of(client, manager)[0]["status"] == "resolved"
    kinds = timeline_kinds(client, manager, incident["reference"])
    assert "alert_resolved" in kinds
    assert "alerts_resolved" in kinds


def test_without_the_rule_the_incident_stays_open_but_says_so(
    client: TestClient, database: Database, manager: Person
) -> None:
    _, key = make_integration(database)
    post(client, key, am_alert("A", service="api"))
    post(client, key, am_alert("A", service="api", status="resolved"))
    [incident] = incidents_of(client, manager)
    assert incident["status"] == "triggered"
    assert "alerts_resolved" in timeline_kinds(client, manager, incident["reference"])


def test_a_silence_suppresses_until_it_ends(
    client: TestClient, database: Database, responder: Person, clock: FrozenClock
) -> None:
    _, key = make_integration(database)
    body = {
        "matchers": [{"name": "service", "value": "api|web", "isRegex": True, "isEqual": True}],
        "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
        "comment": "Deploying the new load balancer",
    }
    response = client.post("/api/v1/silences", json=body, headers=responder.headers)
    assert response.status_code == 201, response.text
    silence = response.json()
    assert silence["state"] == "active"
    assert silence["created_by"] == "rita"
    post(client, key, am_alert("A", service="api"))
    post(client, key, am_alert("B", service="db"))
    by_name = {a["labels"]["alertname"]: a for a in alerts_of(client, responder)}
    assert by_name["A"]["status"] == "suppressed"
    assert by_name["A"]["suppressed_by"] == f"silence:{silence['id']}"
    assert by_name["B"]["status"] == "triggered"
    clock.advance(timedelta(hours=2))
    post(client, key, am_alert("A", service="api"))
    by_name = {a["labels"]["alertname"]: a for a in alerts_of(client, responder)}
    assert by_name["A"]["status"] == "triggered"
    assert by_name["A"]["incident_id"] is not None
    listed = client.get("/api/v1/silences", headers=responder.headers).json()
    assert listed[0]["state"] == "expired"


def test_a_silence_can_be_expired_early(
    client: TestClient, database: Database, responder: Person, clock: FrozenClock
) -> None:
    body = {
        "matchers": [{"name": "alertname", "value": "A"}],
        "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
        "comment": "x",
    }
    silence = client.post("/api/v1/silences", json=body, headers=responder.headers).json()
    response = client.delete(f"/api/v1/silences/{silence['id']}", headers=responder.headers)
    assert response.json()["state"] == "expired"
    _, key = make_integration(database)
    post(client, key, am_alert("A"))
    assert alerts_of(client, responder)[0]["status"] == "triggered"


def test_a_silence_needs_an_end_after_its_start(
    client: TestClient, responder: Person, clock: FrozenClock
) -> None:
    body = {
        "matchers": [{"name": "alertname", "value": "A"}],
        "ends_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "comment": "x",
    }
    response = client.post("/api/v1/silences", json=body, headers=responder.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "ends_at"


def test_maintenance_records_without_paging(
    client: TestClient, database: Database, manager: Person, clock: FrozenClock
) -> None:
    response = client.post(
        "/api/v1/services", json={"slug": "checkout", "name": "Checkout"}, headers=manager.headers
    )
    assert response.status_code == 201
    _, key = make_integration(database, service="checkout")
    window = {
        "service": "checkout",
        "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
        "reason": "database upgrade",
    }
    response = client.post("/api/v1/maintenance-windows", json=window, headers=manager.headers)
    assert response.status_code == 201, response.text
    post(client, key, am_alert("A"))
    [alert] = alerts_of(client, manager)
    assert alert["status"] == "triggered"
    assert alert["suppressed_by"] == "maintenance"
    assert incidents_of(client, manager) == []
    clock.advance(timedelta(hours=2))
    post(client, key, am_alert("B"))
    assert len(incidents_of(client, manager)) == 1


def test_a_storm_opens_one_incident_and_holds_pages_until_released(
    client: TestClient, database: Database, manager: Person, clock: FrozenClock
) -> None:
    iid, key = make_integration(database, storm_threshold=5)
    for i in range(5):
        post(client, key, am_alert(f"A{i}", service=f"s{i}"))
    assert len(incidents_of(client, manager)) == 5
    for i in range(5, 20):
        post(client, key, am_alert(f"A{i}", service=f"s{i}"))
    found = incidents_of(client, manager)
    assert len(found) == 6
    storm = [i for i in found if i["title"].startswith("Alert storm")]
    assert len(storm) == 1
    held = [a for a in alerts_of(client, manager) if a["incident_id"] == storm[0]["id"]]
    assert len(held) == 15
    assert all(a["suppressed_by"] == "storm" for a in held)
    # calm again, but pages stay held until a person releases the storm
    clock.advance(timedelta(minutes=5))
    post(client, key, am_alert("Later", service="later"))
    assert len(incidents_of(client, manager)) == 6
    response = client.post(f"/api/v1/integrations/{iid}/release-storm", headers=manager.headers)
    assert response.status_code == 200
    assert response.json()["storm_incident_id"] is None
    post(client, key, am_alert("After", service="after"))
    assert len(incidents_of(client, manager)) == 7


def test_the_rate_limit_answers_429_with_retry_after(
    client: TestClient, database: Database, clock: FrozenClock, admin: Person
) -> None:
    _, key = make_integration(database, type="pagerduty", rate_limit_per_minute=3)
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "x", "source": "y", "severity": "info"},
    }
    codes = [client.post("/v2/enqueue", json=body).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    refused = client.post("/v2/enqueue", json=body)
    assert refused.json()["status"] == "throttle exceeded"
    assert int(refused.headers["Retry-After"]) >= 1
    assert len(alerts_of(client, admin)) == 3
    clock.advance(timedelta(seconds=int(refused.headers["Retry-After"])))
    assert client.post("/v2/enqueue", json=body).status_code == 202


def test_a_missed_heartbeat_alerts_and_the_next_ping_resolves(
    client: TestClient, database: Database, manager: Person, clock: FrozenClock
) -> None:
    iid, key = make_integration(database, type="generic")
    response = client.post(
        "/api/v1/heartbeats",
        json={"integration_id": iid, "name": "nightly-backup", "interval_minutes": 10},
        headers=manager.headers,
    )
    assert response.status_code == 201, response.text
    engine = Engine(database, jobs=[Job(name="hb", run=alert_jobs.run_heartbeats)])
    clock.advance(timedelta(minutes=5))
    assert client.post(f"/integrations/{key}/heartbeats/nightly-backup").status_code == 200
    clock.advance(timedelta(minutes=9))
    engine.run_once()
    assert alerts_of(client, manager) == []
    clock.advance(timedelta(minutes=2))
    engine.run_once()
    [alert] = alerts_of(client, manager)
    assert alert["labels"]["alertname"] == "HeartbeatMissed"
    assert alert["status"] == "triggered"
    engine.run_once()
    assert len(alerts_of(client, manager)) == 1
    assert client.post(f"/integrations/{key}/heartbeats/nightly-backup").status_code == 200
    assert alerts_of(client, manager)[0]["status"] == "resolved"
    assert client.post(f"/integrations/{key}/heartbeats/unknown").status_code == 404


def test_a_person_acknowledges_and_resolves_an_alert(
    client: TestClient, database: Database, responder: Person, viewer: Person
) -> None:
    _, key = make_integration(database)
    post(client, key, am_alert("A"))
    [alert] = alerts_of(client, responder)
    url = f"/api/v1/alerts/{alert['id']}"
    assert client.post(f"{url}/acknowledge", headers=viewer.headers).status_code == 403
    assert client.post(f"{url}/acknowledge", headers=responder.headers).json()["status"] == (
        "acknowledged"
    )
    assert client.post(f"{url}/acknowledge", headers=responder.headers).status_code == 409
    assert client.post(f"{url}/resolve", headers=responder.headers).json()["status"] == "resolved"
    # still firing at the source: the next delivery opens a new alert
    post(client, key, am_alert("A"))
    assert [a["status"] for a in alerts_of(client, responder)] == ["triggered", "resolved"]


def test_an_incident_lists_recent_changes_to_its_services(
    client: TestClient, database: Database, manager: Person, clock: FrozenClock
) -> None:
    for slug in ("checkout", "search"):
        response = client.post(
            "/api/v1/services", json={"slug": slug, "name": slug.title()}, headers=manager.headers
        )
        assert response.status_code == 201
    _, key = make_integration(database, type="generic")
    for service, when in (("checkout", "2026-03-02T08:30:00Z"), ("search", "2026-03-02T08:40:00Z")):
        body = {
            "summary": f"Deployed {service}",
            "service": service,
            "version": "1.2.3",
            "who": "dana",
            "link": "https://ci/1",
            "time": when,
        }
        assert client.post(f"/integrations/{key}/changes", json=body).status_code == 202
    old = {
        "summary": "Deployed checkout 1.0",
        "service": "checkout",
        "time": "2026-02-20T08:00:00Z",
    }
    assert client.post(f"/integrations/{key}/changes", json=old).status_code == 202
    clock.advance(timedelta(minutes=5))
    incident = client.post(
        "/api/v1/incidents",
        json={"title": "Checkout errors", "severity": "SEV2", "services": ["checkout"]},
        headers=manager.headers,
    ).json()
    changes = client.get(
        f"/api/v1/incidents/{incident['reference']}/changes", headers=manager.headers
    ).json()
    assert [c["summary"] for c in changes] == ["Deployed checkout"]
    assert changes[0]["who"] == "dana"
    assert changes[0]["version"] == "1.2.3"
