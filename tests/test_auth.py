"""API tokens and browser sessions: how a caller proves who they are, and what that allows."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from firehouse.audit.models import AuditRecord
from firehouse.auth.models import ApiToken, TokenScope, WebSession
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.people.models import Role, User
from tests.conftest import PASSWORD, START, MakePerson, Person, declare

HTML = {"Accept": "text/html"}


def issue(client: TestClient, who: Person, **body: object) -> dict[str, object]:
    response = client.post("/api/v1/tokens", json={"name": "ci", **body}, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def bearer(secret: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def audit_actions(database: Database) -> list[str]:
    with database.session(write=False) as session:
        return list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


# API tokens


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(
    client: TestClient, responder: Person, database: Database
) -> None:
    issued = issue(client, responder, scope="write")
    secret = str(issued["token"])
    assert secret.startswith("fh_")
    assert issued["prefix"] == secret[:10]

    listing = client.get("/api/v1/tokens", headers=responder.headers)
    assert listing.status_code == 200
    assert secret not in listing.text
    assert all("token" not in t for t in listing.json())
    assert issued["id"] in [t["id"] for t in listing.json()]

    with database.session(write=False) as session:
        row = session.get(ApiToken, issued["id"])
        assert row is not None
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not any(secret in value for value in stored)

    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.json()["user"]["handle"] == "rita"


def test_tokens_expire(client: TestClient, responder: Person, clock: FrozenClock) -> None:
    issued = issue(client, responder, expires_in="1h")
    assert issued["expires_at"] == (START + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    clock.advance(timedelta(minutes=59))
    assert client.get("/api/v1/me", headers=bearer(issued["token"])).status_code == 200
    clock.advance(timedelta(minutes=1))
    expired = client.get("/api/v1/me", headers=bearer(issued["token"]))
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "unauthorized"
    assert expired.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_lasts_90_days_unless_told_otherwise(
    client: TestClient, responder: Person, clock: FrozenClock
) -> None:
    default = issue(client, responder)
    forever = issue(client, responder, expires_in=None)
    assert forever["expires_at"] is None
    clock.advance(timedelta(days=90))
    assert client.get("/api/v1/me", headers=bearer(default["token"])).status_code == 401
    clock.advance(timedelta(days=3650))
    assert client.get("/api/v1/me", headers=bearer(forever["token"])).status_code == 200


@pytest.mark.parametrize("expires_in", ["soon", "0d", "-1h", "12", "3y"])
def test_a_lifetime_it_cannot_read_names_the_field(
    client: TestClient, responder: Person, expires_in: str
) -> None:
    response = client.post(
        "/api/v1/tokens", json={"name": "ci", "expires_in": expires_in}, headers=responder.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "expires_in"


def test_a_revoked_token_stops_working(
    client: TestClient, responder: Person, clock: FrozenClock
) -> None:
    issued = issue(client, responder)
    clock.advance(timedelta(minutes=5))
    revoked = client.delete(f"/api/v1/tokens/{issued['id']}", headers=responder.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=bearer(issued["token"])).status_code == 401
    # the credential that revoked it still works
    assert client.get("/api/v1/me", headers=responder.headers).status_code == 200


def test_only_the_owner_or_an_admin_revokes_a_token(
    client: TestClient, responder: Person, viewer: Person, admin: Person
) -> None:
    issued = issue(client, responder)
    other = client.delete(f"/api/v1/tokens/{issued['id']}", headers=viewer.headers)
    assert other.status_code == 404
    assert client.get("/api/v1/me", headers=bearer(issued["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{issued['id']}", headers=admin.headers).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(issued["token"])).status_code == 401


def test_a_read_token_reads_but_never_writes(
    client: TestClient, make_person: MakePerson, responder: Person
) -> None:
    reader = make_person("reed", Role.incident_manager, scope=TokenScope.read)
    ref = declare(client, responder)["reference"]
    me = client.get("/api/v1/me", headers=reader.headers)
    assert me.status_code == 200
    assert me.json()["can_write"] is False
    assert client.get("/api/v1/incidents", headers=reader.headers).status_code == 200
    assert client.get(f"/api/v1/incidents/{ref}", headers=reader.headers).status_code == 200

    own_tokens = client.get("/api/v1/tokens", headers=reader.headers).json()
    h = reader.headers
    writes = [
        client.post("/api/v1/incidents", json={"title": "x", "severity": "SEV3"}, headers=h),
        client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=h),
        client.post("/api/v1/services", json={"slug": "api", "name": "API"}, headers=h),
        client.post("/api/v1/tokens", json={"name": "escalate", "scope": "write"}, headers=h),
        client.delete(f"/api/v1/tokens/{own_tokens[0]['id']}", headers=h),
    ]
    for response in writes:
        assert response.status_code == 403, response.request.url
        assert response.json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/incidents/{ref}", headers=reader.headers).json()["status"] == (
        "triggered"
    )
    assert client.get("/api/v1/me", headers=reader.headers).status_code == 200


def test_a_write_token_writes(client: TestClient, responder: Person) -> None:
    issued = issue(client, responder, scope="write")
    response = client.post(
        "/api/v1/incidents",
        json={"title": "Queue backlog", "severity": "SEV3"},
        headers=bearer(issued["token"]),
    )
    assert response.status_code == 201
    assert issue(client, responder, scope="read")["scope"] == "read"


def test_last_used_at_is_touched_at_most_once_a_minute(
    client: TestClient, responder: Person, clock: FrozenClock
) -> None:
    issued = issue(client, responder)

    def last_used() -> object:
        tokens = client.get("/api/v1/tokens", headers=responder.headers).json()
        return next(t["last_used_at"] for t in tokens if t["id"] == issued["id"])

    assert last_used() is None
    clock.advance(timedelta(minutes=5))
    first_use = clock.now()
    client.get("/api/v1/me", headers=bearer(issued["token"]))
    assert last_used() == first_use.isoformat().replace("+00:00", "Z")
    clock.advance(timedelta(seconds=30))
    client.get("/api/v1/me", headers=bearer(issued["token"]))
    assert last_used() == first_use.isoformat().replace("+00:00", "Z")
    clock.advance(timedelta(minutes=2))
    client.get("/api/v1/me", headers=bearer(issued["token"]))
    assert last_used() == clock.now().isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer fh_not-a-real-token", "Basic cml0YTpwYXNzd29yZA==", "Bearer ", "fh_bare"],
)
def test_a_credential_it_does_not_know_is_401(client: TestClient, authorization: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_deactivated_users_token_stops_working(
    client: TestClient, responder: Person, admin: Person
) -> None:
    r = client.patch("/api/v1/users/rita", json={"active": False}, headers=admin.headers)
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=responder.headers).status_code == 401


# Browser sessions


def login_form(client: TestClient, path: str = "/login") -> str:
    """Open the login page; returns the CSRF token the form carries."""
    page = client.get(path)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert match is not None
    return match.group(1)


def log_in(
    client: TestClient, handle: str = "rita", password: str = PASSWORD, next: str | None = None
) -> Response:
    token = login_form(client)
    form = {"handle": handle, "password": password, "csrf_token": token}
    if next is not None:
        form["next"] = next
    return client.post("/login", data=form, follow_redirects=False)


def page_csrf(client: TestClient) -> str:
    """The session's CSRF token, as the signed-in page gives it to the browser."""
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_the_login_page_sets_a_csrf_cookie_matching_its_form(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("fh_login_csrf=")
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert f'value="{client.cookies["fh_login_csrf"]}"' in page.text


def test_logging_in_opens_a_session(
    client: TestClient, responder: Person, database: Database
) -> None:
    response = log_in(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("fh_session="))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Max-Age=43200" in cookie
    value = client.cookies["fh_session"]

    home = client.get("/", headers=HTML)
    assert home.status_code == 200
    assert "Rita" in home.text
    assert client.get("/api/v1/me").json()["user"]["handle"] == "rita"

    with database.session(write=False) as session:
        stored = session.scalars(select(WebSession.token_hash)).all()
    assert stored == [hashlib.sha256(value.encode()).hexdigest()]
    assert audit_actions(database)[-1] == "auth.login"


def test_the_handle_is_not_case_sensitive(client: TestClient, responder: Person) -> None:
    assert log_in(client, handle=" Rita ").status_code == 303


def test_a_wrong_password_is_refused_and_recorded(
    client: TestClient, responder: Person, database: Database
) -> None:
    before = audit_actions(database)
    response = log_in(client, password="not-the-password")
    assert response.status_code == 401
    assert "Wrong handle or password." in response.text
    assert "fh_session" not in client.cookies
    assert client.get("/api/v1/me").status_code == 401

    with database.session(write=False) as session:
        records = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        assert len(records) == len(before) + 1
        failed = records[-1]
        assert failed.action == "auth.login_failed"
        assert failed.target_id == str(responder.id)
        assert failed.after == {"handle": "rita"}
        assert failed.actor == "anonymous"
        assert failed.source == "testclient"


def test_an_unknown_handle_is_refused_the_same_way(
    client: TestClient, responder: Person, database: Database
) -> None:
    response = log_in(client, handle="nobody")
    assert response.status_code == 401
    assert "Wrong handle or password." in response.text
    with database.session(write=False) as session:
        failed = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert failed is not None
        assert (failed.action, failed.target_id) == ("auth.login_failed", None)


def test_a_deactivated_user_cannot_log_in(
    client: TestClient, responder: Person, admin: Person
) -> None:
    client.patch("/api/v1/users/rita", json={"active": False}, headers=admin.headers)
    assert log_in(client).status_code == 401


@pytest.mark.parametrize("csrf", ["missing field", "wrong value", "no cookie"])
def test_login_without_the_forms_csrf_token_is_refused(
    client: TestClient, responder: Person, database: Database, csrf: str
) -> None:
    token = login_form(client)
    form = {"handle": "rita", "password": PASSWORD, "csrf_token": token}
    if csrf == "missing field":
        del form["csrf_token"]
    elif csrf == "wrong value":
        form["csrf_token"] = "x" * len(token)
    else:
        client.cookies.clear()
    before = audit_actions(database)
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "fh_session" not in client.cookies
    assert audit_actions(database) == before


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "http:/evil.example",
    ],
)
def test_login_never_redirects_off_site(client: TestClient, responder: Person, target: str) -> None:
    response = log_in(client, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_returns_to_the_page_asked_for(client: TestClient, responder: Person) -> None:
    token = login_form(client, "/login?next=/incidents/INC-4?tab=timeline")
    response = client.post(
        "/login",
        data={"handle": "rita", "password": PASSWORD, "csrf_token": token,
              "next": "/incidents/INC-4?tab=timeline"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/incidents/INC-4?tab=timeline"


def test_the_login_form_drops_an_off_site_next(client: TestClient) -> None:
    page = client.get("/login", params={"next": "https://evil.example"})
    assert 'name="next" value="/"' in page.text


def test_a_page_sends_a_signed_out_browser_to_login_and_back(
    client: TestClient, responder: Person
) -> None:
    response = client.get("/", params={"view": "mine"}, headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/%3Fview%3Dmine"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/?view=mine"' in page.text


def test_logout_needs_the_csrf_token_and_ends_the_session(
    client: TestClient, responder: Person, database: Database
) -> None:
    log_in(client)
    cookie = client.cookies["fh_session"]
    csrf = page_csrf(client)

    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/api/v1/me").status_code == 200

    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "fh_session" not in client.cookies
    assert audit_actions(database)[-1] == "auth.logout"

    # the old cookie, replayed, opens nothing
    client.cookies.set("fh_session", cookie)
    assert client.get("/api/v1/me").status_code == 401
    with database.session(write=False) as session:
        assert session.scalars(select(WebSession)).all() == []


def test_logout_also_takes_the_csrf_header(client: TestClient, responder: Person) -> None:
    log_in(client)
    csrf = page_csrf(client)
    response = client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_a_session_expires(client: TestClient, responder: Person, clock: FrozenClock) -> None:
    log_in(client)
    clock.advance(timedelta(hours=11, minutes=59))
    assert client.get("/", headers=HTML).status_code == 200
    clock.advance(timedelta(minutes=1))

    page = client.get("/", headers=HTML, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/"

    api = client.get("/api/v1/me", headers=HTML)
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "unauthorized"


def test_an_api_write_with_the_session_cookie_needs_the_csrf_header(
    client: TestClient, responder: Person
) -> None:
    log_in(client)
    csrf = page_csrf(client)
    body = {"title": "Search is slow", "severity": "SEV3"}

    missing = client.post("/api/v1/incidents", json=body)
    assert missing.status_code == 403
    assert missing.json()["error"]["details"] == {"field": "csrf_token"}
    wrong = client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    assert client.get("/api/v1/incidents").json()["items"] == []

    ok = client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    assert ok.json()["roles"][0]["user"]["handle"] == "rita"


def test_passwords_are_stored_as_argon2_hashes(
    client: TestClient, admin: Person, database: Database
) -> None:
    created = client.post(
        "/api/v1/users",
        json={"handle": "nina", "name": "Nina", "email": "nina@example.com",
              "password": "a-long-enough-password"},
        headers=admin.headers,
    )  # fmt: skip
    assert created.status_code == 201
    assert "password" not in created.text
    with database.session(write=False) as session:
        stored = session.scalar(select(User.password_hash).where(User.handle == "nina"))
    assert stored is not None
    assert stored.startswith("$argon2")
    assert "a-long-enough-password" not in stored
    assert log_in(client, handle="nina", password="a-long-enough-password").status_code == 303


def test_a_short_password_is_refused(client: TestClient, admin: Person) -> None:
    response = client.post(
        "/api/v1/users",
        json={"handle": "nina", "name": "Nina", "email": "nina@example.com", "password": "short"},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "password"
