"""After the postmortem: the customer-facing review, exports, action items and their lists,
reminders through the engine, and search across postmortems and timelines."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.notify.models import Notification
from firehouse.people.models import Role
from firehouse.postmortems import jobs as postmortem_jobs
from firehouse.settings import Settings
from tests.conftest import MakePerson, Person, declare
from tests.test_postmortems import PM, resolved_incident

INTERNAL = "The on-call engineer restarted ledger-7 with the wrong flag"


def _write(client: TestClient, who: Person, ref: str, key: str, body: str) -> None:
    r = client.put(
        PM.format(ref=ref) + f"/sections/{key}", json={"body": body}, headers=who.headers
    )
    assert r.status_code == 200, r.text


def test_the_customer_review_never_contains_internal_sections(
    client: TestClient, clock: FrozenClock, manager: Person, make_person: MakePerson
) -> None:
    comms = make_person("cora")
    ref = resolved_incident(client, clock, manager)
    url = PM.format(ref=ref)
    client.post(url, json={}, headers=manager.headers)
    _write(client, manager, ref, "summary", "Card payments failed for some customers.")
    _write(client, manager, ref, "root_cause", INTERNAL)
    r = client.put(
        url + "/customer-review", json={"reviewer": comms.handle}, headers=manager.headers
    )
    text = r.json()["customer_review"]["text"]
    assert "Card payments failed for some customers." in text
    assert INTERNAL not in text
    assert "Rolled back the ledger deploy" not in text  # the timeline is internal
    # not exportable until the named reviewer approves
    assert (
        client.get(url + "/customer-review/export.md", headers=manager.headers).status_code == 409
    )
    assert client.post(url + "/customer-review/approve", headers=manager.headers).status_code == 403
    assert client.post(url + "/customer-review/approve", headers=comms.headers).is_success
    exported = client.get(url + "/customer-review/export.html", headers=manager.headers)
    assert exported.status_code == 200
    assert "Card payments failed" in exported.text
    assert INTERNAL not in exported.text
    # a change needs a new approval
    client.put(url + "/customer-review", json={"text": "Edited."}, headers=manager.headers)
    assert (
        client.get(url + "/customer-review/export.md", headers=manager.headers).status_code == 409
    )


def test_export_as_markdown_and_a_standalone_sanitized_page(
    client: TestClient, clock: FrozenClock, manager: Person
) -> None:
    ref = resolved_incident(client, clock, manager)
    url = PM.format(ref=ref)
    client.post(url, json={}, headers=manager.headers)
    _write(client, manager, ref, "summary", "Payments failed. <script>alert(1)</script>")
    client.put(
        url + "/retrospective",
        json={"facilitator": manager.handle, "attendees": [manager.handle],
              "notes": "Blameless review.", "decisions": ["Add a ledger canary"]},
        headers=manager.headers,
    )  # fmt: skip
    md = client.get(url + "/export.md", headers=manager.headers)
    assert md.status_code == 200
    assert md.headers["content-disposition"].endswith(f'"{ref}-postmortem.md"')
    assert md.text.startswith(f"# Postmortem: {ref} Checkout is failing")
    assert "## Root cause and contributing factors" in md.text
    assert "- Add a ledger canary" in md.text
    page = client.get(url + "/export.html", headers=manager.headers)
    assert page.text.startswith("<!doctype html>")
    assert "<h2>Summary</h2>" in page.text
    assert "@media print" in page.text
    assert "<script>" not in page.text


def test_action_items_lists_mine_team_overdue_and_category(
    client: TestClient, clock: FrozenClock, manager: Person, make_person: MakePerson
) -> None:
    tess = make_person("tess", teams=("payments",))
    paul = make_person("paul", teams=("payments",))
    ref = str(declare(client, manager)["reference"])
    due = (clock.now() + timedelta(days=3)).isoformat()

    def add(title: str, category: str, owner: str, **extra: object) -> int:
        r = client.post(
            f"/api/v1/incidents/{ref}/actions",
            json={"title": title, "category": category, "owner": owner, **extra},
            headers=manager.headers,
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    canary = add("Add a ledger canary", "observability", tess.handle, due_at=due)
    runbook = add("Write the failover runbook", "response_plan", paul.handle)
    add("Shard the ledger", "workload_remediation", manager.handle)

    def titles(**params: object) -> list[str]:
        r = client.get("/api/v1/actions", params=params, headers=tess.headers)
        assert r.status_code == 200, r.text
        return [i["title"] for i in r.json()["items"]]

    assert titles(owner="me") == ["Add a ledger canary"]
    assert set(titles(team="mine")) == {"Add a ledger canary", "Write the failover runbook"}
    assert titles(category="response_plan") == ["Write the failover runbook"]
    assert titles(overdue=True) == []
    clock.advance(timedelta(days=4))
    assert titles(overdue=True) == ["Add a ledger canary"]
    r = client.patch(f"/api/v1/actions/{runbook}", json={"status": "wont_do"}, headers=tess.headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "reason"
    r = client.patch(
        f"/api/v1/actions/{runbook}",
        json={"status": "wont_do", "reason": "The service is being retired."},
        headers=tess.headers,
    )
    assert r.json()["status"] == "wont_do"
    client.patch(f"/api/v1/actions/{canary}", json={"status": "done"}, headers=tess.headers)
    assert titles(team="mine") == []
    r = client.get(f"/api/v1/incidents/{ref}/actions", headers=tess.headers)
    assert {i["status"] for i in r.json()["items"]} == {"done", "wont_do", "open"}


def _sent(database: Database) -> list[tuple[str, str]]:
    with database.session(write=False) as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        return [(n.target, n.kind) for n in rows]


def test_reminders_go_once_before_and_after_the_due_date(
    client: TestClient,
    clock: FrozenClock,
    database: Database,
    settings: Settings,
    manager: Person,
    responder: Person,
) -> None:
    engine = Engine(database, jobs=postmortem_jobs.jobs(settings), listen=False)
    ref = resolved_incident(client, clock, manager, leader=responder.handle)
    client.post(PM.format(ref=ref), json={}, headers=manager.headers)
    client.post(
        f"/api/v1/incidents/{ref}/actions",
        json={"title": "Add a ledger canary", "category": "observability",
              "owner": responder.handle, "due_at": (clock.now() + timedelta(days=3)).isoformat()},
        headers=manager.headers,
    )  # fmt: skip
    engine.run_until_idle()
    assert _sent(database) == []
    clock.advance(timedelta(days=2, hours=1))  # a day before the action item is due
    engine.run_until_idle()
    engine.run_until_idle()
    mail = f"{responder.handle}@example.com"
    assert _sent(database) == [(mail, "action_item.due_soon")]
    clock.advance(timedelta(days=2))  # a day after
    engine.run_until_idle()
    assert _sent(database)[1:] == [(mail, "action_item.overdue")]
    clock.advance(timedelta(days=4))  # the postmortem was due 7 days after resolution
    engine.run_until_idle()
    engine.run_until_idle()
    assert _sent(database)[2:] == [(mail, "postmortem.overdue")]
    r = client.get("/api/v1/postmortems", params={"overdue": True}, headers=responder.headers)
    assert [p["incident"] for p in r.json()["items"]] == [ref]
    assert r.json()["items"][0]["overdue"] is True
    clock.advance(timedelta(days=30))
    engine.run_until_idle()
    assert len(_sent(database)) == 3  # each reminder once


def test_search_finds_a_postmortem_by_words_from_its_timeline(
    client: TestClient, clock: FrozenClock, manager: Person
) -> None:
    ref = resolved_incident(client, clock, manager)
    client.post(PM.format(ref=ref), json={}, headers=manager.headers)
    _write(client, manager, ref, "root_cause", "A missing index on the ledger entries table.")
    other = declare(client, manager, title="Search is slow")
    client.post(
        f"/api/v1/incidents/{other['reference']}/timeline",
        json={"body": "Elasticsearch heap exhausted"},
        headers=manager.headers,
    )
    r = client.get(
        "/api/v1/search", params={"q": "authorisations recovering"}, headers=manager.headers
    )
    assert r.status_code == 200, r.text
    hits = r.json()["items"]
    assert {(h["incident"], h["source"]) for h in hits} == {(ref, "timeline"), (ref, "postmortem")}
    assert any("**recovering**" in h["snippet"] for h in hits)
    r = client.get("/api/v1/search", params={"q": "indexes ledger"}, headers=manager.headers)
    assert [(h["incident"], h["source"]) for h in r.json()["items"]] == [(ref, "postmortem")]
    r = client.get("/api/v1/search", params={"q": "heap"}, headers=manager.headers)
    assert [h["incident"] for h in r.json()["items"]] == [other["reference"]]
    assert (
        client.get("/api/v1/search", params={"q": "!!"}, headers=manager.headers).status_code == 422
    )


def test_restricted_incidents_never_appear_in_search_for_outsiders(
    client: TestClient, clock: FrozenClock, manager: Person, make_person: MakePerson
) -> None:
    outsider = make_person("otto")
    admin = make_person("adele", Role.admin)
    breach = declare(client, manager, type="security", severity="SEV1", title="Token leak")
    ref = str(breach["reference"])
    client.post(
        f"/api/v1/incidents/{ref}/timeline",
        json={"body": "Rotated the exfiltrated signing keys"},
        headers=manager.headers,
    )
    client.post(PM.format(ref=ref), json={}, headers=manager.headers)
    _write(client, manager, ref, "summary", "Exfiltrated signing keys were rotated.")
    for who, expected in ((manager, {ref}), (admin, {ref}), (outsider, set())):
        r = client.get("/api/v1/search", params={"q": "exfiltrated"}, headers=who.headers)
        assert {h["incident"] for h in r.json()["items"]} == expected, who.handle
    assert client.get(PM.format(ref=ref), headers=outsider.headers).status_code == 404
    r = client.get("/api/v1/postmortems", headers=outsider.headers)
    assert r.json()["items"] == []


def test_a_postmortem_started_before_resolution_becomes_due_after_it(
    client: TestClient, clock: FrozenClock, database: Database, settings: Settings, manager: Person
) -> None:
    engine = Engine(database, jobs=postmortem_jobs.jobs(settings), listen=False)
    ref = str(declare(client, manager, severity="SEV1")["reference"])
    client.post(PM.format(ref=ref), json={}, headers=manager.headers)
    engine.run_until_idle()
    assert client.get(PM.format(ref=ref), headers=manager.headers).json()["due_at"] is None
    clock.advance(timedelta(hours=2))
    for step in ("acknowledge", "resolve"):
        r = client.post(f"/api/v1/incidents/{ref}/{step}", headers=manager.headers)
        assert r.status_code == 200, r.text
    engine.run_until_idle()
    body = client.get(PM.format(ref=ref), headers=manager.headers).json()
    assert body["due_at"].startswith("2026-03-09T11:00")  # SEV1: 7 days after resolution
