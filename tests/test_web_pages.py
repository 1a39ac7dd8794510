"""The web UI through its forms, as a browser uses it: login limits and cookies, CSRF, the
home page, declaring and running an incident, viewers, restricted incidents, admin, profile."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from firehouse.actor import Actor
from firehouse.app import create_app
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.incidents import service as incidents
from firehouse.people.models import Role
from firehouse.settings import Settings
from tests.conftest import PASSWORD, MakePerson, Person, declare
from tests.test_people_removal import rotation_with
from tests.web_helpers import csrf_of, login

NAV = ("/", "/incidents", "/alerts", "/oncall", "/postmortems", "/statuspage", "/profile")


def _bad_login(client: TestClient, handle: str, password: str = "") -> int:
    password = password or "not-the-password"
    client.get("/login")
    token = client.cookies.get("fh_login_csrf") or ""
    response = client.post(
        "/login",
        data={"handle": handle, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return response.status_code


def test_login_is_rate_limited_per_handle_across_restarts(
    client: TestClient, responder: Person, settings: Settings, database: Database
) -> None:
    for _ in range(settings.login_failures_per_handle):
        assert _bad_login(client, "rita") == 401
    assert _bad_login(client, "rita", PASSWORD) == 429
    with TestClient(create_app(settings, database=database)) as restarted:
        restarted.get("/login")
        response = restarted.post(
            "/login",
            data={
                "handle": "rita",
                "password": PASSWORD,
                "csrf_token": restarted.cookies.get("fh_login_csrf") or "",
            },
        )
        assert response.status_code == 429
        assert "Too many failed logins for this handle" in response.text
        assert int(response.headers["Retry-After"]) > 0


def test_the_login_limit_lifts_after_the_window(
    client: TestClient, responder: Person, settings: Settings, clock: FrozenClock
) -> None:
    for _ in range(settings.login_failures_per_handle):
        _bad_login(client, "rita")
    assert _bad_login(client, "rita", PASSWORD) == 429
    clock.advance(timedelta(minutes=settings.login_window_minutes, seconds=1))
    assert _bad_login(client, "rita", PASSWORD) == 303


def test_login_is_rate_limited_per_address(
    client: TestClient, responder: Person, settings: Settings
) -> None:
    for n in range(settings.login_failures_per_address):
        _bad_login(client, f"nobody{n}")
    assert _bad_login(client, "rita", PASSWORD) == 429


def test_the_session_cookie_is_httponly_and_samesite(client: TestClient, responder: Person) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "handle": "rita",
            "password": PASSWORD,
            "csrf_token": client.cookies.get("fh_login_csrf") or "",
        },
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "fh_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_the_shell_links_every_section_and_is_labelled(
    client: TestClient, responder: Person
) -> None:
    login(client, "rita")
    html = client.get("/").text
    for href in NAV:
        assert f'href="{href}"' in html
    assert 'href="/admin"' not in html  # admins only
    assert '<nav aria-label="Main"' in html
    assert 'aria-current="page"' in html
    assert 'href="#main"' in html
    assert 'name="viewport"' in html


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/", "/incidents", "/incidents/INC-1", "/admin", "/profile"):
        response = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_a_form_post_without_the_csrf_token_is_refused(
    client: TestClient, responder: Person
) -> None:
    login(client, "rita")
    response = client.post("/incidents", data={"title": "Nope", "severity": "SEV3"})
    assert response.status_code == 403
    assert "INC-1" not in client.get("/incidents").text


def test_declare_and_run_an_incident_through_the_forms(
    client: TestClient, responder: Person, make_person: MakePerson
) -> None:
    make_person("sam", Role.responder)
    csrf = login(client, "rita")
    form = client.get("/incidents/new").text
    assert "Acknowledge within" in form  # each severity's criteria beside the choice
    response = client.post(
        "/incidents",
        data={"title": "Checkout down", "severity": "SEV2", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/incidents/INC-1"

    def act(path: str, **data: str) -> str:
        result = client.post(f"/incidents/INC-1{path}", data={"csrf_token": csrf, **data})
        assert result.status_code == 200, result.text
        return result.text

    page = act("/actions/acknowledge")
    assert 'id="incident-status">acknowledged<' in page
    page = act("/notes", body="Rolled back **v42**.")
    assert "<strong>v42</strong>" in page
    entry = re.search(r'id="entry-(\d+)" class="entry kind-note"', page)
    assert entry
    page = act("/timeline/pin", pin=entry.group(1))
    assert f'id="entry-{entry.group(1)}" class="entry kind-note pinned"' in page
    page = act("/roles", role="scribe", user="sam")
    assert re.search(r"Scribe</dt><dd>Sam", page)
    page = act("/actions/resolve")
    assert 'id="incident-status">resolved<' in page
    assert "Cannot close yet:" in page
    assert "Service back within SLO" in page

    refused = client.post("/incidents/INC-1/actions/close", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "checklist item(s) open" in refused.text
    assert "Postmortem owner" in refused.text

    for item in ("slo_restored", "users_unaffected", "stakeholders_notified", "documented"):
        act(f"/checklist/{item}")
    page = act("/roles", role="retrospective_leader", user="")  # take it yourself
    assert "Everything is checked; ready to close." in page
    page = act("/actions/close")
    assert 'id="incident-status">closed<' in page
    assert "checklist: slo_restored checked by rita" in page


def test_a_note_can_be_backdated_in_the_users_time_zone_and_pinned(
    client: TestClient, make_person: MakePerson
) -> None:
    make_person("tokyo", Role.responder, timezone="Asia/Tokyo")
    csrf = login(client, "tokyo")
    client.post("/incidents", data={"title": "Slow", "severity": "SEV3", "csrf_token": csrf})
    # the clock is 2026-03-02 09:00 UTC = 18:00 in Tokyo; 17:30 there is 08:30 UTC
    page = client.post(
        "/incidents/INC-1/notes",
        data={
            "body": "Latency rose",
            "occurred_at": "2026-03-02T17:30",
            "pinned": "true",
            "csrf_token": csrf,
        },
    ).text
    entry = page.index("Latency rose")
    assert "2026-03-02 17:30" in page[entry - 800 : entry]
    assert "pinned" in page[entry - 800 : entry]
    future = client.post(
        "/incidents/INC-1/notes",
        data={"body": "Later", "occurred_at": "2026-03-03T10:00", "csrf_token": csrf},
    )
    assert future.status_code == 422
    assert "future" in future.text
    assert "Later" in future.text  # the typed note is kept in the form


def test_markdown_preview_is_sanitized(client: TestClient, responder: Person) -> None:
    csrf = login(client, "rita")
    response = client.post(
        "/preview",
        data={
            "body": "**ok** <script>alert(1)</script> [x](javascript:alert(1))",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 200
    assert "<strong>ok</strong>" in response.text
    assert "<script" not in response.text
    assert 'href="javascript' not in response.text


def test_a_viewer_sees_no_write_controls_and_cannot_write(
    client: TestClient, responder: Person, viewer: Person
) -> None:
    declare(client, responder)
    csrf = login(client, "vera")
    page = client.get("/incidents/INC-1").text
    assert "Checkout is failing" in page
    assert 'action="/incidents/INC-1/' not in page
    assert "Declare an incident" not in client.get("/").text
    assert client.get("/incidents/new").status_code == 403
    for path, data in (
        ("/incidents/INC-1/actions/acknowledge", {}),
        ("/incidents/INC-1/notes", {"body": "hi"}),
        ("/incidents/INC-1/roles", {"role": "scribe", "user": ""}),
        ("/incidents/INC-1/checklist/slo_restored", {}),
        ("/incidents", {"title": "x", "severity": "SEV3"}),
    ):
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    timeline = client.get("/api/v1/incidents/INC-1/timeline", headers=responder.headers).json()
    assert all(e["kind"] not in ("note", "status_change", "checklist") for e in timeline)
    assert 'id="incident-status">triggered<' in client.get("/incidents/INC-1").text


def test_restricted_incidents_are_invisible_in_lists_counts_and_search(
    client: TestClient, make_person: MakePerson
) -> None:
    insider = make_person("sec", Role.responder)
    make_person("out", Role.responder)
    declare(client, insider, title="Token leak", type="security", severity="SEV1")
    declare(client, insider, title="Token cache slow", severity="SEV3")
    login(client, "out")
    home = client.get("/").text
    assert "Token leak" not in home
    assert re.search(r'id="open-count"[^>]*>1<', home)
    listing = client.get("/incidents?q=Token").text
    assert "Token leak" not in listing
    assert "Token cache slow" in listing
    assert 'Incidents <span class="count">1<' in listing
    assert client.get("/incidents/INC-1").status_code == 404
    login(client, "sec")
    assert "Token leak" in client.get("/incidents?q=leak").text


def test_home_groups_by_severity_and_flags_overdue_updates(
    client: TestClient, responder: Person, clock: FrozenClock
) -> None:
    declare(client, responder, title="Payments down", severity="SEV1")
    declare(client, responder, title="Search slow", severity="SEV3")
    login(client, "rita")
    home = client.get("/").text
    assert home.index("Payments down") < home.index("Search slow")
    assert "update overdue" not in home
    clock.advance(timedelta(minutes=45))  # SEV1 wants an update every 30 minutes, SEV3 every 4h
    home = client.get("/").text
    sev1 = home[home.index("Payments down") :]
    assert "update overdue" in sev1[: sev1.index("</tr>")]
    sev3 = home[home.index("Search slow") :]
    assert "update overdue" not in sev3[: sev3.index("</tr>")]
    assert "Rita" in sev1[: sev1.index("</tr>")]  # the declarer manages it


def test_admin_pages_manage_people_and_show_the_verified_audit_chain(
    client: TestClient, admin: Person, responder: Person
) -> None:
    csrf = login(client, "ada")
    assert "Chain verified" in client.get("/admin/audit").text
    page = client.post(
        "/admin/users",
        data={"handle": "newbie", "name": "New Bie", "email": "nb@example.com", "csrf_token": csrf},
    ).text
    assert "New Bie" in page
    bad = client.post(
        "/admin/users",
        data={"handle": "newbie", "name": "Again", "email": "x@example.com", "csrf_token": csrf},
    )
    assert bad.status_code == 409
    assert "taken" in bad.text
    audit = client.get("/admin/audit?action=user.*").text
    assert "user.create" in audit
    assert "auth.login" not in audit
    login(client, "rita")
    assert client.get("/admin/users").status_code == 403


def test_an_admin_removes_a_person_after_confirming_and_is_told_why_not_while_on_call(
    client: TestClient, make_person: MakePerson, admin: Person, manager: Person
) -> None:
    ann = make_person("ann", teams=("payments",))
    bob = make_person("bob", teams=("payments",))
    rotation_with(client, manager, "ann", "Payments primary")
    csrf = login(client, "ada")
    users = client.get("/admin/users").text
    assert 'href="/admin/users/ann/remove"' in users
    assert 'href="/admin/users/ada/remove"' not in users  # never oneself

    asked = client.get("/admin/users/ann/remove").text
    assert "Cannot remove ann yet" in asked
    assert "Payments primary" in asked
    assert re.search(r"<button[^>]*disabled[^>]*>Remove ann<", asked)
    refused = client.post("/admin/users/ann/remove", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "Not removed: this person is still on call" in refused.text
    assert "Payments primary" in refused.text
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 200
    forged = client.post("/admin/users/bob/remove", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert client.get("/api/v1/me", headers=bob.headers).status_code == 200

    confirm = client.get("/admin/users/bob/remove").text
    assert "leaves Payments" in confirm
    assert re.search(r"<button[^>]*>Remove bob<", confirm)
    assert "Cannot remove" not in confirm
    done = client.post("/admin/users/bob/remove", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/users?removed=bob"
    after = client.get(done.headers["location"]).text
    assert "Bob (bob) was removed" in after
    assert 'href="/admin/users/bob/remove"' not in after
    assert client.get("/api/v1/me", headers=bob.headers).status_code == 401
    assert "user.deactivate" in client.get("/admin/audit?action=user.deactivate").text

    myself = client.get("/admin/users/ada/remove").text
    assert "you cannot deactivate yourself" in myself
    assert client.post("/admin/users/ada/remove", data={"csrf_token": csrf}).status_code == 409
    csrf = login(client, "ivan")
    assert client.get("/admin/users/bob/remove").status_code == 403
    assert client.post("/admin/users/ann/remove", data={"csrf_token": csrf}).status_code == 403
    assert client.get("/api/v1/me", headers=ann.headers).status_code == 200


def test_profile_edits_and_a_token_shown_once(client: TestClient, responder: Person) -> None:
    csrf = login(client, "rita")
    client.post(
        "/profile", data={"name": "Rita R", "timezone": "Europe/Berlin", "csrf_token": csrf}
    )
    assert 'value="Europe/Berlin"' in client.get("/profile").text
    created = client.post("/profile/tokens", data={"name": "laptop", "csrf_token": csrf})
    secret = re.search(r'id="new-token">(fh_[^<]+)<', created.text)
    assert secret
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert me.status_code == 200
    assert me.json()["user"]["name"] == "Rita R"
    assert secret.group(1) not in client.get("/profile").text
    token_id = re.findall(r"/profile/tokens/(\d+)/revoke", client.get("/profile").text)[-1]
    client.post(f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    again = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert again.status_code == 401
    page = client.post(
        "/profile/password", data={"current": "nope", "new": "x" * 12, "csrf_token": csrf}
    )
    assert page.status_code == 422
    assert "current password is wrong" in page.text
    assert csrf_of(page.text) == csrf


def test_every_page_needs_nothing_the_csp_forbids(
    client: TestClient, admin: Person, responder: Person
) -> None:
    """The CSP blocks inline scripts, styles and handlers, so no page may use one."""
    declare(client, responder, summary="Cache *cold*.")
    login(client, "ada")
    for path in (
        "/",
        "/incidents",
        "/incidents/new",
        "/incidents/INC-1",
        "/admin",
        "/admin/users",
        "/admin/services",
        "/admin/severities",
        "/admin/audit",
        "/profile",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.text
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, path
        assert re.search(r"<style\b", html) is None, path
        assert re.search(r"\sstyle=", html) is None, path
        assert re.search(r"\son[a-z]+=", html) is None, path
        assert "https://" not in html.split("<main")[0], path  # every asset served by firehouse


def test_a_long_timeline_shows_the_newest_entries_and_links_to_all(
    client: TestClient, responder: Person, database: Database, clock: FrozenClock
) -> None:
    declare(client, responder)
    actor = Actor(user_id=responder.id, handle="rita", role=Role.responder)
    with database.session() as session:
        for n in range(205):
            clock.advance(timedelta(seconds=1))
            incidents.add_note(session, actor=actor, incident_ref="INC-1", body=f"step {n}.")
    login(client, "rita")
    page = client.get("/incidents/INC-1").text
    assert "step 204." in page
    assert "step 4." not in page
    assert "Show all 207 entries (7 older)" in page  # 205 notes, declared, manager assigned
    everything = client.get("/incidents/INC-1?timeline=all").text
    assert "step 4." in everything
    assert "Show all" not in everything
