"""The audit trail: every write leaves a record; admins search it; tampering is detected."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update

from firehouse.audit import service as audit
from firehouse.audit.models import AuditRecord
from firehouse.auth.models import TokenScope
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.people.models import Role
from tests.conftest import START, MakePerson, Person, declare


def all_records(database: Database) -> list[AuditRecord]:
    with database.session(write=False) as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all())


def count(database: Database) -> int:
    with database.session(write=False) as session:
        return session.scalar(select(func.count(AuditRecord.id))) or 0


def search(client: TestClient, who: Person, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def iso(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat()


def test_a_write_records_who_did_what_to_what_and_from_where(
    client: TestClient, admin: Person
) -> None:
    created = client.post(
        "/api/v1/users",
        json={"handle": "nina", "name": "Nina", "email": "nina@example.com"},
        headers={**admin.headers, "X-Request-ID": "req-create-nina"},
    )
    user_id = str(created.json()["id"])
    client.patch(
        "/api/v1/users/nina",
        json={"role": "incident_manager"},
        headers={**admin.headers, "X-Request-ID": "req-promote-nina"},
    )

    update_record, create_record = search(client, admin, target_type="user", target_id=user_id)
    assert create_record["action"] == "user.create"
    assert create_record["actor"] == "ada"
    assert create_record["actor_id"] == admin.id
    assert create_record["source"] == "testclient"
    assert create_record["request_id"] == "req-create-nina"
    assert create_record["before"] is None
    assert create_record["after"]["handle"] == "nina"
    assert create_record["occurred_at"] == START.isoformat().replace("+00:00", "Z")

    assert update_record["action"] == "user.update"
    assert update_record["request_id"] == "req-promote-nina"
    assert update_record["before"]["role"] == "responder"
    assert update_record["after"]["role"] == "incident_manager"
    assert update_record["seq"] == create_record["seq"] + 1


def test_incident_writes_are_recorded_against_the_incident(
    client: TestClient, responder: Person, admin: Person
) -> None:
    ref = declare(client, responder)["reference"]
    client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=responder.headers)
    records = search(client, admin, target_type="incident", target_id=ref)
    actions = [r["action"] for r in records]
    assert "incident.declare" in actions
    assert actions[0] == "incident.acknowledge"
    assert records[0]["before"]["status"] == "triggered"
    assert records[0]["after"]["status"] == "acknowledged"
    assert {r["actor"] for r in records} == {"rita"}


@pytest.fixture
def history(
    client: TestClient, admin: Person, responder: Person, clock: FrozenClock
) -> dict[str, str]:
    """Writes an hour apart: team.create (+1h), team.member.add (+2h), incident.declare and
    its role assignment (+3h), user.create (+4h)."""
    clock.advance(timedelta(hours=1))
    team = client.post(
        "/api/v1/teams", json={"slug": "core", "name": "Core"}, headers=admin.headers
    )
    clock.advance(timedelta(hours=1))
    client.post("/api/v1/teams/core/members", json={"user": "rita"}, headers=admin.headers)
    clock.advance(timedelta(hours=1))
    ref = declare(client, responder)["reference"]
    clock.advance(timedelta(hours=1))
    client.post(
        "/api/v1/users",
        json={"handle": "tom", "name": "Tom", "email": "tom@example.com"},
        headers=admin.headers,
    )
    return {"team_id": str(team.json()["id"]), "ref": str(ref)}


def test_search_by_exact_action_or_prefix(
    client: TestClient, admin: Person, history: dict[str, str]
) -> None:
    assert [r["action"] for r in search(client, admin, action="team.create")] == ["team.create"]
    assert [r["action"] for r in search(client, admin, action="team.*")] == [
        "team.member.add",
        "team.create",
    ]
    assert search(client, admin, action="team") == []
    assert search(client, admin, action="te_m.*") == []  # `_` is not a wildcard
    assert {r["action"] for r in search(client, admin, action="incident.*")} == {
        "incident.declare",
        "incident.role.assign",
    }


def test_search_by_target_and_actor(
    client: TestClient, admin: Person, responder: Person, history: dict[str, str]
) -> None:
    on_team = search(client, admin, target_type="team", target_id=history["team_id"])
    assert [r["action"] for r in on_team] == ["team.member.add", "team.create"]
    by_rita = search(client, admin, actor_id=responder.id)
    assert by_rita
    assert {r["actor"] for r in by_rita} == {"rita"}
    assert {r["action"] for r in by_rita} == {"incident.declare", "incident.role.assign"}
    by_ada_on_users = search(client, admin, actor_id=admin.id, action="user.*")
    assert [r["after"]["handle"] for r in by_ada_on_users] == ["tom"]


def test_search_by_time_range(client: TestClient, admin: Person, history: dict[str, str]) -> None:
    window = search(client, admin, since=iso(2), until=iso(4))
    assert [r["action"] for r in window] == [
        "incident.role.assign",
        "incident.declare",
        "team.member.add",
    ]
    assert [r["action"] for r in search(client, admin, since=iso(4))] == ["user.create"]
    before_the_first_hour = search(client, admin, until=iso(1))
    assert before_the_first_hour
    assert {r["occurred_at"] for r in before_the_first_hour} == {"2026-03-02T09:00:00Z"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-03-02T10:00:00"}, "since"),  # no UTC offset: ambiguous
        ({"until": "yesterday"}, "until"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"actor_id": "ada"}, "actor_id"),
    ],
)
def test_a_search_it_cannot_run_is_422_naming_the_parameter(
    client: TestClient, admin: Person, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/v1/audit", params=params, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field


def test_pages_walk_the_whole_trail_newest_first(
    client: TestClient, admin: Person, history: dict[str, str], database: Database
) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/audit", params=params, headers=admin.headers).json()
        assert len(page["items"]) <= 3
        seen += [r["seq"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = [r.seq for r in reversed(all_records(database))]
    assert seen == expected
    assert pages == -(-len(expected) // 3)


def test_pages_respect_the_filters(
    client: TestClient, admin: Person, history: dict[str, str]
) -> None:
    first = client.get(
        "/api/v1/audit", params={"action": "team.*", "limit": 1}, headers=admin.headers
    ).json()
    assert [r["action"] for r in first["items"]] == ["team.member.add"]
    second = client.get(
        "/api/v1/audit",
        params={"action": "team.*", "limit": 1, "cursor": first["next_cursor"]},
        headers=admin.headers,
    ).json()
    assert [r["action"] for r in second["items"]] == ["team.create"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("path", ["/api/v1/audit", "/api/v1/audit/verify"])
def test_only_admins_read_the_trail(client: TestClient, make_person: MakePerson, path: str) -> None:
    assert client.get(path).status_code == 401
    for handle, role in [
        ("vera", Role.viewer),
        ("rita", Role.responder),
        ("ivan", Role.incident_manager),
    ]:
        response = client.get(path, headers=make_person(handle, role).headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    reader = make_person("audra", Role.admin, scope=TokenScope.read)
    assert client.get(path, headers=reader.headers).status_code == 200


def test_a_rejected_request_writes_no_record(
    client: TestClient,
    admin: Person,
    viewer: Person,
    make_person: MakePerson,
    database: Database,
) -> None:
    reader = make_person("reed", Role.admin, scope=TokenScope.read)
    client.post("/api/v1/teams", json={"slug": "core", "name": "Core"}, headers=admin.headers)
    before = all_records(database)
    rejected = [
        client.post(
            "/api/v1/users",
            json={"handle": "nina", "name": "N", "email": "nina@example.com", "timezone": "Nope"},
            headers=admin.headers,
        ),
        client.post("/api/v1/teams", json={"slug": "core", "name": "Again"}, headers=admin.headers),
        client.patch("/api/v1/users/ghost", json={"name": "Boo"}, headers=admin.headers),
        client.post(
            "/api/v1/incidents", json={"title": "x", "severity": "SEV9"}, headers=admin.headers
        ),
        client.post(
            "/api/v1/incidents", json={"title": "x", "severity": "SEV3"}, headers=viewer.headers
        ),
        client.post("/api/v1/teams", json={"slug": "ro", "name": "RO"}, headers=reader.headers),
    ]
    assert [r.status_code for r in rejected] == [422, 409, 404, 422, 403, 403]
    after = all_records(database)
    assert [r.seq for r in after] == [r.seq for r in before]
    # the head did not move either: the next write links straight onto the last record
    client.post("/api/v1/teams", json={"slug": "edge", "name": "Edge"}, headers=admin.headers)
    with database.session(write=False) as session:
        assert audit.verify(session).ok


# Tampering. Each case edits the database directly, as someone with database access might.

Tamper = Callable[[Database, list[AuditRecord]], int]


def _edit_actor(db: Database, rows: list[AuditRecord]) -> int:
    with db.session() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == 3).values(actor="mallory"))
    return 3


def _edit_after(db: Database, rows: list[AuditRecord]) -> int:
    target = next(r for r in rows if r.action == "user.create" and r.seq > 1)
    with db.session() as s:
        s.execute(
            update(AuditRecord)
            .where(AuditRecord.seq == target.seq)
            .values(after={**(target.after or {}), "role": "admin"})
        )
    return target.seq


def _edit_time(db: Database, rows: list[AuditRecord]) -> int:
    with db.session() as s:
        s.execute(
            update(AuditRecord)
            .where(AuditRecord.seq == 5)
            .values(occurred_at=rows[4].occurred_at - timedelta(hours=1))
        )
    return 5


def _edit_hash(db: Database, rows: list[AuditRecord]) -> int:
    with db.session() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(hash="f" * 64))
    return 2


def _delete_middle(db: Database, rows: list[AuditRecord]) -> int:
    with db.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq == 4))
    return 5  # the record after the gap


def _delete_first(db: Database, rows: list[AuditRecord]) -> int:
    with db.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq == 1))
    return 2


def _delete_last(db: Database, rows: list[AuditRecord]) -> int:
    with db.session() as s:
        s.execute(delete(AuditRecord).where(AuditRecord.seq == rows[-1].seq))
    return rows[-1].seq  # the first one missing


def _forge(seq: int, prev_hash: str, *, rehash: bool) -> AuditRecord:
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": START + timedelta(minutes=30),
        "actor_id": None,
        "actor": "ada",
        "action": "user.update",
        "target_type": "user",
        "target_id": "1",
        "before": {"role": "responder"},
        "after": {"role": "admin"},
        "source": "10.0.0.7",
        "request_id": None,
    }
    digest = audit.record_hash(prev_hash, audit.canonical_content(**fields)) if rehash else "a" * 64
    return AuditRecord(**fields, prev_hash=prev_hash, hash=digest)


def _insert_plausible_tail(db: Database, rows: list[AuditRecord]) -> int:
    """Appended with the next seq and a correctly computed hash: only the head can tell."""
    with db.session() as s:
        s.add(_forge(rows[-1].seq + 1, rows[-1].hash, rehash=True))
    return rows[-1].seq + 1


def _insert_made_up_hash(db: Database, rows: list[AuditRecord]) -> int:
    with db.session() as s:
        s.add(_forge(rows[-1].seq + 1, rows[-1].hash, rehash=False))
    return rows[-1].seq + 1


def _insert_before_the_start(db: Database, rows: list[AuditRecord]) -> int:
    with db.session() as s:
        s.add(_forge(0, audit.GENESIS, rehash=True))
    return 0


def _rewrite_and_rehash(db: Database, rows: list[AuditRecord]) -> int:
    """Edit a record and recompute every hash after it: the chain is self-consistent, but it no
    longer ends where the head says."""
    prev_hash = rows[2].prev_hash
    with db.session() as s:
        for row in rows[2:]:
            actor = "mallory" if row.seq == rows[2].seq else row.actor
            content = audit.canonical_content(
                seq=row.seq, occurred_at=row.occurred_at, actor_id=row.actor_id, actor=actor,
                action=row.action, target_type=row.target_type, target_id=row.target_id,
                before=row.before, after=row.after, source=row.source, request_id=row.request_id,
            )  # fmt: skip
            digest = audit.record_hash(prev_hash, content)
            s.execute(
                update(AuditRecord)
                .where(AuditRecord.seq == row.seq)
                .values(actor=actor, prev_hash=prev_hash, hash=digest)
            )
            prev_hash = digest
    return rows[-1].seq


TAMPERING: dict[str, Tamper] = {
    "edit a record's actor": _edit_actor,
    "edit a record's after": _edit_after,
    "edit a record's time": _edit_time,
    "edit a record's hash": _edit_hash,
    "delete a middle record": _delete_middle,
    "delete the first record": _delete_first,
    "delete the last record": _delete_last,
    "insert a plausible record at the end": _insert_plausible_tail,
    "insert a record with a made-up hash": _insert_made_up_hash,
    "insert a record before the first": _insert_before_the_start,
    "rewrite a record and rehash the rest": _rewrite_and_rehash,
}


def test_an_untouched_trail_verifies(
    client: TestClient, admin: Person, history: dict[str, str], database: Database
) -> None:
    total = count(database)
    assert total > 5
    with database.session(write=False) as session:
        result = audit.verify(session)
    assert result == audit.Verification(ok=True, checked=total)
    response = client.get("/api/v1/audit/verify", headers=admin.headers)
    assert response.json() == {
        "ok": True,
        "checked": total,
        "first_bad_seq": None,
        "first_bad_id": None,
        "reason": None,
    }


def test_an_empty_trail_verifies(database: Database) -> None:
    with database.session(write=False) as session:
        assert audit.verify(session) == audit.Verification(ok=True, checked=0)


@pytest.mark.parametrize("how", TAMPERING)
def test_tampering_is_detected_at_the_first_bad_record(
    client: TestClient, admin: Person, history: dict[str, str], database: Database, how: str
) -> None:
    rows = all_records(database)
    first_bad = TAMPERING[how](database, rows)

    with database.session(write=False) as session:
        result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_seq == first_bad
    assert result.reason

    response = client.get("/api/v1/audit/verify", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["first_bad_seq"]) == (False, first_bad)


def _firehouse_cli(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("firehouse")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREHOUSE_")}
    env["FIREHOUSE_DATABASE_URL"] = database.url
    return subprocess.run(
        [str(executable), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_cli_verifies_the_trail(history: dict[str, str], database: Database) -> None:
    total = count(database)
    intact = _firehouse_cli(database, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip() == f"audit trail intact: {total} records verified"

    _edit_actor(database, all_records(database))
    broken = _firehouse_cli(database, "audit", "verify")
    assert broken.returncode == 1
    assert "audit trail BROKEN at seq 3" in broken.stderr
    assert "content does not match its hash" in broken.stderr
    assert "2 records verified before it" in broken.stderr
