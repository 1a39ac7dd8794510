"""`firehouse demo`: a history that looks real and obeys the same rules as incidents run by hand."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.audit.models import AuditRecord
from firehouse.cli import app as cli
from firehouse.db import Database
from firehouse.demo import DEMO_PASSWORD, DemoResult, load_demo
from firehouse.people.models import Role
from tests.conftest import START, MakePerson, Person, declare

MILESTONES = (
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
)
# Which of acknowledged/mitigated/resolved/closed/canceled each status has (the rest are empty).
REACHED = {
    "triggered": set(),
    "acknowledged": {"acknowledged_at"},
    "mitigated": {"acknowledged_at", "mitigated_at"},
    "resolved": {"acknowledged_at", "mitigated_at", "resolved_at"},
    "closed": {"acknowledged_at", "mitigated_at", "resolved_at", "closed_at"},
    "canceled": {"canceled_at"},
    "merged": set(),
}
OPTIONAL = {"canceled": {"acknowledged_at"}, "merged": {"acknowledged_at"}}
DAYS = 30


@pytest.fixture
def demo(database: Database) -> DemoResult:
    with database.session() as session:
        return load_demo(session, actor=Actor.system("test"), incidents_count=60, days=DAYS, seed=7)


@pytest.fixture
def boss(make_person: MakePerson) -> Person:
    return make_person("boss", Role.admin)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _all(client: TestClient, who: Person) -> list[dict[str, Any]]:
    r = client.get("/api/v1/incidents", params={"limit": 200, "total": True}, headers=who.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    assert page["total"] == len(items)
    return items


def _end(incident: dict[str, Any], merged_at: dict[str, datetime]) -> datetime:
    m = incident["milestones"]
    end = _time(m["closed_at"]) or _time(m["canceled_at"]) or merged_at.get(incident["reference"])
    return end or START


def _merge_times(
    client: TestClient, who: Person, items: list[dict[str, Any]]
) -> dict[str, datetime]:
    """When each merged incident was merged, from its own timeline."""
    result = {}
    for incident in items:
        if incident["status"] == "merged":
            r = client.get(
                f"/api/v1/incidents/{incident['reference']}/timeline",
                params={"kind": "status_change"},
                headers=who.headers,
            )
            (entry,) = [e for e in r.json() if e["data"]["to"] == "merged"]
            result[incident["reference"]] = datetime.fromisoformat(entry["occurred_at"])
    return result


def test_the_demo_has_every_status_severity_and_type(
    client: TestClient, demo: DemoResult, boss: Person
) -> None:
    items = _all(client, boss)
    assert len(items) == 60 == demo.incidents
    statuses = Counter(i["status"] for i in items)
    assert set(statuses) == set(REACHED)
    assert statuses["closed"] > len(items) / 2
    assert {i["severity"]["key"] for i in items} == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert {i["type"]["key"] for i in items} == {
        "operational",
        "security",
        "performance",
        "deployment",
    }
    assert any(i["type"]["restricted"] for i in items)
    assert all(i["team"] == "security" for i in items if i["type"]["restricted"])
    assert all(i["title"] and i["summary"] and i["services"] for i in items)
    assert sorted(i["number"] for i in items) == list(range(1, 61))
    by_declared = sorted(items, key=lambda i: i["milestones"]["declared_at"])
    assert [i["number"] for i in by_declared] == list(range(1, 61))
    merged = [i for i in items if i["status"] == "merged"]
    numbers = {i["reference"]: i for i in items}
    for incident in merged:
        target = numbers[incident["merged_into"]]
        assert target["status"] not in ("merged", "canceled")
        assert target["milestones"]["declared_at"] < incident["milestones"]["declared_at"]


def test_milestones_follow_the_lifecycle(
    client: TestClient, demo: DemoResult, boss: Person
) -> None:
    items = _all(client, boss)
    window_start = START - timedelta(days=DAYS)
    for incident in items:
        m = {k: _time(v) for k, v in incident["milestones"].items()}
        status = incident["status"]
        assert m["declared_at"] is not None
        assert window_start <= m["declared_at"] <= START
        for name in ("acknowledged_at", "mitigated_at", "resolved_at", "closed_at", "canceled_at"):
            if name in REACHED[status]:
                assert m[name] is not None, (incident["reference"], status, name)
            elif name not in OPTIONAL.get(status, set()):
                assert m[name] is None, (incident["reference"], status, name)
        times = [m[n] for n in MILESTONES if m[n] is not None]
        assert times == sorted(times), incident["reference"]
        assert all(t <= START for t in times)
        if m["canceled_at"] is not None:
            assert (m["acknowledged_at"] or m["declared_at"]) <= m["canceled_at"] <= START
        assert (incident["merged_into"] is not None) == (status == "merged")
        # the service's own rules accept every milestone as it stands
        body = {n: incident["milestones"][n] for n in MILESTONES}
        r = client.patch(
            f"/api/v1/incidents/{incident['reference']}/milestones", json=body, headers=boss.headers
        )
        assert r.status_code == 200, (incident["reference"], r.text)


def test_timelines_are_ordered_and_agree_with_the_milestones(
    client: TestClient, demo: DemoResult, boss: Person
) -> None:
    items = _all(client, boss)
    merged_at = _merge_times(client, boss, items)
    by_ref = {i["reference"]: i for i in items}
    kinds: Counter[str] = Counter()
    pinned = 0
    for incident in items:
        ref = incident["reference"]
        r = client.get(f"/api/v1/incidents/{ref}/timeline", headers=boss.headers)
        entries = r.json()
        times = [e["occurred_at"] for e in entries]
        assert times == sorted(times), ref
        own = [e for e in entries if e["incident"] == ref]
        assert own[0]["kind"] == "declared"
        assert {e["incident"] for e in entries} <= {ref} | {
            s for s, i in by_ref.items() if i["merged_into"] == ref
        }
        for e in entries:
            owner = by_ref[e["incident"]]
            start = _time(owner["milestones"]["declared_at"])
            assert start is not None
            at = datetime.fromisoformat(e["occurred_at"])
            assert start <= at <= _end(owner, merged_at), (ref, e["kind"], e["body"])
            assert at <= datetime.fromisoformat(e["recorded_at"]) <= START
            assert e["author"] is not None
        changes = [e for e in own if e["kind"] == "status_change"]
        milestones = incident["milestones"]
        reached = {c["data"]["to"]: c["occurred_at"] for c in changes}
        for status, name in (
            ("mitigated", "mitigated_at"),
            ("resolved", "resolved_at"),
            ("closed", "closed_at"),
            ("canceled", "canceled_at"),
        ):
            if status in reached:
                assert _time(reached[status]) == _time(milestones[name]), (ref, status)
        if milestones["acknowledged_at"]:
            (ack,) = [c for c in changes if c["data"]["action"] == "acknowledge"]
            assert _time(ack["occurred_at"]) == _time(milestones["acknowledged_at"])
        last_status = changes[-1]["data"]["to"] if changes else "triggered"
        assert last_status == incident["status"], ref
        kinds.update(e["kind"] for e in own)
        pinned += sum(e["pinned"] for e in own)
        notes = [e for e in own if e["kind"] == "note"]
        assert all(n["html"].startswith("<") for n in notes)
    assert {"declared", "status_change", "role_change", "note", "checklist", "merged"} <= set(kinds)
    assert pinned > 0


def test_roles_have_handovers_and_closed_incidents_pass_their_checklist(
    client: TestClient, demo: DemoResult, boss: Person
) -> None:
    items = _all(client, boss)
    handovers = 0
    for incident in items:
        ref = incident["reference"]
        roles = client.get(f"/api/v1/incidents/{ref}/roles", headers=boss.headers).json()
        assert "incident_manager" in {r["role"] for r in roles["current"]}
        managers = [s for s in roles["history"] if s["role"] == "incident_manager"]
        for before, after in itertools.pairwise(managers):
            assert before["ended_at"] == after["started_at"]
            handovers += 1
        assert [s["ended_at"] for s in managers][-1] is None
        people = client.get(f"/api/v1/incidents/{ref}/participants", headers=boss.headers).json()
        holders = {s["user"]["handle"] for s in roles["history"]}
        assert holders <= {p["user"]["handle"] for p in people}
        if incident["status"] == "closed":
            checklist = client.get(f"/api/v1/incidents/{ref}/checklist", headers=boss.headers)
            assert checklist.json()["complete"], (ref, checklist.json())
    assert handovers > 0


def test_restricted_demo_incidents_stay_hidden_from_outsiders(
    client: TestClient, demo: DemoResult, boss: Person, viewer: Person
) -> None:
    everything = _all(client, boss)
    visible = _all(client, viewer)
    restricted = {i["reference"] for i in everything if i["type"]["restricted"]}
    assert restricted
    assert {i["reference"] for i in visible} == {i["reference"] for i in everything} - restricted


def test_the_load_is_one_audit_record_and_the_chain_stays_intact(
    database: Database, demo: DemoResult
) -> None:
    with database.session(write=False) as session:
        assert audit.verify(session).ok
        records = session.scalars(select(AuditRecord)).all()
    assert [r.action for r in records] == ["demo.load"]
    assert records[0].after is not None
    assert records[0].after["numbers"] == "INC-1..INC-60"
    assert records[0].after["rows"]["timeline_entries"] > 60 * 5


def test_new_incidents_are_numbered_after_the_demo(
    client: TestClient, demo: DemoResult, responder: Person
) -> None:
    assert declare(client, responder)["number"] == demo.last_number + 1 == 61


def test_demo_users_log_in_with_the_printed_password(client: TestClient, demo: DemoResult) -> None:
    handle = demo.logins[Role.incident_manager]
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "handle": handle,
            "password": DEMO_PASSWORD,
            "csrf_token": client.cookies["fh_login_csrf"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["user"]["handle"] == handle


def test_the_command_refuses_a_database_with_incidents_unless_forced(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIREHOUSE_DATABASE_URL", database.url)
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--incidents", "20", "--days", "5", "--seed", "3"])
    assert first.exit_code == 0, first.output
    assert "INC-1..INC-20" in first.output
    assert DEMO_PASSWORD in first.output
    assert "/login" in first.output
    again = runner.invoke(cli, ["demo", "--incidents", "20"])
    assert again.exit_code == 1
    assert "already has 20 incidents" in again.output
    assert "--force" in again.output
    forced = runner.invoke(cli, ["demo", "--incidents", "15", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "INC-21..INC-35" in forced.output
    with database.session(write=False) as session:
        assert audit.verify(session).ok
