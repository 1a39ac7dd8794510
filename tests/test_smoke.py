from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Person, declare


def test_declare_and_walk_the_lifecycle(
    client: TestClient, responder: Person, manager: Person
) -> None:
    incident = declare(client, responder, services=[])
    ref = incident["reference"]
    assert incident["status"] == "triggered"
    assert incident["allowed_actions"] == ["acknowledge", "cancel", "merge"]
    for action, status in [
        ("acknowledge", "acknowledged"),
        ("mitigate", "mitigated"),
        ("resolve", "resolved"),
    ]:
        r = client.post(f"/api/v1/incidents/{ref}/{action}", headers=responder.headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    r = client.post(f"/api/v1/incidents/{ref}/close", headers=manager.headers)
    assert r.status_code == 409
    assert {m["key"] for m in r.json()["error"]["details"]["missing"]} >= {"slo_restored"}
