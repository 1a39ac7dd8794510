"""Postmortems: made from a template with real incident data, pre-filled without overwriting
what people wrote, reviewed, approved and published as revisions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from firehouse.db import Database
from tests.conftest import MakePerson, Person, declare

PM = "/api/v1/incidents/{ref}/postmortem"


def resolved_incident(
    client: TestClient, clock: FrozenClock, who: Person, leader: str | None = None, **fields: Any
) -> str:
    """A SEV2 on Payments: declared, acknowledged after 5 minutes, a pinned note, mitigated
    after 40, resolved after an hour."""
    service = client.post(
        "/api/v1/services", json={"slug": "payments", "name": "Payments"}, headers=who.headers
    )
    assert service.status_code in (201, 409), service.text
    detected = (clock.now() - timedelta(minutes=12)).isoformat()
    incident = declare(client, who, services=["payments"], detected_at=detected, **fields)
    ref = str(incident["reference"])
    if leader:
        r = client.put(
            f"/api/v1/incidents/{ref}/roles/retrospective_leader",
            json={"user": leader},
            headers=who.headers,
        )
        assert r.status_code == 200, r.text
    clock.advance(timedelta(minutes=5))
    assert client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=who.headers).is_success
    note = client.post(
        f"/api/v1/incidents/{ref}/timeline",
        json={
            "body": "Rolled back the ledger deploy; card authorisations recovering",
            "pinned": True,
        },
        headers=who.headers,
    )
    assert note.status_code == 201, note.text
    client.post(
        f"/api/v1/incidents/{ref}/timeline",
        json={"body": "Unpinned chatter about lunch"},
        headers=who.headers,
    )
    clock.advance(timedelta(minutes=35))
    assert client.post(f"/api/v1/incidents/{ref}/mitigate", headers=who.headers).is_success
    clock.advance(timedelta(minutes=20))
    assert client.post(f"/api/v1/incidents/{ref}/resolve", headers=who.headers).is_success
    return ref


def sections(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in body["sections"]}


def test_a_postmortem_is_prefilled_from_the_incident_record(
    client: TestClient, clock: FrozenClock, manager: Person, responder: Person
) -> None:
    ref = resolved_incident(client, clock, manager, leader=responder.handle)
    r = client.post(PM.format(ref=ref), json={}, headers=manager.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["template"] == "full_rca"
    assert body["owner"] == responder.handle  # the retrospective leader
    assert body["status"] == "draft"
    got = sections(body)
    assert "SEV2 (High)" in got["impact"]["body"]
    assert "Payments" in got["impact"]["body"]
    assert "2026-03-02 08:48 UTC to 2026-03-02 09:40 UTC (52m)" in got["impact"]["body"]
    assert "| Time to detect | 12m |" in got["metrics"]["body"]
    assert "| Time to acknowledge | 5m |" in got["metrics"]["body"]
    assert "| Time to mitigate | 40m |" in got["metrics"]["body"]
    assert "| Time to resolve | 1h 00m |" in got["metrics"]["body"]
    assert "Rolled back the ledger deploy" in got["timeline"]["body"]
    assert "lunch" not in got["timeline"]["body"]
    assert f"**retrospective leader**: @{responder.handle}" in got["roles"]["body"]
    assert "{{" not in "".join(s["body"] for s in body["sections"])
    assert got["summary"]["body"] == ""  # written by people
    assert got["summary"]["guidance"]
    # due 7 days (the SEV2 setting) after resolution
    assert body["due_at"].startswith("2026-03-09T10:00")
    assert body["overdue"] is False


def test_the_template_follows_type_and_severity(
    client: TestClient, clock: FrozenClock, manager: Person
) -> None:
    minor = declare(client, manager, severity="SEV4")
    r = client.post(PM.format(ref=minor["reference"]), json={}, headers=manager.headers)
    assert r.json()["template"] == "lessons_learned"
    breach = declare(client, manager, severity="SEV1", type="security")
    r = client.post(PM.format(ref=breach["reference"]), json={}, headers=manager.headers)
    keys = set(sections(r.json()))
    assert r.json()["template"] == "security_review"
    assert {"containment", "evidence", "notifications"} <= keys
    chosen = declare(client, manager, severity="SEV4", title="Chosen")
    r = client.post(
        PM.format(ref=chosen["reference"]), json={"template": "full_rca"}, headers=manager.headers
    )
    assert r.json()["template"] == "full_rca"
    again = client.post(PM.format(ref=chosen["reference"]), json={}, headers=manager.headers)
    assert again.status_code == 409
    bad = declare(client, manager, severity="SEV4", title="Bad")
    r = client.post(
        PM.format(ref=bad["reference"]), json={"template": "novel"}, headers=manager.headers
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "template"


def test_regenerating_never_overwrites_what_people_wrote(
    client: TestClient, clock: FrozenClock, manager: Person
) -> None:
    ref = resolved_incident(client, clock, manager)
    client.post(PM.format(ref=ref), json={}, headers=manager.headers)
    edits = {
        "summary": "The ledger deploy broke card authorisations.",
        "impact": "Card payments failed for 52 minutes in the EU.",
    }
    for key, text in edits.items():
        r = client.put(
            PM.format(ref=ref) + f"/sections/{key}", json={"body": text}, headers=manager.headers
        )
        assert r.status_code == 200, r.text
    client.post(
        f"/api/v1/incidents/{ref}/timeline",
        json={"body": "Found the missing index on ledger_entries", "pinned": True},
        headers=manager.headers,
    )
    r = client.post(PM.format(ref=ref) + "/regenerate", headers=manager.headers)
    assert r.status_code == 200, r.text
    got = sections(r.json())
    assert got["summary"]["body"] == edits["summary"]
    assert got["impact"]["body"] == edits["impact"]
    assert got["impact"]["edited"] is True
    assert "SEV2" in got["impact"]["generated"]  # what the record says, kept alongside
    assert "missing index on ledger_entries" in got["timeline"]["body"]  # not edited: follows


def test_publishing_needs_approvals_and_required_sections(
    client: TestClient, clock: FrozenClock, manager: Person, make_person: MakePerson
) -> None:
    owner = make_person("olga")
    reviewer = make_person("rex")
    ref = resolved_incident(client, clock, manager, leader=owner.handle)
    client.post(PM.format(ref=ref), json={}, headers=owner.headers)
    url = PM.format(ref=ref)
    r = client.post(url + "/publish", headers=owner.headers)
    assert r.status_code == 409
    missing = r.json()["error"]["details"]["missing"]
    assert set(missing["sections"]) == {"summary", "detection", "root_cause"}
    assert missing["approvals"] == ["at least one reviewer"]
    assert "summary" in r.json()["error"]["message"]
    assert client.post(url + "/submit", headers=owner.headers).status_code == 409  # no reviewer
    assert client.put(url + f"/reviewers/{reviewer.handle}", headers=owner.headers).is_success
    assert client.post(url + "/submit", headers=owner.headers).json()["status"] == "in_review"
    # only a named reviewer approves
    assert client.post(url + "/approve", headers=owner.headers).status_code == 403
    assert client.post(url + "/approve", headers=reviewer.headers).is_success
    for key in ("summary", "detection", "root_cause"):
        client.put(url + f"/sections/{key}", json={"body": f"{key} text"}, headers=owner.headers)
    # the approval was for the text before these edits
    r = client.post(url + "/publish", headers=owner.headers)
    assert r.status_code == 409
    assert r.json()["error"]["details"]["missing"] == {"approvals": [reviewer.handle]}
    assert client.post(url + "/approve", headers=reviewer.headers).is_success
    r = client.post(url + "/publish", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"
    assert r.json()["revision"] == 1


def test_editing_a_published_postmortem_starts_a_new_revision(
    client: TestClient,
    clock: FrozenClock,
    manager: Person,
    admin: Person,
    make_person: MakePerson,
) -> None:
    reviewer = make_person("rex")
    ref = resolved_incident(client, clock, manager, leader=manager.handle)
    url = PM.format(ref=ref)
    client.post(url, json={"template": "lessons_learned"}, headers=manager.headers)
    for key in ("summary", "lessons"):
        client.put(url + f"/sections/{key}", json={"body": "first words"}, headers=manager.headers)
    client.put(url + f"/reviewers/{reviewer.handle}", headers=manager.headers)
    assert client.post(url + "/approve", headers=reviewer.headers).status_code == 409  # a draft
    client.post(url + "/submit", headers=manager.headers)
    client.post(url + "/approve", headers=reviewer.headers)
    assert client.post(url + "/publish", headers=manager.headers).is_success
    r = client.put(
        url + "/sections/summary", json={"body": "better words"}, headers=manager.headers
    )
    assert r.json()["revision"] == 2
    assert r.json()["status"] == "draft"
    # the approval was for revision 1
    r = client.post(url + "/publish", headers=manager.headers)
    assert r.status_code == 409
    assert r.json()["error"]["details"]["missing"] == {
        "approvals": [reviewer.handle],
        "review": ["submit it for review"],
    }
    client.post(url + "/submit", headers=manager.headers)
    client.post(url + "/approve", headers=reviewer.headers)
    assert client.post(url + "/publish", headers=manager.headers).json()["revision"] == 2
    revisions = client.get(url + "/revisions", headers=manager.headers).json()
    assert [r["number"] for r in revisions] == [1, 2]
    summary = [{s["key"]: s["body"] for s in r["sections"]}["summary"] for r in revisions]
    assert summary == ["first words", "better words"]
    assert revisions[0]["approved_by"] == [reviewer.handle]
    audit = client.get(
        "/api/v1/audit",
        params={"action": "postmortem.section.edit", "target_id": ref},
        headers=admin.headers,
    ).json()["items"]
    edits = sorted((a["before"]["body"], a["after"]["body"], a["after"]["revision"]) for a in audit)
    assert ("first words", "better words", 2) in edits


def test_a_postmortem_owner_satisfies_the_closure_checklist(
    client: TestClient, clock: FrozenClock, manager: Person, responder: Person
) -> None:
    ref = resolved_incident(client, clock, manager)
    item = "postmortem_owner"

    def checked() -> bool:
        items = client.get(f"/api/v1/incidents/{ref}/checklist", headers=manager.headers).json()
        rows = items["items"] if isinstance(items, dict) else items
        return bool({i["key"]: i for i in rows}[item]["checked"])

    assert checked() is False
    client.post(PM.format(ref=ref), json={"owner": responder.handle}, headers=manager.headers)
    assert checked() is True


def test_changes_to_the_services_are_listed(
    client: TestClient, clock: FrozenClock, database: Database, manager: Person
) -> None:
    from firehouse.alerts.service import record_change

    client.post(
        "/api/v1/services", json={"slug": "payments", "name": "Payments"}, headers=manager.headers
    )
    with database.session() as session:
        record_change(
            session, integration=None, summary="Deploy ledger v42", service="payments",
            version="v42", who="ci",
        )  # fmt: skip
    clock.advance(timedelta(minutes=30))
    ref = resolved_incident(client, clock, manager)
    r = client.post(PM.format(ref=ref), json={}, headers=manager.headers)
    signals = sections(r.json())["signals"]["body"]
    assert "Deploy ledger v42 (v42) by ci" in signals
