"""Schedules over HTTP: layers, overrides, the final schedule, who is on call, bad input, and
the lookups other domains call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from firehouse.audit.models import AuditRecord
from firehouse.db import Database
from firehouse.schedules import service
from tests.conftest import MakePerson, Person

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the test clock starts here


def weekly(rotation: list[Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": "Weekly",
        "rotation": rotation,
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": "2026-03-02",
        **fields,
    }


def create(client: TestClient, who: Person, **fields: Any) -> dict[str, Any]:
    body = {"name": "Payments primary", "timezone": "Europe/London", **fields}
    response = client.post("/api/v1/schedules", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def crew(make_person: MakePerson) -> dict[str, Person]:
    return {h: make_person(h, teams=("payments",)) for h in ("alice", "bob", "carol", "dave")}


def final(client: TestClient, who: Person, schedule_id: int, start: datetime, days: int) -> Any:
    response = client.get(
        f"/api/v1/schedules/{schedule_id}/final",
        params={"start": start.isoformat(), "end": (start + timedelta(days=days)).isoformat()},
        headers=who.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def handles(shift: dict[str, Any]) -> list[str]:
    return [u["handle"] for u in shift["users"]]


def test_a_weekly_rotation_with_a_business_hours_layer_on_top(
    client: TestClient, manager: Person, crew: dict[str, Person]
) -> None:
    schedule = create(
        client,
        manager,
        team="payments",
        layers=[
            weekly(["alice", "bob"]),
            {
                **weekly([["carol", "dave"]], name="Office hours"),
                "shift_unit": "days",
                "restrictions": {
                    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                    "windows": [{"start": "10:00", "end": "16:00"}],
                },
            },
        ],
    )
    assert [layer["name"] for layer in schedule["layers"]] == ["Weekly", "Office hours"]
    assert schedule["layers"][1]["rotation"][0][1]["handle"] == "dave"
    body = final(client, manager, schedule["id"], MONDAY, 2)
    got = [(s["start_local"][11:16], s["end_local"][11:16], handles(s)) for s in body["shifts"]]
    # London is on GMT in early March: local times equal UTC
    assert got == [
        ("09:00", "10:00", ["alice"]),
        ("10:00", "16:00", ["carol", "dave"]),
        ("16:00", "10:00", ["alice"]),
        ("10:00", "16:00", ["carol", "dave"]),
        ("16:00", "09:00", ["alice"]),
    ]
    at = (MONDAY + timedelta(days=7, hours=8)).isoformat()  # 17:00, after office hours
    who = client.get(
        f"/api/v1/schedules/{schedule['id']}/oncall", params={"at": at}, headers=manager.headers
    )
    assert [u["handle"] for u in who.json()["users"]] == ["bob"]


def test_an_override_replaces_whoever_is_on_call_and_can_be_deleted(
    client: TestClient, manager: Person, responder: Person, crew: dict[str, Person]
) -> None:
    schedule = create(client, manager, layers=[weekly(["alice", "bob"])])
    sid = schedule["id"]
    response = client.post(
        f"/api/v1/schedules/{sid}/overrides",
        json={
            "user": "carol",
            "start": (MONDAY + timedelta(hours=3)).isoformat(),
            "end": (MONDAY + timedelta(hours=5)).isoformat(),
            "note": "dentist",
        },
        headers=responder.headers,
    )
    assert response.status_code == 201, response.text
    override = response.json()
    assert override["created_by"] == "rita"
    shifts = final(client, manager, sid, MONDAY, 1)["shifts"]
    assert [(handles(s), s["source"]) for s in shifts] == [
        (["alice"], "layer"),
        (["carol"], "override"),
        (["alice"], "layer"),
    ]
    deleted = client.delete(
        f"/api/v1/schedules/{sid}/overrides/{override['id']}", headers=responder.headers
    )
    assert deleted.status_code == 204
    assert [handles(s) for s in final(client, manager, sid, MONDAY, 1)["shifts"]] == [["alice"]]


def test_a_swap_is_made_by_one_of_the_people_involved(
    client: TestClient, manager: Person, crew: dict[str, Person]
) -> None:
    sid = create(client, manager, layers=[weekly(["alice", "bob"])])["id"]
    swap = {
        "user": "bob",
        "replaces": "alice",
        "kind": "swap",
        "start": MONDAY.isoformat(),
        "end": (MONDAY + timedelta(days=1)).isoformat(),
    }
    refused = client.post(
        f"/api/v1/schedules/{sid}/overrides", json=swap, headers=crew["carol"].headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "kind"
    made = client.post(
        f"/api/v1/schedules/{sid}/overrides", json=swap, headers=crew["alice"].headers
    )
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == "swap"
    listed = client.get(f"/api/v1/schedules/{sid}/overrides", headers=crew["carol"].headers)
    assert [o["replaces"]["handle"] for o in listed.json()] == ["alice"]
    shifts = final(client, manager, sid, MONDAY, 2)["shifts"]
    assert handles(shifts[0]) == ["bob"]
    assert handles(shifts[1]) == ["alice"]


def audit_count(database: Database) -> int:
    with database.session(write=False) as session:
        return session.scalar(select(func.count(AuditRecord.id))) or 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"layers": [weekly([])]}, "layers[0].rotation"),
        ({"layers": [weekly([[]])]}, "layers[0].rotation[0]"),
        ({"layers": [weekly(["alice", "nobody"])]}, "layers[0].rotation[1]"),
        ({"layers": [weekly(["alice"], shift_length=0)]}, "layers.0.shift_length"),
        ({"layers": [weekly(["alice"], shift_unit="fortnights")]}, "layers.0.shift_unit"),
        (
            # 01:30 does not exist in London on 29 March 2026 (clocks go 01:00 -> 02:00)
            {"layers": [weekly(["alice"], start_date="2026-03-29", handoff_time="01:30")]},
            "layers[0].handoff_time",
        ),
        (
            {
                "layers": [
                    weekly(
                        ["alice"],
                        restrictions={"windows": [{"start": "09:00", "end": "09:00"}]},
                    )
                ]
            },
            "layers[0].restrictions.windows[0]",
        ),
    ],
)
def test_bad_schedules_are_422_naming_the_field_and_write_nothing(
    client: TestClient,
    manager: Person,
    crew: dict[str, Person],
    database: Database,
    change: dict[str, Any],
    field: str,
) -> None:
    before = audit_count(database)
    body = {"name": "Bad", "timezone": "Europe/London", **change}
    response = client.post("/api/v1/schedules", json=body, headers=manager.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field
    assert audit_count(database) == before
    assert client.get("/api/v1/schedules", headers=manager.headers).json() == []


@pytest.mark.parametrize(
    ("start_hours", "end_hours", "field"),
    [(5, 5, "end"), (5, 4, "end"), (2, 4, "start")],
)
def test_zero_length_and_overlapping_overrides_are_422(
    client: TestClient,
    manager: Person,
    crew: dict[str, Person],
    start_hours: int,
    end_hours: int,
    field: str,
) -> None:
    sid = create(client, manager, layers=[weekly(["alice", "bob"])])["id"]
    first = client.post(
        f"/api/v1/schedules/{sid}/overrides",
        json={
            "user": "carol",
            "start": (MONDAY + timedelta(hours=3)).isoformat(),
            "end": (MONDAY + timedelta(hours=6)).isoformat(),
        },
        headers=manager.headers,
    )
    assert first.status_code == 201
    response = client.post(
        f"/api/v1/schedules/{sid}/overrides",
        json={
            "user": "dave",
            "start": (MONDAY + timedelta(hours=start_hours)).isoformat(),
            "end": (MONDAY + timedelta(hours=end_hours)).isoformat(),
        },
        headers=manager.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field


def test_a_naive_time_in_a_query_is_422(
    client: TestClient, manager: Person, crew: dict[str, Person]
) -> None:
    sid = create(client, manager, layers=[weekly(["alice"])])["id"]
    response = client.get(
        f"/api/v1/schedules/{sid}/oncall", params={"at": "2026-03-02T10:00:00"},
        headers=manager.headers,
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "at"


def test_layers_can_be_added_changed_and_removed(
    client: TestClient, manager: Person, crew: dict[str, Person]
) -> None:
    sid = create(client, manager, layers=[weekly(["alice", "bob"])])["id"]
    added = client.post(
        f"/api/v1/schedules/{sid}/layers",
        json=weekly(["carol"], name="Nights", restrictions={
            "windows": [{"start": "22:00", "end": "06:00"}]
        }),
        headers=manager.headers,
    )  # fmt: skip
    assert added.status_code == 201, added.text
    night = added.json()["layers"][1]
    night_start = MONDAY + timedelta(hours=13)  # 22:00
    assert handles(final(client, manager, sid, night_start, 1)["shifts"][0]) == ["carol"]
    changed = client.patch(
        f"/api/v1/schedules/{sid}/layers/{night['id']}",
        json={"rotation": ["dave"]},
        headers=manager.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["layers"][1]["restrictions"]["windows"] == [
        {"start": "22:00:00", "end": "06:00:00"}
    ]
    assert handles(final(client, manager, sid, night_start, 1)["shifts"][0]) == ["dave"]
    bad = client.patch(
        f"/api/v1/schedules/{sid}/layers/{night['id']}",
        json={"rotation": []},
        headers=manager.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "rotation"
    removed = client.delete(
        f"/api/v1/schedules/{sid}/layers/{night['id']}", headers=manager.headers
    )
    assert removed.status_code == 204
    assert handles(final(client, manager, sid, night_start, 1)["shifts"][0]) == ["alice"]


def test_gaps_and_who_is_on_call_per_team(
    client: TestClient, manager: Person, crew: dict[str, Person], make_person: MakePerson
) -> None:
    make_person("erin", teams=("search",))
    create(
        client,
        manager,
        team="payments",
        layers=[
            weekly(
                ["alice"],
                restrictions={"weekdays": ["mon"], "windows": [{"start": "09:00", "end": "17:00"}]},
            )
        ],
    )
    create(client, manager, name="Search", team="search", timezone="UTC",
           layers=[weekly(["erin"])])  # fmt: skip
    sid = client.get("/api/v1/schedules?team=payments", headers=manager.headers).json()[0]["id"]
    gaps = client.get(
        f"/api/v1/schedules/{sid}/gaps",
        params={"start": MONDAY.isoformat(), "end": (MONDAY + timedelta(days=1)).isoformat()},
        headers=manager.headers,
    ).json()["gaps"]
    assert [(g["start"], g["end"]) for g in gaps] == [
        ("2026-03-02T17:00:00Z", "2026-03-03T09:00:00Z")
    ]
    now = client.get("/api/v1/oncall", headers=manager.headers).json()
    assert [
        (t["team"], [[u["handle"] for u in s["users"]] for s in t["schedules"]]) for t in now
    ] == [("payments", [["alice"]]), ("search", [["erin"]])]
    evening = (MONDAY + timedelta(hours=10)).isoformat()
    later = client.get("/api/v1/oncall", params={"at": evening}, headers=manager.headers).json()
    assert [[u["handle"] for u in s["users"]] for t in later for s in t["schedules"]] == [
        [],
        ["erin"],
    ]


def test_service_lookups_for_escalation_and_delete_protection(
    client: TestClient, manager: Person, crew: dict[str, Person], database: Database
) -> None:
    first = create(client, manager, team="payments", layers=[weekly([["alice", "bob"]])])
    create(client, manager, name="Payments secondary", team="payments",
           layers=[weekly(["carol"])])  # fmt: skip
    client.post(
        f"/api/v1/schedules/{first['id']}/overrides",
        json={
            "user": "dave",
            "replaces": "bob",
            "start": MONDAY.isoformat(),
            "end": (MONDAY + timedelta(hours=1)).isoformat(),
        },
        headers=manager.headers,
    )
    ids = {p.id: h for h, p in crew.items()}
    with database.session(write=False) as session:
        team_id = first["layers"] and service.list_schedules(session)[0].team_id
        assert team_id is not None
        now = [
            ids[u] for u in service.on_call_user_ids(session, schedule_id=first["id"], at=MONDAY)
        ]
        team = [ids[u] for u in service.team_on_call_user_ids(session, team_id=team_id, at=MONDAY)]
        later = service.team_on_call_user_ids(
            session, team_id=team_id, at=MONDAY + timedelta(hours=2)
        )
        where = service.schedules_referencing_user(session, crew["bob"].id)
        nowhere = service.schedules_referencing_user(session, manager.id)
    assert now == ["alice", "dave"]
    assert team == ["alice", "dave", "carol"]
    assert [ids[u] for u in later] == ["alice", "bob", "carol"]
    assert where[0] == "schedule 'Payments primary', rotation of layer 'Weekly'"
    assert where[1].startswith("schedule 'Payments primary', override 2026-03-02T09:00")
    assert nowhere == []


def test_schedule_names_are_unique_and_only_managers_change_schedules(
    client: TestClient, manager: Person, responder: Person, crew: dict[str, Person]
) -> None:
    sid = create(client, manager, layers=[weekly(["alice"])])["id"]
    again = client.post(
        "/api/v1/schedules",
        json={"name": "payments PRIMARY", "timezone": "UTC"},
        headers=manager.headers,
    )
    assert again.status_code == 409
    refused = client.patch(
        f"/api/v1/schedules/{sid}", json={"description": "x"}, headers=responder.headers
    )
    assert refused.status_code == 403
    moved = client.patch(
        f"/api/v1/schedules/{sid}", json={"timezone": "Asia/Kolkata"}, headers=manager.headers
    )
    assert moved.status_code == 200
    shifts = final(client, manager, sid, MONDAY, 1)["shifts"]
    assert shifts[0]["start_local"].endswith("+05:30")
    deleted = client.delete(f"/api/v1/schedules/{sid}", headers=manager.headers)
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/schedules/{sid}", headers=manager.headers).status_code == 404


def test_the_migration_matches_the_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from firehouse.db import Base
    from firehouse.schedules import models

    mine = {
        m.__tablename__
        for m in (
            models.Schedule,
            models.ScheduleLayer,
            models.LayerMember,
            models.ScheduleOverride,
            models.OnCallRecord,
            models.CalendarFeed,
        )
    }

    def ours(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in mine

    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": ours}
        )
        assert compare_metadata(context, Base.metadata) == []
