"""The postmortem pages: start and write a postmortem, see overdue ones, and the action lists."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from tests.conftest import Person
from tests.test_postmortems import resolved_incident


def test_write_a_postmortem_in_the_browser(
    client: TestClient, clock: FrozenClock, manager: Person, responder: Person
) -> None:
    ref = resolved_incident(client, clock, manager, leader=responder.handle)
    page = client.get(f"/incidents/{ref}/postmortem", headers=responder.headers)
    assert page.status_code == 200
    assert "Start the postmortem" in page.text
    r = client.post(
        f"/incidents/{ref}/postmortem",
        data={"template": "full_rca"},
        headers=responder.headers,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = client.post(
        f"/incidents/{ref}/postmortem/sections/summary",
        data={"body": "The **ledger** deploy broke card payments. <script>x()</script>"},
        headers=responder.headers,
    )
    assert r.status_code == 200
    assert "<strong>ledger</strong>" in r.text
    assert "<script>x()" not in r.text
    assert "Rolled back the ledger deploy" in r.text  # the pinned timeline, pre-filled
    r = client.post(f"/incidents/{ref}/postmortem/do/publish", headers=responder.headers)
    assert r.status_code == 409
    assert "root_cause" in r.text
    r = client.post(
        f"/incidents/{ref}/postmortem/actions",
        data={"title": "Add a ledger canary", "category": "observability",
              "owner": responder.handle, "due": "2026-03-05"},
        headers=responder.headers,
    )  # fmt: skip
    assert r.status_code == 200
    assert "Add a ledger canary" in r.text
    mine = client.get("/actions?view=mine", headers=responder.headers)
    assert "Add a ledger canary" in mine.text
    assert 'class="overdue-flag"' not in mine.text
    clock.advance(timedelta(days=10))
    overdue = client.get("/actions?view=overdue", headers=responder.headers)
    assert "Add a ledger canary" in overdue.text
    assert 'class="overdue-flag"' in overdue.text
    listing = client.get("/postmortems?overdue=true", headers=responder.headers)
    assert f"/incidents/{ref}/postmortem" in listing.text
    assert 'class="overdue-flag"' in listing.text
    found = client.get("/postmortems?q=authorisations", headers=responder.headers)
    assert "<strong>authorisations</strong>" in found.text
