"""The communication pages, used as a communications lead would in a browser: forms with the
session's CSRF token, no JavaScript needed, nothing the CSP forbids."""

from __future__ import annotations

from fastapi.testclient import TestClient

from firehouse.people.models import Role
from tests.conftest import MakePerson, Person, declare
from tests.web_helpers import csrf_of, login


def test_a_comms_lead_informs_stakeholders_and_customers_from_the_ui(
    client: TestClient, make_person: MakePerson, manager: Person
) -> None:
    owner = make_person("olga", Role.responder)
    make_person("cora", Role.responder)
    client.post(
        "/api/v1/stakeholder-lists",
        json={"slug": "executives", "name": "Executives",
              "targets": [{"channel": "email", "target": "ceo@example.com"}]},
        headers=manager.headers,
    )  # fmt: skip
    client.post("/api/v1/statuspage/components", json={"name": "Checkout"}, headers=manager.headers)
    incident = declare(client, owner, title="Internal: payments-db-3 failover loop")
    ref = str(incident["reference"])
    client.put(
        f"/api/v1/incidents/{ref}/roles/communications_lead",
        json={"user": "cora"},
        headers=owner.headers,
    )

    login(client, "cora")
    page = client.get(f"/statuspage/incident/{ref}")
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "style=" not in page.text
    csrf = csrf_of(page.text)
    sent = client.post(
        f"/statuspage/incident/{ref}/updates",
        data={"csrf_token": csrf, "template": "initial", "impact": "Card payments fail",
              "current_actions": "Failing over by hand", "audiences": "list:executives"},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    page = client.get(f"/statuspage/incident/{ref}")
    assert "Card payments fail" in page.text
    assert "1 recipients" in page.text

    published = client.post(
        "/statuspage/incidents",
        data={"csrf_token": csrf, "incident": ref, "title": "Card payments are failing",
              "status": "investigating", "body": "Some card payments fail.", "affected": "1",
              "affected_status": "major_outage", "back": f"/statuspage/incident/{ref}"},
        follow_redirects=False,
    )  # fmt: skip
    assert published.status_code == 303, published.text
    assert published.headers["location"] == f"/statuspage/incident/{ref}"
    public = client.get("/status").text
    assert "Card payments are failing" in public
    assert "Major outage" in public
    assert "payments-db-3" not in public

    # a refused write shows the reason with the API's status
    missing = client.post(
        f"/statuspage/incident/{ref}/updates",
        data={"csrf_token": csrf, "impact": "", "audiences": "list:executives"},
    )
    assert missing.status_code == 422
    assert "impact is needed" in missing.text
    # and a form without the CSRF token is refused
    forged = client.post(f"/statuspage/incident/{ref}/updates", data={"impact": "x"})
    assert forged.status_code == 403


def test_the_management_page_lists_components_and_maintenance(
    client: TestClient, manager: Person, make_person: MakePerson
) -> None:
    make_person("mona", Role.incident_manager)
    login(client, "mona")
    csrf = csrf_of(client.get("/statuspage").text)
    r = client.post(
        "/statuspage/components", data={"csrf_token": csrf, "name": "API"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(
        "/statuspage/maintenance",
        data={"csrf_token": csrf, "title": "Router swap", "starts_at": "2026-03-06 01:00",
              "ends_at": "2026-03-06 02:00", "affected": "1"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    page = client.get("/statuspage").text
    assert "API" in page
    assert "Router swap" in page
    bad = client.post(
        "/statuspage/maintenance",
        data={"csrf_token": csrf, "title": "x", "starts_at": "soon", "ends_at": "later"},
    )
    assert bad.status_code == 422
    assert "a time like" in bad.text
