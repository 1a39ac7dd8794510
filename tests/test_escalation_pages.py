"""The escalation policy editor page: every edit made through its plain forms shows in the API;
a refused edit names the field and changes nothing; viewers cannot edit."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import MakePerson, Person
from tests.web_helpers import login


def _policy(client: TestClient, who: Person, name: str, *handles: str) -> dict[str, Any]:
    body = {
        "name": name,
        "steps": [
            {"delay_minutes": 5 * (i + 1), "targets": [{"type": "user", "user": h}]}
            for i, h in enumerate(handles)
        ],
    }
    response = client.post("/api/v1/escalation-policies", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _read(client: TestClient, who: Person, policy_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/escalation-policies/{policy_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _schedule(client: TestClient, who: Person) -> int:
    body = {
        "name": "Payments primary",
        "team": "payments",
        "timezone": "UTC",
        "layers": [
            {
                "name": "Weekly",
                "rotation": ["alice"],
                "shift_length": 1,
                "shift_unit": "weeks",
                "start_date": "2026-02-23",
            }
        ],
    }
    response = client.post("/api/v1/schedules", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _targets(step: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["kind"], t["name"]) for t in step["targets"]]


def test_a_manager_edits_every_part_of_a_policy_through_the_forms(
    client: TestClient, make_person: MakePerson, manager: Person, admin: Person
) -> None:
    for handle in ("alice", "bob", "carol"):
        make_person(handle, teams=("payments",))
    schedule_id = _schedule(client, manager)
    fallback = _policy(client, manager, "Fallback", "carol")
    policy = _policy(client, manager, "Payments", "alice", "bob")
    base = f"/oncall/policies/{policy['id']}"
    csrf = login(client, "ivan")

    page = client.get(base)
    assert page.status_code == 200
    assert "Payments" in page.text
    assert "Save settings" in page.text
    assert "Payments primary" in page.text  # the schedule can be picked for a step
    forged = client.post(base, data={"name": "Forged", "repeat": "0"}, follow_redirects=False)
    assert forged.status_code == 403  # no CSRF token
    assert _read(client, manager, policy["id"])["name"] == "Payments"

    def post(path: str, form: dict[str, Any]) -> None:
        response = client.post(path, data={"csrf_token": csrf, **form}, follow_redirects=False)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == base

    post(base, {"name": "Payments primary path", "repeat": "2", "reescalate_after_minutes": "30"})
    seen = _read(client, manager, policy["id"])
    assert (seen["name"], seen["repeat"], seen["reescalate_after_minutes"]) == (
        "Payments primary path",
        2,
        30,
    )

    post(
        base + "/steps",
        {
            "delay_minutes": "12",
            "users": "carol",
            "teams": "payments",
            "schedule_ids": [str(schedule_id)],
            "policy_ids": [str(fallback["id"])],
        },
    )
    steps = _read(client, manager, policy["id"])["steps"]
    assert len(steps) == 3
    assert steps[2]["delay_minutes"] == 12
    assert _targets(steps[2]) == [
        ("user", "carol"),
        ("team", "payments"),
        ("schedule", "Payments primary"),
        ("policy", "Fallback"),
    ]

    post(base + "/steps/0", {"delay_minutes": "3", "users": "bob, alice"})
    steps = _read(client, manager, policy["id"])["steps"]
    assert steps[0]["delay_minutes"] == 3
    assert _targets(steps[0]) == [("user", "bob"), ("user", "alice")]

    post(base + "/steps/2/move", {"direction": "up"})
    steps = _read(client, manager, policy["id"])["steps"]
    assert [s["delay_minutes"] for s in steps] == [3, 12, 10]
    post(base + "/steps/0/move", {"direction": "down"})
    steps = _read(client, manager, policy["id"])["steps"]
    assert [s["delay_minutes"] for s in steps] == [12, 3, 10]

    post(base + "/steps/1/delete", {})
    steps = _read(client, manager, policy["id"])["steps"]
    assert [s["delay_minutes"] for s in steps] == [12, 10]

    post(base, {"name": "Payments primary path", "repeat": "0", "reescalate_after_minutes": ""})
    seen = _read(client, manager, policy["id"])
    assert (seen["repeat"], seen["reescalate_after_minutes"]) == (0, None)

    audit = client.get(
        "/api/v1/audit",
        params={"action": "escalation_policy.update", "target_id": str(policy["id"])},
        headers=admin.headers,
    )
    assert audit.status_code == 200, audit.text
    records = audit.json()["items"]
    assert len(records) == 7  # one record an edit
    assert {r["actor_id"] for r in records} == {manager.id}


def test_a_refused_edit_names_the_field_and_changes_nothing(
    client: TestClient, make_person: MakePerson, manager: Person
) -> None:
    for handle in ("alice", "bob"):
        make_person(handle)
    policy = _policy(client, manager, "Payments", "alice", "bob")
    upstream = _policy(client, manager, "Upstream", "alice")
    # Upstream escalates to Payments: Payments escalating to Upstream would be a loop
    joined = client.put(
        f"/api/v1/escalation-policies/{upstream['id']}",
        json={
            "name": "Upstream",
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "policy", "policy_id": policy["id"]}]}
            ],
        },
        headers=manager.headers,
    )
    assert joined.status_code == 200, joined.text
    before = _read(client, manager, policy["id"])
    base = f"/oncall/policies/{policy['id']}"
    csrf = login(client, "ivan")

    cases = [
        (base + "/steps", {"delay_minutes": "5"}, "steps.2.targets", "at least one target"),
        (
            base + "/steps/0",
            {"delay_minutes": "-5", "users": "alice"},
            "steps.0.delay_minutes",
            "between 1",
        ),
        (
            base + "/steps/1",
            {"delay_minutes": "5", "policy_ids": [str(upstream["id"])]},
            "steps.1.targets.0.policy_id",
            "leads back to this policy",
        ),
        (base, {"name": "Payments", "repeat": "-1"}, "repeat", "repeat is between"),
        (
            base + "/steps/0",
            {"delay_minutes": "5", "users": "nobody"},
            "steps.0.targets.0.user",
            "",
        ),
        (base + "/steps/0/move", {"direction": "up"}, "direction", "cannot move"),
    ]
    for path, form, field, message in cases:
        response = client.post(path, data={"csrf_token": csrf, **form}, follow_redirects=False)
        assert response.status_code == 422, (path, form, response.status_code)
        assert field in response.text, (field, response.text)
        assert message in response.text
        assert 'role="alert"' in response.text
        assert _read(client, manager, policy["id"]) == before


def test_a_viewer_sees_no_write_controls_and_is_refused(
    client: TestClient, make_person: MakePerson, manager: Person, viewer: Person
) -> None:
    make_person("alice")
    policy = _policy(client, manager, "Payments", "alice")
    base = f"/oncall/policies/{policy['id']}"
    before = _read(client, manager, policy["id"])
    csrf = login(client, "vera")

    page = client.get(base)
    assert page.status_code == 200
    assert "alice" in page.text
    assert 'action="/oncall/policies/' not in page.text
    assert "Save settings" not in page.text
    assert "Add step" not in page.text

    for path, form in [
        (base, {"name": "Hijacked", "repeat": "0"}),
        (base + "/steps", {"delay_minutes": "5", "users": "alice"}),
        (base + "/steps/0", {"delay_minutes": "9", "users": "alice"}),
        (base + "/steps/0/delete", {}),
        (base + "/steps/0/move", {"direction": "down"}),
    ]:
        response = client.post(path, data={"csrf_token": csrf, **form}, follow_redirects=False)
        assert response.status_code == 403, (path, response.status_code)
    assert _read(client, manager, policy["id"]) == before


def test_the_list_links_to_each_policy_and_an_unknown_one_is_not_found(
    client: TestClient, make_person: MakePerson, manager: Person
) -> None:
    make_person("alice")
    policy = _policy(client, manager, "Payments", "alice")
    listing = client.get("/oncall/policies", headers=manager.headers)
    assert f'href="/oncall/policies/{policy["id"]}"' in listing.text
    assert client.get("/oncall/policies/999999", headers=manager.headers).status_code == 404
