"""Who may call what: every route of the app against every kind of caller.

The table below is the access policy. A route the app serves but the table does not list fails
`test_every_route_has_an_expectation`, so a new endpoint cannot ship without deciding who may
call it. Each caller runs every route against its own fresh database; an allowed call must get
past authentication and authorisation (not 401 or 403) with a valid request (not 422), and a
refused one must be refused for the right reason (401 anonymous, 403 otherwise).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from firehouse.actor import Actor
from firehouse.auth import service as auth
from firehouse.auth.models import TokenScope
from firehouse.db import Database
from firehouse.people.models import Role
from tests.access_rules import (
    ADMIN_READ,
    ADMIN_WRITE,
    ALLOWED,
    CALLERS,
    MANAGER,
    OWN_WRITE,
    PUBLIC,
    RESPONDER,
    SIGNED_IN,
    Call,
    DomainTable,
)
from tests.conftest import PASSWORD, MakePerson, Person, declare

NEW_SEVERITY = {
    "key": "SEV5",
    "name": "Trivial",
    "rank": 5,
    "ack_within_minutes": 240,
    "update_every_minutes": 1440,
    "postmortem_required": False,
}

EXPECTED: dict[tuple[str, str], Call] = {
    # public
    ("GET", "/healthz"): Call(PUBLIC),
    ("GET", "/readyz"): Call(PUBLIC),
    ("GET", "/login"): Call(PUBLIC),
    ("POST", "/login"): Call(
        PUBLIC, form={"handle": "olga", "password": PASSWORD, "csrf_token": "{login_csrf}"}
    ),
    ("GET", "/static"): Call(PUBLIC, path="/static/app.css"),
    # pages
    ("GET", "/"): Call(SIGNED_IN),
    ("POST", "/logout"): Call(SIGNED_IN),
    # the caller's own account
    ("GET", "/api/v1/openapi.json"): Call(SIGNED_IN),
    ("GET", "/api/v1/me"): Call(SIGNED_IN),
    ("GET", "/api/v1/tokens"): Call(SIGNED_IN),
    ("POST", "/api/v1/tokens"): Call(OWN_WRITE, json={"name": "laptop"}),
    ("DELETE", "/api/v1/tokens/{token_id}"): Call(OWN_WRITE),
    # people
    ("GET", "/api/v1/users"): Call(SIGNED_IN),
    ("POST", "/api/v1/users"): Call(
        ADMIN_WRITE, json={"handle": "newbie", "name": "New Bie", "email": "newbie@example.com"}
    ),
    ("GET", "/api/v1/users/{handle}"): Call(SIGNED_IN),
    ("PATCH", "/api/v1/users/{handle}"): Call(ADMIN_WRITE, json={"name": "Tess Renamed"}),
    ("GET", "/api/v1/teams"): Call(SIGNED_IN),
    ("POST", "/api/v1/teams"): Call(ADMIN_WRITE, json={"slug": "edge", "name": "Edge"}),
    ("GET", "/api/v1/teams/{slug}"): Call(SIGNED_IN),
    ("POST", "/api/v1/teams/{slug}/members"): Call(ADMIN_WRITE, json={"user": "{spare}"}),
    ("DELETE", "/api/v1/teams/{slug}/members/{handle}"): Call(ADMIN_WRITE),
    # catalog and configuration
    ("GET", "/api/v1/services"): Call(SIGNED_IN),
    ("POST", "/api/v1/services"): Call(MANAGER, json={"slug": "search", "name": "Search"}),
    ("GET", "/api/v1/severities"): Call(SIGNED_IN),
    ("POST", "/api/v1/severities"): Call(ADMIN_WRITE, json=NEW_SEVERITY),
    ("PATCH", "/api/v1/severities/{key}"): Call(ADMIN_WRITE, json={"description": "Minor."}),
    ("GET", "/api/v1/incident-types"): Call(SIGNED_IN),
    # incidents
    ("GET", "/api/v1/incidents"): Call(SIGNED_IN),
    ("POST", "/api/v1/incidents"): Call(RESPONDER, json={"title": "Slow", "severity": "SEV3"}),
    ("GET", "/api/v1/incidents/{ref}"): Call(SIGNED_IN),
    ("PATCH", "/api/v1/incidents/{ref}"): Call(RESPONDER, json={"summary": "Cache cold."}),
    ("PATCH", "/api/v1/incidents/{ref}/milestones"): Call(
        RESPONDER, json={"detected_at": "2026-03-02T08:30:00+00:00"}
    ),
    ("POST", "/api/v1/incidents/{ref}/merge"): Call(
        RESPONDER, path="/api/v1/incidents/{duplicate}/merge", json={"into": "{ref}"}
    ),
    ("POST", "/api/v1/incidents/{ref}/acknowledge"): Call(RESPONDER),
    ("POST", "/api/v1/incidents/{ref}/mitigate"): Call(RESPONDER),
    ("POST", "/api/v1/incidents/{ref}/resolve"): Call(RESPONDER),
    # a responder may close only an incident they manage; the callers here do not manage it
    ("POST", "/api/v1/incidents/{ref}/close"): Call(MANAGER),
    ("POST", "/api/v1/incidents/{ref}/reopen"): Call(RESPONDER, json={"reason": "It is back."}),
    ("POST", "/api/v1/incidents/{ref}/cancel"): Call(RESPONDER),
    ("GET", "/api/v1/incidents/{ref}/timeline"): Call(SIGNED_IN),
    ("POST", "/api/v1/incidents/{ref}/timeline"): Call(RESPONDER, json={"body": "Rolled back."}),
    ("PATCH", "/api/v1/incidents/{ref}/timeline/{entry_id}"): Call(
        RESPONDER, json={"pinned": True}
    ),
    ("GET", "/api/v1/incidents/{ref}/roles"): Call(SIGNED_IN),
    ("PUT", "/api/v1/incidents/{ref}/roles/{role}"): Call(RESPONDER, json={"user": "{handle}"}),
    ("DELETE", "/api/v1/incidents/{ref}/roles/{role}"): Call(RESPONDER),
    ("GET", "/api/v1/incidents/{ref}/participants"): Call(SIGNED_IN),
    ("POST", "/api/v1/incidents/{ref}/participants"): Call(RESPONDER, json={"user": "{spare}"}),
    ("DELETE", "/api/v1/incidents/{ref}/participants/{handle}"): Call(RESPONDER),
    ("GET", "/api/v1/incidents/{ref}/checklist"): Call(SIGNED_IN),
    ("PUT", "/api/v1/incidents/{ref}/checklist/{item}"): Call(RESPONDER),
    ("DELETE", "/api/v1/incidents/{ref}/checklist/{item}"): Call(RESPONDER),
    # audit
    ("GET", "/api/v1/audit"): Call(ADMIN_READ),
    ("GET", "/api/v1/audit/verify"): Call(ADMIN_READ),
}


def _domain_tables() -> list[DomainTable]:
    """Each domain keeps its table in tests/access_<domain>.py as `TABLE = DomainTable(...)`."""
    tables = []
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name.startswith("access_") and info.name != "access_rules":
            tables.append(importlib.import_module(f"tests.{info.name}").TABLE)
    return tables


DOMAIN_TABLES = _domain_tables()
for _table in DOMAIN_TABLES:
    _clash = EXPECTED.keys() & _table.expected.keys()
    assert not _clash, f"routes listed twice: {_clash}"
    EXPECTED.update(_table.expected)


def served_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) for every route the app serves; a mount counts once as GET."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found |= {(method, str(context.path)) for method in context.methods or ()}
        elif isinstance(route, Mount):
            found.add(("GET", route.path))
        else:
            raise AssertionError(f"a route of a kind this test does not know: {route!r}")
    return found


def test_every_route_has_an_expectation(app: Any) -> None:
    served = served_routes(app)
    assert served - EXPECTED.keys() == set(), "routes without an access expectation"
    assert EXPECTED.keys() - served == set(), "expectations for routes the app does not serve"


def test_the_table_uses_only_known_rules() -> None:
    assert {call.rule for call in EXPECTED.values()} <= ALLOWED.keys()


@dataclass
class World:
    callers: dict[str, Person | None]
    values: dict[str, str] = field(default_factory=dict)
    client: Any = None
    database: Any = None
    make_person: Any = None


def _spare_token(database: Database, person: Person) -> int:
    """A second token of the caller's own, for the revoke route to revoke."""
    with database.session() as session:
        issued = auth.create_token(
            session,
            actor=Actor.system("test"),
            user_id=person.id,
            name="spare",
            scope=TokenScope.read,
            expires_in=timedelta(days=1),
        )
        return issued.token.id


@pytest.fixture
def world(client: TestClient, make_person: MakePerson, database: Database) -> World:
    callers: dict[str, Person | None] = {
        "anonymous": None,
        "viewer": make_person("vera", Role.viewer),
        "responder": make_person("rita", Role.responder),
        "incident_manager": make_person("ivan", Role.incident_manager),
        "admin": make_person("ada", Role.admin),
        "admin_read_token": make_person("audra", Role.admin, scope=TokenScope.read),
    }
    owner = make_person("olga", Role.responder)  # declares, so manages, the incident
    make_person("tess", Role.responder, teams=("payments",))
    make_person("sam", Role.responder)
    incident = declare(client, owner)
    duplicate = declare(client, owner, title="Checkout errors")
    note = client.post(
        f"/api/v1/incidents/{incident['reference']}/timeline",
        json={"body": "Looking at the dashboards."},
        headers=owner.headers,
    )
    assert note.status_code == 201, note.text
    values = {
        "ref": str(incident["reference"]),
        "duplicate": str(duplicate["reference"]),
        "entry_id": str(note.json()["id"]),
        "handle": "tess",
        "spare": "sam",
        "slug": "payments",
        "key": "SEV4",
        "role": "scribe",
        "item": "slo_restored",
        "token_id": str(_spare_token(database, owner)),
    }
    made = World(callers, values, client=client, database=database, make_person=make_person)
    for table in DOMAIN_TABLES:
        if table.setup is not None:
            table.setup(made)
    return made


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _send(client: TestClient, method: str, path: str, call: Call, world: World, caller: str) -> int:
    who = world.callers[caller]
    headers = who.headers if who is not None else {}
    values = dict(world.values)
    if call.form is not None and "csrf_token" in call.form:
        client.get("/login")
        values["login_csrf"] = client.cookies.get("fh_login_csrf") or ""
    try:
        response = client.request(
            method,
            _fill(call.path or path, values),
            headers=headers,
            json=_fill(call.json, values),
            data=_fill(call.form, values),
            follow_redirects=False,
        )
    finally:
        client.cookies.clear()  # a login must not authenticate the calls after it
    return response.status_code


@pytest.mark.parametrize("caller", CALLERS)
def test_access_matrix(client: TestClient, world: World, database: Database, caller: str) -> None:
    if caller != "anonymous":
        who = world.callers[caller]
        assert who is not None
        world.values["token_id"] = str(_spare_token(database, who))
    wrong: list[str] = []
    for (method, path), call in EXPECTED.items():
        status = _send(client, method, path, call, world, caller)
        if caller in ALLOWED[call.rule]:
            ok = status not in (401, 403, 422) and status < 500
            expected = "allowed (not 401/403/422/5xx)"
        else:
            want = 401 if caller == "anonymous" else 403
            ok = status == want
            expected = str(want)
        if not ok:
            wrong.append(f"{method} {path} [{call.rule}]: {status}, expected {expected}")
    assert wrong == [], f"{caller}:\n" + "\n".join(wrong)
