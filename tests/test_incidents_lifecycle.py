"""The incident lifecycle through the API: every allowed and every forbidden transition, reopen,
merge, cancel, and milestone edits on the record."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from firehouse.db import Database
from tests.conftest import START, MakePerson, Person, declare
from tests.incident_steps import (
    ACTIONS,
    LIFECYCLE,
    act,
    audit_of,
    check_all,
    incident_in,
    timeline,
    written,
)

PAIRS = [(status, action) for status in LIFECYCLE for action in ACTIONS]


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_transition_is_allowed_or_refused_with_the_allowed_actions(
    client: TestClient,
    manager: Person,
    admin: Person,
    database: Database,
    clock: FrozenClock,
    status: str,
    action: str,
) -> None:
    incident = incident_in(client, manager, status)
    ref = incident["reference"]
    assert sorted(incident["allowed_actions"]) == sorted(LIFECYCLE[status])
    if action == "close" and status == "resolved":
        check_all(client, manager, ref)
    into = declare(client, manager, title="Survivor", severity="SEV3")["reference"]
    clock.advance(timedelta(minutes=7))
    before = written(database)
    code, body = act(client, manager, ref, action, **({"into": into} if action == "merge" else {}))

    if action not in LIFECYCLE[status]:
        assert code == 409, body
        error = body["error"]
        assert error["code"] == "conflict"
        assert sorted(error["details"]["allowed_actions"]) == sorted(LIFECYCLE[status])
        assert written(database) == before  # nothing written, audit included
        again = client.get(f"/api/v1/incidents/{ref}", headers=manager.headers).json()
        assert again["status"] == status
        return

    assert code == 200, body
    assert body["status"] == LIFECYCLE[status][action]
    audit_count, entries = written(database)
    assert audit_count > before[0]
    assert entries > before[1]
    (change,) = [
        e
        for e in timeline(client, manager, ref, kind="status_change")
        if e["data"]["action"] == action
    ]
    assert change["data"] == {**change["data"], "from": status, "to": body["status"]}
    assert change["author"]["handle"] == manager.handle
    assert audit_of(client, admin, ref, f"incident.{action}")


def test_milestones_follow_each_transition(
    client: TestClient, responder: Person, clock: FrozenClock
) -> None:
    ref = declare(client, responder, severity="SEV3")["reference"]
    declared_at = START
    clock.advance(timedelta(minutes=3))
    _, acked = act(client, responder, ref, "acknowledge")
    m = acked["milestones"]
    assert _t(m["declared_at"]) == declared_at
    assert _t(m["acknowledged_at"]) == START + timedelta(minutes=3)
    assert m["mitigated_at"] is None
    assert m["resolved_at"] is None
    clock.advance(timedelta(minutes=20))
    _, resolved = act(client, responder, ref, "resolve")
    m = resolved["milestones"]
    # acknowledged straight to resolved: resolving implies the impact was mitigated then too
    assert _t(m["mitigated_at"]) == _t(m["resolved_at"]) == START + timedelta(minutes=23)
    clock.advance(timedelta(minutes=5))
    _, reopened = act(client, responder, ref, "reopen", reason="errors are back")
    m = reopened["milestones"]
    assert reopened["status"] == "acknowledged"
    assert _t(m["acknowledged_at"]) == START + timedelta(minutes=3)
    assert m["mitigated_at"] is None
    assert m["resolved_at"] is None


def test_reopen_needs_a_reason_and_records_it(
    client: TestClient, responder: Person, admin: Person, database: Database
) -> None:
    ref = incident_in(client, responder, "mitigated")["reference"]
    before = written(database)
    for body in ({}, {"reason": "   "}):
        r = client.post(f"/api/v1/incidents/{ref}/reopen", json=body, headers=responder.headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"][0]["field"] == "reason"
    assert written(database) == before
    code, body = act(client, responder, ref, "reopen", reason="alerts fired again")
    assert code == 200
    assert body["allowed_actions"] == ["mitigate", "resolve", "cancel", "merge"]
    entry = timeline(client, responder, ref, kind="status_change")[-1]
    assert "alerts fired again" in entry["body"]
    assert entry["data"]["reason"] == "alerts fired again"
    (record,) = audit_of(client, admin, ref, "incident.reopen")
    assert record["before"]["status"] == "mitigated"
    assert record["after"]["status"] == "acknowledged"


def test_cancel_ends_an_incident_declared_by_mistake(
    client: TestClient, responder: Person, clock: FrozenClock
) -> None:
    ref = declare(client, responder, severity="SEV3")["reference"]
    clock.advance(timedelta(minutes=2))
    code, body = act(client, responder, ref, "cancel", reason="duplicate page")
    assert code == 200
    assert body["status"] == "canceled"
    assert _t(body["milestones"]["canceled_at"]) == START + timedelta(minutes=2)
    assert body["allowed_actions"] == []
    r = client.patch(f"/api/v1/incidents/{ref}", json={"title": "x"}, headers=responder.headers)
    assert r.status_code == 409
    r = client.post(
        f"/api/v1/incidents/{ref}/timeline", json={"body": "late note"}, headers=responder.headers
    )
    assert r.status_code == 201  # notes on a canceled incident are still history


def test_merge_moves_the_timeline_and_services_to_the_survivor(
    client: TestClient, responder: Person, admin: Person, make_person: MakePerson
) -> None:
    for slug in ("checkout", "payments"):
        r = client.post(
            "/api/v1/services", json={"slug": slug, "name": slug.title()}, headers=admin.headers
        )
        assert r.status_code == 201, r.text
    source = declare(client, responder, title="Checkout 500s", services=["checkout"])
    target = declare(client, responder, title="Payments down", services=["payments"])
    client.post(
        f"/api/v1/incidents/{source['reference']}/timeline",
        json={"body": "first clue"},
        headers=responder.headers,
    )
    r = client.post(
        f"/api/v1/incidents/{source['reference']}/merge",
        json={"into": target["reference"], "reason": "same root cause"},
        headers=responder.headers,
    )
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["status"] == "merged"
    assert merged["merged_into"] == target["reference"]
    assert merged["allowed_actions"] == []
    survivor = client.get(
        f"/api/v1/incidents/{target['reference']}", headers=responder.headers
    ).json()
    assert survivor["services"] == ["checkout", "payments"]
    entries = timeline(client, responder, target["reference"])
    bodies = [e["body"] for e in entries]
    assert "first clue" in bodies
    assert any("merged into this incident: same root cause" in b for b in bodies)
    assert {e["incident"] for e in entries} == {source["reference"], target["reference"]}
    assert audit_of(client, admin, source["reference"], "incident.merge")


def test_merge_refuses_itself_a_closed_target_and_a_hidden_one(
    client: TestClient, manager: Person, make_person: MakePerson, database: Database
) -> None:
    ref = declare(client, manager, severity="SEV3")["reference"]
    closed = incident_in(client, manager, "closed")["reference"]
    insider = make_person("sec", teams=("security",))
    hidden = declare(client, insider, type="security", team="security")["reference"]
    before = written(database)
    itself = client.post(
        f"/api/v1/incidents/{ref}/merge", json={"into": ref}, headers=manager.headers
    )
    assert itself.status_code == 422
    assert itself.json()["error"]["details"][0]["field"] == "into"
    into_closed = client.post(
        f"/api/v1/incidents/{ref}/merge", json={"into": closed}, headers=manager.headers
    )
    assert into_closed.status_code == 409
    assert into_closed.json()["error"]["details"]["field"] == "into"
    into_hidden = client.post(
        f"/api/v1/incidents/{ref}/merge", json={"into": hidden}, headers=manager.headers
    )
    assert into_hidden.status_code == 404
    assert written(database) == before


def _milestones(
    client: TestClient, who: Person, ref: str, **changes: Any
) -> tuple[int, dict[str, Any]]:
    body = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in changes.items()}
    r = client.patch(f"/api/v1/incidents/{ref}/milestones", json=body, headers=who.headers)
    return r.status_code, r.json()


def test_milestone_edits_are_audited_and_on_the_timeline(
    client: TestClient, responder: Person, admin: Person, clock: FrozenClock
) -> None:
    ref = incident_in(client, responder, "resolved")["reference"]
    clock.advance(timedelta(hours=1))
    detected, declared, acked = (START - timedelta(minutes=m) for m in (20, 15, 10))
    code, body = _milestones(
        client, responder, ref, detected_at=detected, declared_at=declared, acknowledged_at=acked
    )
    assert code == 200, body
    assert _t(body["milestones"]["detected_at"]) == detected
    assert _t(body["milestones"]["declared_at"]) == declared
    assert _t(body["milestones"]["acknowledged_at"]) == acked
    assert _t(body["milestones"]["resolved_at"]) == START
    entry = timeline(client, responder, ref, kind="milestone_change")[-1]
    assert entry["author"]["handle"] == responder.handle
    assert set(entry["data"]) == {"detected_at", "declared_at", "acknowledged_at"}
    assert entry["data"]["acknowledged_at"] == {
        "from": START.isoformat(),
        "to": acked.isoformat(),
    }
    (record,) = audit_of(client, admin, ref, "incident.milestones")
    assert record["actor"] == responder.handle
    assert record["before"]["acknowledged_at"] == START.isoformat()
    assert record["after"]["acknowledged_at"] == acked.isoformat()
    code, body = _milestones(client, responder, ref, acknowledged_at=acked)
    assert code == 200
    assert len(audit_of(client, admin, ref, "incident.milestones")) == 1  # no change, no record


def test_milestone_edits_keep_the_lifecycle_consistent(
    client: TestClient, responder: Person, database: Database, clock: FrozenClock
) -> None:
    clock.advance(timedelta(hours=1))
    ref = incident_in(client, responder, "acknowledged")["reference"]
    before = written(database)
    now = START + timedelta(hours=1)
    bad = [
        ({"acknowledged_at": now + timedelta(minutes=1)}, "acknowledged_at"),  # future
        ({"acknowledged_at": now - timedelta(hours=2)}, "acknowledged_at"),  # before declared
        ({"detected_at": now + timedelta(seconds=1)}, "detected_at"),
        ({"mitigated_at": now}, "mitigated_at"),  # not reached yet
        ({"acknowledged_at": None}, "acknowledged_at"),  # acknowledged needs it
        ({"declared_at": None}, "declared_at"),
        ({"closed_at": now}, "closed_at"),
    ]
    for changes, field in bad:
        code, body = _milestones(client, responder, ref, **changes)
        assert code == 422, (changes, body)
        assert body["error"]["details"][0]["field"] == field, changes
    assert written(database) == before
    unchanged = client.get(f"/api/v1/incidents/{ref}", headers=responder.headers).json()
    assert _t(unchanged["milestones"]["acknowledged_at"]) == now


def test_a_viewer_and_a_read_only_token_cannot_move_an_incident(
    client: TestClient, responder: Person, viewer: Person, database: Database
) -> None:
    ref = declare(client, responder, severity="SEV3")["reference"]
    before = written(database)
    code, _ = act(client, viewer, ref, "acknowledge")
    assert code == 403
    assert written(database) == before
    seen = client.get(f"/api/v1/incidents/{ref}", headers=viewer.headers).json()
    assert seen["status"] == "triggered"


def test_an_ended_incident_gains_no_milestones_it_never_reached(
    client: TestClient, responder: Person, database: Database, clock: FrozenClock
) -> None:
    canceled = incident_in(client, responder, "canceled")["reference"]
    merged = incident_in(client, responder, "merged")["reference"]
    clock.advance(timedelta(minutes=30))
    later = START + timedelta(minutes=10)
    before = written(database)
    for ref, changes in [
        (canceled, {"acknowledged_at": later}),
        (canceled, {"mitigated_at": later}),
        (merged, {"resolved_at": later}),
        (merged, {"closed_at": later}),
    ]:
        code, body = _milestones(client, responder, ref, **changes)
        assert code == 422, (ref, changes, body)
        assert body["error"]["details"][0]["field"] == next(iter(changes))
    assert written(database) == before
    code, body = _milestones(client, responder, canceled, detected_at=START - timedelta(hours=1))
    assert code == 200, body
