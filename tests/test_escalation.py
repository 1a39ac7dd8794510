"""Escalation policies end to end: a real SMTP server receives the pages, the clock is
fast-forwarded, acknowledging (from the emailed link) stops the climb."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.errors import Conflict
from firehouse.escalation import service as escalation
from tests.conftest import MakePerson, Person, declare
from tests.paging_fixtures import engine, paging_settings, run_for, smtp  # noqa: F401
from tests.paging_peers import SmtpServer, link_path


def _policy(
    client: TestClient, who: Person, name: str, steps: list[list[str]], **extra: Any
) -> dict[str, Any]:
    body = {
        "name": name,
        "steps": [
            {"delay_minutes": 5, "targets": [{"type": "user", "user": h} for h in handles]}
            for handles in steps
        ],
        **extra,
    }
    response = client.post("/api/v1/escalation-policies", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _page(client: TestClient, who: Person, ref: str, policy_id: int) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/incidents/{ref}/page", json={"policy_id": policy_id}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _timeline(client: TestClient, who: Person, ref: str) -> list[str]:
    response = client.get(f"/api/v1/incidents/{ref}/timeline", headers=who.headers)
    assert response.status_code == 200
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return [e["body"] for e in items if e["kind"] == "escalation"]


def test_a_page_climbs_the_policy_until_acknowledged_from_the_email(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    make_person("alice")
    make_person("bob")
    policy = _policy(client, manager, "Checkout", [["alice"], ["bob"]])
    incident = declare(client, manager)
    ref = str(incident["reference"])
    _page(client, manager, ref, policy["id"])

    engine.run_until_idle()
    assert len(smtp.to("alice@example.com")) == 1
    assert smtp.to("bob@example.com") == []
    first = smtp.to("alice@example.com")[0]
    assert ref in str(first["Subject"])
    assert first.get_body(preferencelist=("html",)) is not None

    run_for(engine, clock, 4)
    assert smtp.to("bob@example.com") == [], "the second step waits its delay"
    run_for(engine, clock, 1)
    assert len(smtp.to("bob@example.com")) == 1

    ack = link_path(smtp.to("bob@example.com")[0], "Acknowledge")
    shown = client.get(ack)
    assert shown.status_code == 200
    assert "Acknowledge" in shown.text
    still = client.get(f"/api/v1/incidents/{ref}", headers=manager.headers).json()
    assert still["status"] == "triggered", "opening the link (a mail scanner) does nothing"
    done = client.post(ack)
    assert done.status_code == 200, done.text
    assert (
        client.get(f"/api/v1/incidents/{ref}", headers=manager.headers).json()["status"]
        == "acknowledged"
    )

    before = len(smtp.inbox)
    run_for(engine, clock, 30)
    assert len(smtp.inbox) == before, "acknowledging stops the escalation"
    entries = _timeline(client, manager, ref)
    assert any("keeps the policy as it is now" in e for e in entries)
    assert any("@alice" in e for e in entries)
    assert any("@bob" in e for e in entries)
    assert any("stopped" in e and "bob" in e for e in entries)

    deliveries = client.get(f"/api/v1/incidents/{ref}/deliveries", headers=manager.headers)
    assert deliveries.status_code == 200
    sent = [(d["user"], d["status"]) for d in deliveries.json()]
    assert sent == [("alice", "sent"), ("bob", "sent")]
    assert deliveries.json()[0]["attempt_log"][0]["result"] == "sent"

    again = client.post(ack)
    assert again.status_code == 409, "a link works once"


def test_the_policy_repeats_as_many_times_as_configured(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    make_person("alice")
    policy = _policy(client, manager, "Twice more", [["alice"]], repeat=2)
    ref = str(declare(client, manager)["reference"])
    _page(client, manager, ref, policy["id"])
    run_for(engine, clock, 60)
    assert len(smtp.to("alice@example.com")) == 3
    assert any("nobody acknowledged after 3 passes" in e for e in _timeline(client, manager, ref))


def test_acknowledged_but_not_mitigated_re_escalates(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    make_person("alice")
    policy = _policy(client, manager, "Sticky", [["alice"]], reescalate_after_minutes=30)
    ref = str(declare(client, manager)["reference"])
    _page(client, manager, ref, policy["id"])
    engine.run_until_idle()
    assert len(smtp.to("alice@example.com")) == 1
    ack = client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=manager.headers)
    assert ack.status_code == 200, ack.text

    run_for(engine, clock, 29)
    assert len(smtp.to("alice@example.com")) == 1
    run_for(engine, clock, 1)
    assert len(smtp.to("alice@example.com")) == 2, "30 minutes without mitigation page again"
    assert any("Re-escalating" in e for e in _timeline(client, manager, ref))

    mitigated = client.post(f"/api/v1/incidents/{ref}/mitigate", headers=manager.headers)
    assert mitigated.status_code == 200
    run_for(engine, clock, 120, step=5)
    assert len(smtp.to("alice@example.com")) == 2, "mitigation ends it"


def test_acknowledging_through_the_api_cancels_pages_not_yet_sent(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    alice = make_person("alice")
    method = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "email", "address": "alice.phone@example.com"},
        headers=alice.headers,
    ).json()
    for delay in (0, 10):
        rule = client.post(
            "/api/v1/me/notification-rules",
            json={"contact_method_id": method["id"], "urgency": "high", "delay_minutes": delay},
            headers=alice.headers,
        )
        assert rule.status_code == 201, rule.text
    policy = _policy(client, manager, "Alice", [["alice"]])
    ref = str(declare(client, manager)["reference"])
    _page(client, manager, ref, policy["id"])
    engine.run_until_idle()
    assert len(smtp.to("alice.phone@example.com")) == 1, "the 0-minute rule"
    client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=alice.headers)
    run_for(engine, clock, 20)
    assert len(smtp.to("alice.phone@example.com")) == 1, "the 10-minute rule was canceled"
    statuses = [
        d["status"]
        for d in client.get(f"/api/v1/incidents/{ref}/deliveries", headers=manager.headers).json()
    ]
    assert statuses == ["sent", "canceled"]


def test_an_acknowledgement_in_the_api_stops_paging_at_the_next_round(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    """The engine finds it among the incidents changed since its last round (an index), not
    by reading every paging escalation, and long before its periodic full check."""
    make_person("alice")
    make_person("bob")
    policy = _policy(client, manager, "Checkout", [["alice"], ["bob"]])
    others = [str(declare(client, manager, title=f"other {i}")["reference"]) for i in range(3)]
    for other in others:
        _page(client, manager, other, policy["id"])
    ref = str(declare(client, manager)["reference"])
    _page(client, manager, ref, policy["id"])
    engine.run_until_idle()
    assert len(smtp.to("alice@example.com")) == 4
    acked = client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=manager.headers)
    assert acked.status_code == 200, acked.text
    clock.advance(timedelta(seconds=30))
    engine.run_until_idle()
    assert any("stopped" in body for body in _timeline(client, manager, ref))
    assert not any("stopped" in body for body in _timeline(client, manager, others[0]))
    run_for(engine, clock, 5)
    assert len(smtp.to("bob@example.com")) == 3, "the others climbed; the acknowledged did not"


def test_a_running_escalation_keeps_the_policy_it_started_with(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    make_person("alice")
    make_person("bob")
    make_person("carol")
    policy = _policy(client, manager, "Edited", [["alice"], ["bob"]])
    ref = str(declare(client, manager)["reference"])
    _page(client, manager, ref, policy["id"])
    engine.run_until_idle()
    edited = client.put(
        f"/api/v1/escalation-policies/{policy['id']}",
        json={
            "name": "Edited",
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "user", "user": "alice"}]},
                {"delay_minutes": 5, "targets": [{"type": "user", "user": "carol"}]},
            ],
        },
        headers=manager.headers,
    )
    assert edited.status_code == 200, edited.text
    run_for(engine, clock, 5)
    assert len(smtp.to("bob@example.com")) == 1
    assert smtp.to("carol@example.com") == []


def test_a_policy_must_be_valid(
    client: TestClient, make_person: MakePerson, manager: Person
) -> None:
    make_person("alice")

    def create(body: dict[str, Any]) -> tuple[int, Any]:
        response = client.post("/api/v1/escalation-policies", json=body, headers=manager.headers)
        return response.status_code, response.json()

    status, body = create({"name": "Empty", "steps": []})
    assert status == 422
    assert body["error"]["details"][0]["field"] == "steps"
    status, body = create({"name": "No one", "steps": [{"delay_minutes": 5, "targets": []}]})
    assert status == 422
    assert body["error"]["details"][0]["field"] == "steps.0.targets"
    status, body = create(
        {
            "name": "Ghost",
            "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "user": "ghost"}]}],
        }
    )
    assert status == 422
    assert body["error"]["details"][0]["field"] == "steps.0.targets.0.user"
    status, body = create(
        {
            "name": "Nowhere",
            "steps": [{"delay_minutes": 5, "targets": [{"type": "schedule", "schedule_id": 999}]}],
        }
    )
    assert status == 422
    assert body["error"]["details"][0]["field"] == "steps.0.targets.0.schedule_id"

    first = _policy(client, manager, "First", [["alice"]])
    second_body = {
        "name": "Second",
        "steps": [{"delay_minutes": 5, "targets": [{"type": "policy", "policy_id": first["id"]}]}],
    }
    status, second = create(second_body)
    assert status == 201
    loop = client.put(
        f"/api/v1/escalation-policies/{first['id']}",
        json={
            "name": "First",
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "policy", "policy_id": second["id"]}]}
            ],
        },
        headers=manager.headers,
    )
    assert loop.status_code == 422
    assert loop.json()["error"]["details"][0]["field"] == "steps.0.targets.0.policy_id"
    assert "loop" in loop.json()["error"]["message"]
    unchanged = client.get(f"/api/v1/escalation-policies/{first['id']}", headers=manager.headers)
    assert unchanged.json()["steps"][0]["targets"][0]["kind"] == "user"


def test_a_policy_in_use_cannot_be_deleted_nor_its_people(
    client: TestClient, make_person: MakePerson, manager: Person, database: Database
) -> None:
    alice = make_person("alice")
    policy = _policy(client, manager, "Used", [["alice"]])
    made = client.post(
        "/api/v1/services", json={"slug": "checkout", "name": "Checkout"}, headers=manager.headers
    )
    assert made.status_code == 201
    pointed = client.put(
        "/api/v1/services/checkout/escalation-policy",
        json={"policy_id": policy["id"]},
        headers=manager.headers,
    )
    assert pointed.status_code == 200
    refused = client.delete(f"/api/v1/escalation-policies/{policy['id']}", headers=manager.headers)
    assert refused.status_code == 409
    assert "checkout" in refused.json()["error"]["message"]
    with database.session() as session, pytest.raises(Conflict) as refused_person:
        escalation.check_user_removable(session, user_id=alice.id)
    assert "'Used', step 1" in refused_person.value.message


def test_an_incident_on_a_service_pages_the_services_policy(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    database: Database,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
) -> None:
    make_person("alice")
    policy = _policy(client, manager, "Checkout on-call", [["alice"]])
    client.post(
        "/api/v1/services", json={"slug": "checkout", "name": "Checkout"}, headers=manager.headers
    )
    client.put(
        "/api/v1/services/checkout/escalation-policy",
        json={"policy_id": policy["id"]},
        headers=manager.headers,
    )
    incident = declare(client, manager, services=["checkout"])
    with database.session() as session:
        started = escalation.page_for_incident(
            session, incident_id=int(str(incident["id"])), reason="alert fired"
        )
        assert started is not None
        assert started.policy_name == "Checkout on-call"
    with database.session() as session:
        again = escalation.page_for_incident(session, incident_id=int(str(incident["id"])))
        assert again is not None
        assert again.id == started.id, "paging twice starts it once"
    engine.run_until_idle()
    assert len(smtp.to("alice@example.com")) == 1


def test_paging_without_any_policy_says_so(client: TestClient, manager: Person) -> None:
    ref = str(declare(client, manager)["reference"])
    response = client.post(f"/api/v1/incidents/{ref}/page", json={}, headers=manager.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "policy_id"


def test_a_due_step_fires_once_even_when_the_engine_runs_late(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
    clock: FrozenClock,
) -> None:
    for handle in ("alice", "bob", "carol"):
        make_person(handle)
    policy = _policy(client, manager, "Three", [["alice"], ["bob"], ["carol"]])
    ref = str(declare(client, manager)["reference"])
    _page(client, manager, ref, policy["id"])
    engine.run_until_idle()
    clock.advance(timedelta(minutes=12))  # the engine was down through two due times
    engine.run_until_idle()
    engine.run_until_idle()
    counts = [len(smtp.to(f"{h}@example.com")) for h in ("alice", "bob", "carol")]
    assert counts == [1, 1, 1], "no step skipped, none repeated"


def test_the_policies_page_lists_and_creates_policies(
    client: TestClient, make_person: MakePerson, manager: Person, responder: Person
) -> None:
    make_person("alice")
    made = client.post(
        "/oncall/policies",
        data={"name": "From the page", "steps": "5: alice\n10: team:ops", "repeat": "1"},
        headers=manager.headers,
        follow_redirects=False,
    )
    assert made.status_code == 422, "an unknown team is refused"
    assert "ops" in made.text
    made = client.post(
        "/oncall/policies",
        data={"name": "From the page", "steps": "5: alice\n10: alice", "repeat": "1"},
        headers=manager.headers,
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = client.get("/oncall/policies", headers=responder.headers)
    assert page.status_code == 200
    assert "From the page" in page.text
    assert "then wait 10 min" in page.text
    refused = client.post(
        "/oncall/policies",
        data={"name": "Not mine", "steps": "5: alice"},
        headers=responder.headers,
    )
    assert refused.status_code == 403
