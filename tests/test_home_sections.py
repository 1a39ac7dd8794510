"""The home page's on-call and overdue-postmortem sections, as each viewer sees them."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from firehouse.people.models import Role
from tests.conftest import MakePerson, Person
from tests.test_postmortems import resolved_incident

PM = "/api/v1/incidents/{ref}/postmortem"


def section(client: TestClient, who: Person, key: str) -> str:
    """The text of one home section (tags stripped), as `who` sees it."""
    page = client.get("/", headers=who.headers)
    assert page.status_code == 200, page.text
    found = re.search(rf'<section[^>]*id="section-{key}".*?</section>', page.text, re.S)
    assert found is not None, f"no {key} section on the home page"
    return found.group(0)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_home_shows_who_is_on_call_now_and_who_is_next(
    client: TestClient, make_person: MakePerson, manager: Person
) -> None:
    ann = make_person("ann", teams=("payments",))
    make_person("bob", teams=("payments",))
    r = client.post(
        "/api/v1/schedules",
        json={
            "name": "Primary",
            "team": "payments",
            "timezone": "Europe/London",
            "layers": [
                {
                    "name": "Weekly",
                    "rotation": ["ann", "bob"],
                    "shift_length": 1,
                    "shift_unit": "days",
                    "handoff_time": "08:00",
                    "start_date": "2026-03-02",
                }
            ],
        },
        headers=manager.headers,
    )
    assert r.status_code == 201, r.text

    seen_by_manager = section(client, manager, "oncall")
    assert "Payments · Primary" in text(seen_by_manager)
    assert "Now: Ann · Next: Bob from" in text(seen_by_manager)
    # Bob takes over at the next 08:00 London (UTC in March)
    assert 'datetime="2026-03-03T08:00:00+00:00"' in seen_by_manager
    assert f'href="/oncall?schedule={r.json()["id"]}"' in seen_by_manager
    assert "Now: you · Next: Bob from" in text(section(client, ann, "oncall"))


def test_home_shows_a_gap_as_nobody_on_call(
    client: TestClient, clock: FrozenClock, make_person: MakePerson, manager: Person
) -> None:
    make_person("ann")
    layer = {
        "name": "Days",
        "rotation": ["ann"],
        "shift_length": 1,
        "shift_unit": "days",
        "handoff_time": "10:00",
        "start_date": "2026-03-02",
    }
    body = {"name": "Later", "timezone": "UTC", "layers": [layer]}
    assert client.post("/api/v1/schedules", json=body, headers=manager.headers).is_success
    shown = section(client, manager, "oncall")
    assert "Now: nobody · Next: Ann from" in text(shown)
    assert 'class="urgent"' in shown


def test_an_overdue_postmortem_shows_for_insiders_only_when_restricted(
    client: TestClient, clock: FrozenClock, manager: Person, make_person: MakePerson
) -> None:
    outsider = make_person("otto")
    admin = make_person("adele", Role.admin)
    ref = resolved_incident(client, clock, manager, type="security", severity="SEV1")
    assert client.post(PM.format(ref=ref), json={}, headers=manager.headers).status_code == 201
    link = f'href="/incidents/{ref}/postmortem"'

    assert link not in section(client, manager, "postmortems")  # not due yet
    clock.advance(timedelta(days=8))  # a SEV1 postmortem is due 7 days after resolution

    shown = section(client, manager, "postmortems")
    assert link in shown
    assert 'class="urgent"' in shown
    assert "draft" in text(shown)
    assert link in section(client, admin, "postmortems")
    hidden = section(client, outsider, "postmortems")
    assert ref not in hidden
    assert "No overdue postmortems." in hidden
