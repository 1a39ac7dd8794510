"""The public status page and its management: components, groups, public incidents, who may
publish, uptime history, branding, and that nothing internal reaches the public."""

from __future__ import annotations

import re
from datetime import timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.people.models import Role
from firehouse.settings import Settings
from firehouse.statuspage import jobs as status_jobs
from tests.conftest import MakePerson, Person, declare
from tests.status_helpers import component, publish

SP = "/api/v1/statuspage"
SECRET_TITLE = "Ledger shard 7 corrupt after mig-2231 (Ivan's deploy)"
SECRET_SUMMARY = "Root cause: primary on db-internal-17.corp failed over"
SECRET_NOTE = "Paging the DBA on call, credentials in vault path kv/ops"


def test_the_page_is_public_and_shows_components_in_groups(
    client: TestClient, manager: Person
) -> None:
    group = client.post(f"{SP}/groups", json={"name": "Core"}, headers=manager.headers).json()
    component(client, manager, "API", group_id=group["id"], description="REST and webhooks")
    component(client, manager, "Dashboard", group_id=group["id"])
    component(client, manager, "Docs")

    page = client.get("/status")
    assert page.status_code == 200
    html = page.text
    assert "All systems operational" in html
    assert html.index("Core") < html.index("API") < html.index("Dashboard") < html.index("Docs")
    assert "REST and webhooks" in html
    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html
    assert "/static/app.js" not in html


def test_a_status_change_shows_at_once_and_colours_the_group(
    client: TestClient, manager: Person
) -> None:
    group = client.post(f"{SP}/groups", json={"name": "Core"}, headers=manager.headers).json()
    api = component(client, manager, "API", group_id=group["id"])
    r = client.patch(
        f"{SP}/components/{api['id']}", json={"status": "partial_outage"}, headers=manager.headers
    )
    assert r.status_code == 200
    html = client.get("/status").text
    assert "Partial outage" in html
    assert 'class="sp-status sp-s-partial_outage"' in html
    summary = client.get("/status/api/summary.json").json()
    assert summary["status"]["indicator"] == "partial_outage"
    assert summary["components"][0]["status"] == "partial_outage"


def test_uptime_bars_and_percentage_come_from_recorded_changes(
    client: TestClient, manager: Person, clock: FrozenClock, database: Database, settings: Settings
) -> None:
    api = component(client, manager, "API")
    clock.advance(timedelta(days=2))
    client.patch(
        f"{SP}/components/{api['id']}", json={"status": "major_outage"}, headers=manager.headers
    )
    clock.advance(timedelta(hours=6))
    client.patch(
        f"{SP}/components/{api['id']}", json={"status": "operational"}, headers=manager.headers
    )
    clock.advance(timedelta(days=1))

    html = client.get("/status").text
    bars_list = html[html.index('<ol class="sp-bars"') : html.index("</ol>")]
    # an operational day's bar has no class (the stylesheet's default colour)
    bars = re.findall(r'<li(?: class="([a-z]+)")? title=', bars_list)
    assert len(bars) == 90
    bars = [b or "operational" for b in bars]
    # days before the component existed have no data; the outage day is red
    assert bars.count("major") == 1
    assert bars[-4:] == ["operational", "operational", "major", "operational"]
    assert set(bars[:-4]) == {"none"}
    # 6 hours down out of 78 hours observed (from 09:00 two days before to 15:00 today)
    uptime = client.get("/status/api/summary.json").json()["components"][0]["uptime_90d"]
    assert uptime == pytest.approx(100 * (1 - 6 / 78), abs=0.01)
    assert f"{uptime:.2f}% uptime" in html
    # the same from the closed days the engine stores (a minute later: rendered afresh)
    Engine(database, jobs=status_jobs.jobs(settings), listen=False).run_until_idle()
    clock.advance(timedelta(minutes=1))
    again = client.get("/status").text
    assert again != html  # the time it was made
    bars_again = again[again.index('<ol class="sp-bars"') : again.index("</ol>")]
    assert bars_again == bars_list
    assert f"{uptime:.2f}% uptime" in again


def test_unknown_component_status_is_422_naming_the_field(
    client: TestClient, manager: Person
) -> None:
    api = component(client, manager, "API")
    r = client.patch(
        f"{SP}/components/{api['id']}", json={"status": "on_fire"}, headers=manager.headers
    )
    assert r.status_code == 422
    r = client.post(
        f"{SP}/incidents",
        json={"title": "x", "body": "y", "components": {"999": "major_outage"}},
        headers=manager.headers,
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "component_statuses.0"


def _declare_secret(client: TestClient, who: Person) -> str:
    incident = declare(client, who, title=SECRET_TITLE, summary=SECRET_SUMMARY)
    ref = str(incident["reference"])
    r = client.post(
        f"/api/v1/incidents/{ref}/timeline", json={"body": SECRET_NOTE}, headers=who.headers
    )
    assert r.status_code == 201
    return ref


def test_a_responder_cannot_publish_unless_comms_lead_of_the_incident(
    client: TestClient, make_person: MakePerson, manager: Person
) -> None:
    owner = make_person("olga", Role.responder)
    comms = make_person("cora", Role.responder)
    bystander = make_person("bob", Role.responder)
    ref = _declare_secret(client, owner)
    body = {"title": "Payments are failing", "body": "We are investigating.", "incident": ref}
    r = client.post(f"{SP}/incidents", json=body, headers=bystander.headers)
    assert r.status_code == 403
    assert client.get("/status/api/summary.json").json()["incidents"] == []

    r = client.put(
        f"/api/v1/incidents/{ref}/roles/communications_lead",
        json={"user": "cora"},
        headers=owner.headers,
    )
    assert r.status_code == 200, r.text
    r = client.post(f"{SP}/incidents", json=body, headers=comms.headers)
    assert r.status_code == 201, r.text
    # the incident manager of the incident (the declarer) may publish too
    update = {"status": "identified", "body": "A faulty deploy; rolling back."}
    r = client.post(f"{SP}/incidents/{r.json()['id']}/updates", json=update, headers=owner.headers)
    assert r.status_code == 201
    # once the comms lead steps down, they may no longer
    client.delete(f"/api/v1/incidents/{ref}/roles/communications_lead", headers=owner.headers)
    public_id = client.get(f"{SP}/incidents", headers=manager.headers).json()[0]["id"]
    r = client.post(f"{SP}/incidents/{public_id}/updates", json=update, headers=comms.headers)
    assert r.status_code == 403
    # a global incident manager always may
    r = client.post(f"{SP}/incidents/{public_id}/updates", json=update, headers=manager.headers)
    assert r.status_code == 201


def test_publishing_is_recorded_on_the_internal_timeline(
    client: TestClient, make_person: MakePerson
) -> None:
    owner = make_person("olga", Role.responder)
    ref = _declare_secret(client, owner)
    publish(client, owner, title="Payments are failing", body="Investigating.", incident=ref)
    timeline = client.get(f"/api/v1/incidents/{ref}/timeline", headers=owner.headers).json()
    entries = timeline["items"] if isinstance(timeline, dict) else timeline
    assert any(e["kind"] == "status_page" and "Payments are failing" in e["body"] for e in entries)


def test_public_and_internal_incident_differ_in_exactly_the_fields_meant_to(
    client: TestClient, make_person: MakePerson
) -> None:
    owner = make_person("olga", Role.responder)
    ref = _declare_secret(client, owner)
    api = component(client, make_person("ian", Role.incident_manager), "API")
    made = publish(
        client,
        owner,
        title="Payments are failing",
        body="Some card payments fail; we are on it.",
        incident=ref,
        components={str(api["id"]): "partial_outage"},
    )
    internal = client.get(f"/api/v1/incidents/{ref}", headers=owner.headers).json()
    public = client.get("/status/api/summary.json").json()["incidents"][0]
    assert set(public) == {
        "id", "title", "status", "started_at", "resolved_at", "updated_at", "components", "url",
        "updates",
    }  # fmt: skip
    # their own words and their own status vocabulary
    assert public["title"] == "Payments are failing" != internal["title"]
    assert public["status"] == "investigating"
    assert internal["status"] == "triggered"
    assert public["updates"][0]["body"] == "Some card payments fail; we are on it."
    # the customer-facing component, not internal services or people
    assert public["components"] == ["API"]
    # what is shared: the link, kept internal (the management API names the incident)
    assert made["incident"] == ref
    assert ref not in str(public)
    assert public["started_at"] == made["started_at"].replace("Z", "+00:00")


def test_internal_fields_never_reach_html_feeds_or_json(
    client: TestClient, make_person: MakePerson
) -> None:
    owner = make_person("olga", Role.responder)
    ref = _declare_secret(client, owner)
    made = publish(client, owner, title="Payments are failing", body="Investigating.", incident=ref)
    client.post(
        f"{SP}/incidents/{made['id']}/updates",
        json={"status": "resolved", "body": "Fixed."},
        headers=owner.headers,
    )
    pages = [
        "/status",
        "/status/history",
        f"/status/incidents/{made['id']}",
        "/status/feed.atom",
        "/status/feed.rss",
        "/status/api/summary.json",
    ]
    for path in pages:
        text = client.get(path).text
        assert "Payments are failing" in text, path
        for secret in (SECRET_TITLE, SECRET_SUMMARY, SECRET_NOTE, ref, "olga", "Olga"):
            assert secret not in text, (path, secret)


def test_feeds_parse_and_list_incidents(client: TestClient, manager: Person) -> None:
    made = publish(client, manager, title="Slow dashboard", body="Pages take **10 s** to load.")
    atom = feedparser.parse(client.get("/status/feed.atom").text)
    assert not atom.bozo, atom.bozo_exception
    assert atom.feed.title == "Service status"
    assert atom.entries[0].title == "Slow dashboard (investigating)"
    assert atom.entries[0].link.endswith(f"/status/incidents/{made['id']}")
    assert "<strong>10 s</strong>" in atom.entries[0].content[0].value
    rss = feedparser.parse(client.get("/status/feed.rss").text)
    assert not rss.bozo, rss.bozo_exception
    assert rss.version == "rss20"
    assert rss.entries[0].title == "Slow dashboard (investigating)"


def test_resolving_restores_the_components(client: TestClient, manager: Person) -> None:
    api = component(client, manager, "API")
    made = publish(
        client,
        manager,
        title="API errors",
        body="Errors.",
        components={str(api["id"]): "major_outage"},
    )
    assert client.get("/status/api/summary.json").json()["status"]["indicator"] == "major_outage"
    client.post(
        f"{SP}/incidents/{made['id']}/updates",
        json={"status": "resolved", "body": "All good."},
        headers=manager.headers,
    )
    summary = client.get("/status/api/summary.json").json()
    assert summary["status"]["indicator"] == "operational"
    assert summary["incidents"] == []
    assert summary["recent_incidents"][0]["status"] == "resolved"


def test_branding_changes_the_page_and_its_stylesheet(client: TestClient, admin: Person) -> None:
    r = client.patch(
        f"{SP}/branding",
        json={
            "name": "Acme status",
            "color_accent": "#123abc",
            "logo_url": "https://cdn.acme.example/logo.png",
            "footer_links": [{"label": "Support", "url": "https://acme.example/support"}],
        },
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    page = client.get("/status")
    assert "<title>Acme status</title>" in page.text
    assert 'src="https://cdn.acme.example/logo.png"' in page.text
    assert 'href="https://acme.example/support">Support</a>' in page.text
    assert "https://cdn.acme.example" in page.headers["content-security-policy"]
    assert "--sp-accent: #123abc" in client.get("/status/status.css").text
    bad = client.patch(f"{SP}/branding", json={"color_accent": "red"}, headers=admin.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "color_accent"
    bad = client.patch(
        f"{SP}/branding", json={"logo_url": "javascript:alert(1)"}, headers=admin.headers
    )
    assert bad.status_code == 422


def test_an_uploaded_logo_is_served_beside_the_page(client: TestClient, admin: Person) -> None:
    png = (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
        "AAAABJRU5ErkJggg=="
    )
    r = client.put(
        f"{SP}/branding/logo",
        json={"content_type": "image/png", "data_base64": png},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert 'src="/status/logo"' in client.get("/status").text
    logo = client.get("/status/logo")
    assert logo.headers["content-type"] == "image/png"
    assert logo.content.startswith(b"\x89PNG")


def test_maintenance_shows_until_it_completes(
    client: TestClient, manager: Person, clock: FrozenClock
) -> None:
    api = component(client, manager, "API")
    now = clock.now()
    r = client.post(
        f"{SP}/maintenance",
        json={
            "title": "Database upgrade",
            "body": "Writes pause for a minute.",
            "starts_at": (now + timedelta(hours=2)).isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(),
            "components": [api["id"]],
        },
        headers=manager.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "scheduled"
    html = client.get("/status").text
    assert "Scheduled maintenance" in html
    assert "Database upgrade" in html
    bad = client.post(
        f"{SP}/maintenance",
        json={"title": "x", "starts_at": now.isoformat(), "ends_at": now.isoformat()},
        headers=manager.headers,
    )
    assert bad.status_code == 422


def test_subscribe_with_a_bad_address_or_unknown_component_is_422(client: TestClient) -> None:
    r = client.post("/status/api/subscribers", json={"email": "not-an-address"})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "email"
    r = client.post("/status/api/subscribers", json={"email": "a@example.com", "components": [42]})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "components.0"
    form = client.post("/status/subscribe", data={"email": "nope"})
    assert form.status_code == 422
    assert "not a valid email address" in form.text
    form = client.post("/status/subscribe", data={"email": "a@example.com", "components": "42"})
    assert form.status_code == 422
    assert "unknown component 42" in form.text


def test_only_admins_list_subscribers(client: TestClient, admin: Person, manager: Person) -> None:
    client.post("/status/api/subscribers", json={"email": "reader@example.com"})
    assert client.get(f"{SP}/subscribers", headers=manager.headers).status_code == 403
    page = client.get(f"{SP}/subscribers", headers=admin.headers).json()
    assert page["counts"]["pending"] == 1
    assert page["items"][0]["target"] == "reader@example.com"
