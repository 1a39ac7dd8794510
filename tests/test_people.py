"""Users and teams, as an admin manages them through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from firehouse.audit.models import AuditRecord
from firehouse.db import Database
from firehouse.people.models import Role, User
from tests.conftest import MakePerson, Person


def new_user(**fields: Any) -> dict[str, Any]:
    return {"handle": "nina", "name": "Nina Simone", "email": "nina@example.com", **fields}


def counts(database: Database) -> tuple[int, int]:
    with database.session(write=False) as session:
        users = session.scalar(select(func.count(User.id)))
        records = session.scalar(select(func.count(AuditRecord.id)))
    return users or 0, records or 0


def field_of(response: Any) -> str:
    error = response.json()["error"]
    details = error["details"]
    return str(details["field"] if isinstance(details, dict) else details[0]["field"])


def test_an_admin_creates_a_user(client: TestClient, admin: Person, responder: Person) -> None:
    response = client.post(
        "/api/v1/users",
        json=new_user(role="incident_manager", timezone="Europe/Lisbon"),
        headers=admin.headers,
    )
    assert response.status_code == 201
    user = response.json()
    assert {k: user[k] for k in ("handle", "name", "email", "role", "timezone", "active")} == {
        "handle": "nina",
        "name": "Nina Simone",
        "email": "nina@example.com",
        "role": "incident_manager",
        "timezone": "Europe/Lisbon",
        "active": True,
    }
    seen = client.get("/api/v1/users/nina", headers=responder.headers)
    assert seen.json() == user
    listed = client.get("/api/v1/users", headers=responder.headers).json()
    assert [u["handle"] for u in listed] == ["ada", "nina", "rita"]


def test_a_new_user_is_a_responder_in_utc_by_default(client: TestClient, admin: Person) -> None:
    user = client.post("/api/v1/users", json=new_user(), headers=admin.headers).json()
    assert (user["role"], user["timezone"]) == ("responder", "UTC")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "nina@"}, "email"),
        ({"handle": "Nina"}, "handle"),
        ({"handle": "nina simone"}, "handle"),
        ({"handle": "-nina"}, "handle"),
        ({"handle": ""}, "handle"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"role": "overlord"}, "role"),
        ({"name": ""}, "name"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_invalid_user_input_is_422_naming_the_field(
    client: TestClient, admin: Person, database: Database, fields: dict[str, Any], field: str
) -> None:
    before = counts(database)
    response = client.post("/api/v1/users", json=new_user(**fields), headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert field_of(response) == field
    assert counts(database) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "other@example.com"}, "handle"),
        ({"handle": "nina2", "email": "NINA@example.com"}, "email"),
    ],
)
def test_a_taken_handle_or_email_is_409(
    client: TestClient, admin: Person, database: Database, fields: dict[str, Any], field: str
) -> None:
    assert client.post("/api/v1/users", json=new_user(), headers=admin.headers).status_code == 201
    before = counts(database)
    response = client.post("/api/v1/users", json=new_user(**fields), headers=admin.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert field_of(response) == field
    assert counts(database) == before


def test_an_admin_updates_a_user(client: TestClient, admin: Person, responder: Person) -> None:
    response = client.patch(
        "/api/v1/users/rita",
        json={"name": "Rita Levi", "timezone": "America/New_York", "role": "incident_manager"},
        headers=admin.headers,
    )
    assert response.status_code == 200
    user = response.json()
    assert (user["name"], user["timezone"], user["role"]) == (
        "Rita Levi",
        "America/New_York",
        "incident_manager",
    )
    assert user["email"] == "rita@example.com"
    assert client.get("/api/v1/me", headers=responder.headers).json()["user"] == user


def test_a_role_change_takes_effect_on_the_next_request(
    client: TestClient, admin: Person, responder: Person
) -> None:
    body = {"title": "Login loop", "severity": "SEV3"}
    client.patch("/api/v1/users/rita", json={"role": "viewer"}, headers=admin.headers)
    assert client.post("/api/v1/incidents", json=body, headers=responder.headers).status_code == 403
    client.patch("/api/v1/users/rita", json={"role": "responder"}, headers=admin.headers)
    assert client.post("/api/v1/incidents", json=body, headers=responder.headers).status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"timezone": "Nowhere/Special"}, 422, "timezone"),
        ({"email": "broken"}, 422, "email"),
        ({"role": "root"}, 422, "role"),
        ({"handle": "renamed"}, 422, "handle"),
        ({"email": "ada@example.com"}, 409, "email"),
        ({"email": "ADA@example.com"}, 409, "email"),
    ],
)
def test_an_update_it_cannot_apply_changes_nothing(
    client: TestClient,
    admin: Person,
    responder: Person,
    database: Database,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    before = client.get("/api/v1/users/rita", headers=admin.headers).json()
    records = counts(database)
    response = client.patch("/api/v1/users/rita", json=body, headers=admin.headers)
    assert response.status_code == status
    assert field_of(response) == field
    assert client.get("/api/v1/users/rita", headers=admin.headers).json() == before
    assert counts(database) == records


def test_changing_only_the_case_of_ones_own_email_is_fine(
    client: TestClient, admin: Person, responder: Person
) -> None:
    response = client.patch(
        "/api/v1/users/rita", json={"email": "Rita@Example.com"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["email"] == "Rita@example.com"  # the domain is lowercased


def test_an_unknown_user_is_404(client: TestClient, admin: Person) -> None:
    assert client.get("/api/v1/users/ghost", headers=admin.headers).status_code == 404
    r = client.patch("/api/v1/users/ghost", json={"name": "Ghost"}, headers=admin.headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_an_admin_builds_a_team(client: TestClient, admin: Person, make_person: MakePerson) -> None:
    rita = make_person("rita")
    make_person("bo")
    created = client.post(
        "/api/v1/teams",
        json={"slug": "payments", "name": "Payments", "description": "Money in, money out."},
        headers=admin.headers,
    )
    assert created.status_code == 201
    assert created.json()["members"] == []

    r = client.post(
        "/api/v1/teams/payments/members",
        json={"user": "rita", "is_manager": True},
        headers=admin.headers,
    )
    assert r.status_code == 201
    r = client.post("/api/v1/teams/payments/members", json={"user": "bo"}, headers=admin.headers)
    assert r.json()["members"] == [
        {"handle": "bo", "name": "Bo", "is_manager": False},
        {"handle": "rita", "name": "Rita", "is_manager": True},
    ]
    team = client.get("/api/v1/teams/payments", headers=rita.headers).json()
    assert team["description"] == "Money in, money out."
    assert [m["handle"] for m in team["members"]] == ["bo", "rita"]
    assert client.get("/api/v1/me", headers=rita.headers).json()["teams"] == ["payments"]
    assert [t["slug"] for t in client.get("/api/v1/teams", headers=rita.headers).json()] == [
        "payments"
    ]

    removed = client.delete("/api/v1/teams/payments/members/bo", headers=admin.headers)
    assert removed.status_code == 200
    assert [m["handle"] for m in removed.json()["members"]] == ["rita"]


def test_team_mistakes_are_named(
    client: TestClient, admin: Person, responder: Person, database: Database
) -> None:
    client.post("/api/v1/teams", json={"slug": "core", "name": "Core"}, headers=admin.headers)
    client.post("/api/v1/teams/core/members", json={"user": "rita"}, headers=admin.headers)
    before = counts(database)
    h = admin.headers
    cases = [
        (
            client.post("/api/v1/teams", json={"slug": "Core Team", "name": "x"}, headers=h),
            422,
            "slug",
        ),
        (
            client.post("/api/v1/teams", json={"slug": "core", "name": "Again"}, headers=h),
            409,
            "slug",
        ),
        (client.post("/api/v1/teams/core/members", json={"user": "ghost"}, headers=h), 422, "user"),
    ]
    for response, status, field in cases:
        assert response.status_code == status, response.text
        assert field_of(response) == field
    duplicate = client.post(
        "/api/v1/teams/core/members", json={"user": "rita"}, headers=admin.headers
    )
    assert duplicate.status_code == 409
    missing = client.post(
        "/api/v1/teams/nope/members", json={"user": "rita"}, headers=admin.headers
    )
    assert missing.status_code == 404
    assert client.get("/api/v1/teams/nope", headers=admin.headers).status_code == 404
    not_member = client.delete("/api/v1/teams/core/members/ada", headers=admin.headers)
    assert not_member.status_code == 404
    assert counts(database) == before


@pytest.mark.parametrize("role", ["viewer", "responder", "incident_manager"])
def test_only_admins_change_people(
    client: TestClient, make_person: MakePerson, admin: Person, database: Database, role: str
) -> None:
    who = make_person("someone", Role(role))
    client.post("/api/v1/teams", json={"slug": "core", "name": "Core"}, headers=admin.headers)
    before = counts(database)
    h = who.headers
    attempts = [
        client.post("/api/v1/users", json=new_user(), headers=h),
        client.patch("/api/v1/users/someone", json={"role": "admin"}, headers=h),
        client.post("/api/v1/teams", json={"slug": "mine", "name": "Mine"}, headers=h),
        client.post("/api/v1/teams/core/members", json={"user": "someone"}, headers=h),
        client.delete("/api/v1/teams/core/members/ada", headers=h),
    ]
    for response in attempts:
        assert response.status_code == 403, response.request.url
        assert response.json()["error"] == {
            "code": "forbidden",
            "message": "admins only",
            "details": None,
        }
    assert counts(database) == before
    assert client.get("/api/v1/me", headers=h).json()["user"]["role"] == role
