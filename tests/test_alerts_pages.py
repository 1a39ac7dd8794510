"""The alert pages and the home and incident sections the alerts, escalation, notify and
updates domains add, as each kind of person sees them."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.people.models import Role
from tests.alerts_helpers import make_integration
from tests.conftest import MakePerson, Person, declare
from tests.paging_fixtures import engine, paging_settings, smtp  # noqa: F401
from tests.paging_peers import SmtpServer
from tests.test_home_sections import section, text

END = "2026-03-03T12:00:00+00:00"


def _send(client: TestClient, key: str, **body: Any) -> None:
    r = client.post(f"/integrations/{key}/generic", json=body)
    assert r.is_success, r.text


def _alerts(client: TestClient, who: Person) -> list[dict[str, Any]]:
    r = client.get("/api/v1/alerts", headers=who.headers)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def _held(client: TestClient, database: Database, manager: Person, name: str) -> str:
    """A generic integration whose service is in maintenance: its alerts fire outside
    incidents."""
    r = client.post(
        "/api/v1/services", json={"slug": "db", "name": "Database"}, headers=manager.headers
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/maintenance-windows",
        json={"service": "db", "ends_at": END},
        headers=manager.headers,
    )
    assert r.status_code == 201, r.text
    _, key = make_integration(database, name=name, type="generic", service="db")
    return key


def _section(page: str, key: str) -> str:
    found = re.search(rf'<section[^>]*id="{key}".*?</section>', page, re.S)
    assert found is not None, f"no {key} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def test_a_viewer_sees_alerts_but_cannot_act_on_them(
    client: TestClient, database: Database, responder: Person, viewer: Person
) -> None:
    _, key = make_integration(database, name="scripts", type="generic")
    _send(client, key, summary="Backup failed on db-1", dedup_key="backup")
    alert_id = _alerts(client, responder)[0]["id"]

    seen = client.get("/alerts", headers=viewer.headers)
    assert seen.status_code == 200
    assert "Backup failed on db-1" in _section(seen.text, "alert-list")
    assert "/actions/acknowledge" not in seen.text
    detail = client.get(f"/alerts/{alert_id}", headers=viewer.headers)
    assert detail.status_code == 200
    assert "Silence this" not in detail.text
    assert "/actions/" not in detail.text
    assert "New silence" not in client.get("/alerts/silences", headers=viewer.headers).text

    refused = client.post(f"/alerts/{alert_id}/actions/acknowledge", headers=viewer.headers)
    assert refused.status_code == 403
    silence = client.post(
        "/alerts/silences",
        data={"matchers": "dedup=backup", "hours": "2", "comment": "noise"},
        headers=viewer.headers,
    )
    assert silence.status_code == 403
    assert client.get("/api/v1/silences", headers=viewer.headers).json() == []
    assert client.get("/integrations", headers=viewer.headers).status_code == 403
    assert _alerts(client, viewer)[0]["status"] == "triggered"

    listed = client.get("/alerts?status=triggered&q=backup", headers=responder.headers)
    assert f"/alerts/{alert_id}/actions/acknowledge" in listed.text
    done = client.post(
        f"/alerts/{alert_id}/actions/acknowledge",
        data={"back": "list"},
        headers=responder.headers,
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/alerts")
    assert _alerts(client, viewer)[0]["status"] == "acknowledged"
    after = client.get("/alerts?status=triggered", headers=responder.headers)
    assert "Backup failed on db-1" not in _section(after.text, "alert-list")


def test_silence_this_starts_from_the_alerts_labels_and_holds_the_next_one(
    client: TestClient, database: Database, responder: Person
) -> None:
    _, key = make_integration(database, name="scripts", type="generic")
    labels = {"service": "search", "env": "prod"}
    _send(client, key, summary="Search slow", dedup_key="s1", labels=labels)
    alert_id = _alerts(client, responder)[0]["id"]

    page = client.get(f"/alerts/{alert_id}", headers=responder.headers)
    prefill = re.search(r'<textarea id="s-matchers"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert prefill is not None
    lines = html.unescape(prefill.group(1)).splitlines()
    assert lines == ["alertname=Search slow", "env=prod", "service=search"]

    made = client.post(
        "/alerts/silences",
        data={"matchers": html.unescape(prefill.group(1)), "hours": "2", "comment": "known"},
        headers=responder.headers,
        follow_redirects=False,
    )
    assert made.status_code == 303
    listed = client.get("/alerts/silences", headers=responder.headers)
    assert 'env="prod"' in _section(listed.text, "silence-list")
    _send(client, key, summary="Search slow", dedup_key="s2", labels=labels)
    newest = _alerts(client, responder)[0]
    assert (newest["fingerprint"], newest["status"]) == ("s2", "suppressed")

    bad = client.post(
        "/alerts/silences",
        data={"matchers": "not a matcher", "hours": "2", "comment": "x"},
        headers=responder.headers,
    )
    assert bad.status_code == 422
    assert "not a matcher" in bad.text  # the form keeps what was typed


def test_a_new_integrations_key_is_shown_once_with_examples(
    client: TestClient, admin: Person
) -> None:
    made = client.post(
        "/integrations", data={"name": "prometheus", "type": "alertmanager"}, headers=admin.headers
    )
    assert made.status_code == 201
    assert made.headers["cache-control"] == "no-store"
    key = re.search(r'<code id="new-key">([0-9a-f]{32})</code>', made.text)
    assert key is not None
    body = html.unescape(made.text)
    assert re.search(rf"url: https?://\S+/integrations/{key.group(1)}/alertmanager", body)
    assert "webhook_configs" in body
    assert "alertmanagers:" in body
    assert f"credentials: {key.group(1)}" in body

    sent = client.post(
        f"/integrations/{key.group(1)}/alertmanager",
        json={
            "version": "4",
            "alerts": [{"status": "firing", "labels": {"alertname": "Up"}, "annotations": {}}],
        },
    )
    assert sent.status_code == 200, sent.text
    later = client.get("/integrations", headers=admin.headers)
    assert "prometheus" in later.text
    assert key.group(1) not in later.text
    assert key.group(1)[:4] + "…" in later.text

    generic = client.post(
        "/integrations", data={"name": "cron", "type": "generic"}, headers=admin.headers
    )
    assert re.search(r"curl -X POST https?://\S+/integrations/[0-9a-f]{32}/generic", generic.text)
    again = client.post(
        "/integrations", data={"name": "cron", "type": "generic"}, headers=admin.headers
    )
    assert again.status_code == 409


def test_routing_rules_are_listed_made_and_deleted_by_managers(
    client: TestClient, manager: Person, responder: Person
) -> None:
    made = client.post(
        "/integrations/routing",
        data={"name": "db pages", "matchers": "service=db\nenv!=dev", "action": "record"},
        headers=manager.headers,
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = client.get("/integrations/routing", headers=responder.headers)
    assert "service=db" in _section(page.text, "rule-list")
    assert "/delete" not in page.text  # responders read, managers edit
    rule_id = client.get("/api/v1/routing-rules", headers=manager.headers).json()[0]["id"]
    assert (
        client.post(f"/integrations/routing/{rule_id}/delete", headers=responder.headers)
    ).status_code == 403
    gone = client.post(
        f"/integrations/routing/{rule_id}/delete", headers=manager.headers, follow_redirects=False
    )
    assert gone.status_code == 303
    assert client.get("/api/v1/routing-rules", headers=manager.headers).json() == []


def test_home_shows_firing_alerts_outside_incidents(
    client: TestClient, database: Database, manager: Person, viewer: Person
) -> None:
    key = _held(client, database, manager, "db-checks")
    assert "Nothing firing outside an incident." in text(section(client, viewer, "alerts"))
    for n in range(22):
        _send(client, key, summary=f"Replica lag {n}", dedup_key=f"lag-{n}")
    shown = text(section(client, viewer, "alerts"))
    assert "Replica lag 21" in shown
    assert "Replica lag 2 " in shown
    assert "Replica lag 1 " not in shown  # the oldest two are counted, not listed
    assert "and 2 more" in shown


def test_restricted_incidents_alerts_are_hidden_from_outsiders(
    client: TestClient, database: Database, make_person: MakePerson, admin: Person
) -> None:
    insider = make_person("sal", teams=("security",))
    outsider = make_person("otto", Role.incident_manager)
    rule = client.post(
        "/api/v1/routing-rules",
        json={
            "name": "secrets",
            "matchers": ["kind=secret"],
            "action": "record",
            "incident_type": "security",
            "team": "security",
        },
        headers=admin.headers,
    )
    assert rule.status_code == 201, rule.text
    _, key = make_integration(database, name="scanner", type="generic")
    _send(client, key, summary="Signing key in a public repo", labels={"kind": "secret"})
    _send(client, key, summary="Disk almost full", labels={"kind": "disk"})
    secret = next(a for a in _alerts(client, admin) if a["summary"].startswith("Signing"))
    assert secret["incident_id"] is not None

    for who, sees in ((insider, True), (admin, True), (outsider, False)):
        listed = _section(client.get("/alerts", headers=who.headers).text, "alert-list")
        assert "Disk almost full" in listed
        assert ("Signing key in a public repo" in listed) is sees
        detail = client.get(f"/alerts/{secret['id']}", headers=who.headers)
        assert detail.status_code == (200 if sees else 404)
    refused = client.post(f"/alerts/{secret['id']}/actions/resolve", headers=outsider.headers)
    assert refused.status_code == 404
    assert "Signing key" not in refused.text

    # the JSON API hides them the same way
    for who, sees in ((insider, True), (outsider, False)):
        listed = client.get("/api/v1/alerts", headers=who.headers).json()
        assert any(a["id"] == secret["id"] for a in listed) is sees
        detail = client.get(f"/api/v1/alerts/{secret['id']}", headers=who.headers)
        assert detail.status_code == (200 if sees else 404)
    api_refused = client.post(f"/api/v1/alerts/{secret['id']}/resolve", headers=outsider.headers)
    assert api_refused.status_code == 404


def test_home_and_incident_show_unacknowledged_pages_and_the_delivery_log(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    viewer: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
) -> None:
    make_person("alice")
    policy = client.post(
        "/api/v1/escalation-policies",
        json={
            "name": "Checkout",
            "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "user": "alice"}]}],
        },
        headers=manager.headers,
    )
    assert policy.status_code == 201, policy.text
    ref = str(declare(client, manager, title="Checkout down")["reference"])
    paged = client.post(
        f"/api/v1/incidents/{ref}/page",
        json={"policy_id": policy.json()["id"]},
        headers=manager.headers,
    )
    assert paged.status_code == 201, paged.text
    engine.run_until_idle()
    assert len(smtp.to("alice@example.com")) == 1

    pages = text(section(client, viewer, "pages"))
    assert f"{ref} Checkout down" in pages
    assert "@alice" in pages
    incident = client.get(f"/incidents/{ref}", headers=viewer.headers)
    log = _section(incident.text, "section-deliveries")
    assert "page to @alice by email" in log
    assert "sent" in log

    r = client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=manager.headers)
    assert r.status_code == 200, r.text
    assert "Every page is acknowledged." in text(section(client, viewer, "pages"))


def test_home_shows_overdue_stakeholder_updates(
    client: TestClient, clock: FrozenClock, manager: Person, viewer: Person
) -> None:
    ref = str(declare(client, manager, title="Payments slow", severity="SEV2")["reference"])
    assert ref not in text(section(client, viewer, "updates"))
    clock.advance(timedelta(hours=3))
    overdue = text(section(client, viewer, "updates"))
    assert f"{ref} Payments slow" in overdue
    assert "min overdue" in overdue
