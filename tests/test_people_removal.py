"""Removing a person: refused while they are on call (saying where), otherwise they are
deactivated, taken off their teams, signed out and their tokens stop working."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from firehouse.people.models import Role
from tests.conftest import MakePerson, Person
from tests.test_auth import log_in

HTML = {"Accept": "text/html"}


def rotation_with(client: TestClient, who: Person, handle: str, name: str) -> None:
    layer = {
        "name": "Weekly",
        "rotation": [handle],
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": "2026-03-02",
    }
    body = {"name": name, "timezone": "UTC", "layers": [layer]}
    r = client.post("/api/v1/schedules", json=body, headers=who.headers)
    assert r.status_code == 201, r.text


def audit_of(client: TestClient, admin: Person, action: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/audit", params={"action": action}, headers=admin.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_a_person_in_a_rotation_is_not_removed_and_told_where(
    client: TestClient, make_person: MakePerson, admin: Person, manager: Person
) -> None:
    ann = make_person("ann")
    rotation_with(client, manager, "ann", "Payments primary")
    refused = client.delete("/api/v1/users/ann", headers=admin.headers)
    assert refused.status_code == 409, refused.text
    assert "Payments primary" in refused.json()["error"]["message"]
    patched = client.patch("/api/v1/users/ann", json={"active": False}, headers=admin.headers)
    assert patched.status_code == 409, patched.text
    assert "Payments primary" in patched.json()["error"]["message"]
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 200
    assert client.get("/api/v1/users/ann", headers=admin.headers).json()["active"] is True
    assert audit_of(client, admin, "user.deactivate") == []


def test_a_person_in_an_escalation_policy_is_not_removed_and_told_where(
    client: TestClient, make_person: MakePerson, admin: Person, manager: Person
) -> None:
    pytest.importorskip("firehouse.escalation.service")
    ann = make_person("ann")
    policy = {
        "name": "Checkout escalation",
        "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "user": "ann"}]}],
    }
    made = client.post("/api/v1/escalation-policies", json=policy, headers=manager.headers)
    assert made.status_code == 201, made.text
    refused = client.delete("/api/v1/users/ann", headers=admin.headers)
    assert refused.status_code == 409, refused.text
    assert "Checkout escalation" in refused.json()["error"]["message"]
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 200


def test_a_removed_person_can_no_longer_sign_in_or_use_a_token(
    client: TestClient, make_person: MakePerson, admin: Person
) -> None:
    ann = make_person("ann", teams=("payments",))
    assert log_in(client, "ann").status_code == 303
    browser = client.cookies["fh_session"]
    assert client.get("/", headers=HTML).status_code == 200
    client.cookies.clear()

    removed = client.delete("/api/v1/users/ann", headers=admin.headers)
    assert removed.status_code == 204, removed.text

    assert client.get("/api/v1/me", headers=ann.headers).status_code == 401
    client.cookies.clear()
    assert log_in(client, "ann").status_code != 303
    client.cookies.clear()
    client.cookies.set("fh_session", browser)
    signed_out = client.get("/", headers=HTML, follow_redirects=False)
    assert signed_out.status_code in (303, 401)
    client.cookies.clear()
    user = client.get("/api/v1/users/ann", headers=admin.headers).json()
    assert user["active"] is False
    team = client.get("/api/v1/teams/payments", headers=admin.headers).json()
    assert [m["handle"] for m in team["members"]] == []
    [record] = audit_of(client, admin, "user.deactivate")
    assert record["actor"] == admin.handle
    assert record["target_id"] == str(ann.id)
    assert record["before"]["active"] is True
    assert record["after"]["active"] is False
    assert record["after"]["removed_from_teams"] == ["payments"]
    assert record["after"]["tokens_revoked"] == 1
    assert record["after"]["sessions_ended"] == 1


def test_deactivating_through_patch_also_signs_the_person_out(
    client: TestClient, make_person: MakePerson, admin: Person
) -> None:
    ann = make_person("ann", teams=("payments",))
    r = client.patch("/api/v1/users/ann", json={"active": False}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 401
    team = client.get("/api/v1/teams/payments", headers=admin.headers).json()
    assert team["members"] == []


def test_admins_cannot_remove_themselves_and_others_cannot_remove_anyone(
    client: TestClient, make_person: MakePerson, admin: Person, manager: Person
) -> None:
    make_person("ann")
    own = client.delete(f"/api/v1/users/{admin.handle}", headers=admin.headers)
    assert own.status_code == 409
    assert "yourself" in own.json()["error"]["message"]
    assert client.delete("/api/v1/users/ann", headers=manager.headers).status_code == 403
    assert client.delete("/api/v1/users/nobody", headers=admin.headers).status_code == 404
    other = make_person("alex", Role.admin)
    assert client.delete(f"/api/v1/users/{admin.handle}", headers=other.headers).status_code == 204
    assert client.get("/api/v1/me", headers=admin.headers).status_code == 401
