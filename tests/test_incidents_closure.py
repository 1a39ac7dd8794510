"""Closing an incident: only by the designated authority, and only with a complete checklist
whose items are each checked by a named person at a time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.people.models import Role
from tests.conftest import START, MakePerson, Person, declare
from tests.incident_steps import BASE_ITEMS, act, audit_of, check_all, incident_in, written


def _checklist(client: TestClient, who: Person, ref: str) -> dict[str, dict[str, object]]:
    r = client.get(f"/api/v1/incidents/{ref}/checklist", headers=who.headers)
    assert r.status_code == 200, r.text
    return {i["key"]: i for i in r.json()["items"]}


def _assign(client: TestClient, who: Person, ref: str, role: str, handle: str) -> None:
    r = client.put(
        f"/api/v1/incidents/{ref}/roles/{role}", json={"user": handle}, headers=who.headers
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("closer", "allowed"),
    [
        ("incident's manager", True),
        ("global incident_manager", True),
        ("admin", True),
        ("technical lead", False),
        ("former incident manager", False),
        ("responder", False),
        ("viewer", False),
    ],
)
def test_only_the_incident_manager_or_a_global_authority_may_close(
    client: TestClient,
    make_person: MakePerson,
    database: Database,
    closer: str,
    allowed: bool,
) -> None:
    declarer = make_person("dee")
    people = {
        "incident's manager": make_person("ian"),
        "global incident_manager": make_person("gia", Role.incident_manager),
        "admin": make_person("ada", Role.admin),
        "technical lead": make_person("ted"),
        "former incident manager": make_person("fay"),
        "responder": make_person("rob"),
        "viewer": make_person("val", Role.viewer),
    }
    ref = incident_in(client, declarer, "resolved")["reference"]
    check_all(client, declarer, ref)
    _assign(client, declarer, ref, "incident_manager", "fay")
    _assign(client, declarer, ref, "incident_manager", "ian")  # fay's stint ends
    _assign(client, declarer, ref, "technical_lead", "ted")
    before = written(database)
    code, body = act(client, people[closer], ref, "close")
    if allowed:
        assert code == 200, body
        assert body["status"] == "closed"
        return
    assert code == 403, body
    assert body["error"]["code"] == "forbidden"
    assert written(database) == before


def test_closing_with_open_items_lists_them(
    client: TestClient, manager: Person, database: Database
) -> None:
    ref = incident_in(client, manager, "resolved", severity="SEV2")["reference"]
    before = written(database)
    code, body = act(client, manager, ref, "close")
    assert code == 409
    missing = body["error"]["details"]["missing"]
    assert [m["key"] for m in missing] == [*BASE_ITEMS, "postmortem_owner"]
    assert all(m["label"] for m in missing)
    assert written(database) == before

    for item in ("slo_restored", "documented"):
        client.put(f"/api/v1/incidents/{ref}/checklist/{item}", headers=manager.headers)
    code, body = act(client, manager, ref, "close")
    assert code == 409
    assert [m["key"] for m in body["error"]["details"]["missing"]] == [
        "users_unaffected",
        "stakeholders_notified",
        "postmortem_owner",
    ]
    check_all(client, manager, ref)
    _assign(client, manager, ref, "retrospective_leader", manager.handle)
    code, body = act(client, manager, ref, "close")
    assert code == 200, body
    assert body["status"] == "closed"


def test_each_item_is_checked_by_a_named_person_at_a_time(
    client: TestClient,
    responder: Person,
    make_person: MakePerson,
    admin: Person,
    clock: FrozenClock,
) -> None:
    other = make_person("olga")
    ref = incident_in(client, responder, "resolved")["reference"]
    clock.advance(timedelta(minutes=5))
    r = client.put(
        f"/api/v1/incidents/{ref}/checklist/slo_restored",
        json={"note": "p99 back under 300 ms for 30 min"},
        headers=responder.headers,
    )
    assert r.status_code == 200, r.text
    clock.advance(timedelta(minutes=5))
    client.put(f"/api/v1/incidents/{ref}/checklist/users_unaffected", headers=other.headers)
    clock.advance(timedelta(minutes=5))
    # checking it again keeps who checked it first, and when
    client.put(f"/api/v1/incidents/{ref}/checklist/slo_restored", headers=other.headers)
    items = _checklist(client, responder, ref)
    assert items["slo_restored"]["checked_by"] == responder.handle
    assert items["slo_restored"]["checked_at"] is not None
    assert datetime.fromisoformat(str(items["slo_restored"]["checked_at"])) == START + timedelta(
        minutes=5
    )
    assert items["slo_restored"]["note"] == "p99 back under 300 ms for 30 min"
    assert items["users_unaffected"]["checked_by"] == "olga"
    assert datetime.fromisoformat(
        str(items["users_unaffected"]["checked_at"])
    ) == START + timedelta(minutes=10)
    assert items["documented"]["checked"] is False
    assert items["documented"]["checked_by"] is None
    records = audit_of(client, admin, ref, "incident.checklist.check")
    assert sorted((r["actor"], r["after"]["item"]) for r in records) == [
        ("olga", "users_unaffected"),
        (responder.handle, "slo_restored"),
    ]


def test_unchecking_reopens_an_item_on_the_record(
    client: TestClient, manager: Person, admin: Person
) -> None:
    ref = incident_in(client, manager, "resolved")["reference"]
    check_all(client, manager, ref)
    r = client.delete(f"/api/v1/incidents/{ref}/checklist/documented", headers=manager.headers)
    assert r.status_code == 200
    assert r.json()["complete"] is False
    code, body = act(client, manager, ref, "close")
    assert code == 409
    assert [m["key"] for m in body["error"]["details"]["missing"]] == ["documented"]
    assert audit_of(client, admin, ref, "incident.checklist.uncheck")
    entries = client.get(
        f"/api/v1/incidents/{ref}/timeline", params={"kind": "checklist"}, headers=manager.headers
    ).json()
    assert entries[-1]["body"] == f"checklist: documented unchecked by {manager.handle}"


def test_the_postmortem_owner_is_checked_by_assigning_the_role(
    client: TestClient, manager: Person, make_person: MakePerson
) -> None:
    ref = incident_in(client, manager, "resolved", severity="SEV1")["reference"]
    r = client.put(f"/api/v1/incidents/{ref}/checklist/postmortem_owner", headers=manager.headers)
    assert r.status_code == 409
    make_person("rhea")
    _assign(client, manager, ref, "retrospective_leader", "rhea")
    owner = _checklist(client, manager, ref)["postmortem_owner"]
    assert owner["checked"] is True
    assert owner["automatic"] is True
    assert owner["checked_by"] == manager.handle


def test_unknown_items_and_viewers_are_refused(
    client: TestClient, responder: Person, viewer: Person, database: Database
) -> None:
    ref = incident_in(client, responder, "resolved")["reference"]
    before = written(database)
    r = client.put(f"/api/v1/incidents/{ref}/checklist/vibes", headers=responder.headers)
    assert r.status_code == 404
    assert set(r.json()["error"]["details"]["items"]) == set(BASE_ITEMS)
    r = client.put(f"/api/v1/incidents/{ref}/checklist/documented", headers=viewer.headers)
    assert r.status_code == 403
    assert written(database) == before


def test_the_checklist_is_configured_per_severity(
    client: TestClient, admin: Person, manager: Person
) -> None:
    r = client.patch(
        "/api/v1/severities/SEV4",
        json={"closure_checklist": [{"key": "owner_told", "label": "Service owner told"}]},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    low = incident_in(client, manager, "resolved", severity="SEV4")["reference"]
    code, body = act(client, manager, low, "close")
    assert code == 409
    assert body["error"]["details"]["missing"] == [
        {"key": "owner_told", "label": "Service owner told"}
    ]
    client.put(f"/api/v1/incidents/{low}/checklist/owner_told", headers=manager.headers)
    code, body = act(client, manager, low, "close")
    assert code == 200, body
    medium = declare(client, manager, severity="SEV3")["reference"]
    assert set(_checklist(client, manager, medium)) == set(BASE_ITEMS)


def test_a_closed_incident_keeps_its_checklist_frozen(client: TestClient, manager: Person) -> None:
    ref = incident_in(client, manager, "closed")["reference"]
    r = client.delete(f"/api/v1/incidents/{ref}/checklist/documented", headers=manager.headers)
    assert r.status_code == 409
    assert _checklist(client, manager, ref)["documented"]["checked"] is True
