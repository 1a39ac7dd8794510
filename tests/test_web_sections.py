"""Home sections come from the domains that exist and are left out cleanly for the others."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from firehouse.actor import Actor
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.people.models import Role
from firehouse.web.home import Section, provided_sections
from tests.conftest import MakePerson, Person, declare

PRESENT = Section("oncall", "On call", "tests.web_sections_provider", "home_rows", "oncall", "-")
NO_FUNCTION = Section("x", "X", "tests.web_sections_provider", "nothing_here", "x", "-")
NO_MODULE = Section("y", "Y", "firehouse.not_a_domain.service", "home_rows", "y", "-")


def test_a_section_shows_when_its_domain_provides_it(
    database: Database, clock: FrozenClock
) -> None:
    actor = Actor(user_id=1, handle="rita", role=Role.responder)
    with database.session(write=False) as session:
        found = provided_sections(
            (NO_MODULE, PRESENT, NO_FUNCTION), session, actor=actor, now=clock.now()
        )
    assert [s["section"].key for s in found] == ["oncall"]
    assert [row.title for row in found[0]["rows"]] == ["Ana is on call for rita", "Ben is next"]


def test_the_overdue_updates_section_agrees_with_the_overdue_list(
    client: TestClient, clock: FrozenClock, manager: Person, make_person: MakePerson
) -> None:
    """The home section reads columns for speed; it must find what `overdue_updates` finds,
    in the same order and with the same lateness, for each viewer."""
    outsider = make_person("otto")
    make_person("pia", teams=("payments",))  # an audience for the update
    quiet = declare(client, manager, title="Never updated", severity="SEV2")["reference"]
    promised = declare(client, manager, title="Update promised", severity="SEV2")["reference"]
    secret = declare(client, manager, title="Leaked keys", type="security")["reference"]
    sent = client.post(
        f"/api/v1/incidents/{promised}/updates",
        json={
            "template": "initial",
            "impact": "Slow checkout",
            "current_actions": "Rolling back",
            "audiences": ["team:payments"],
            "next_update_at": (clock.now() + timedelta(minutes=20)).isoformat(),
        },
        headers=manager.headers,
    )
    assert sent.status_code == 201, sent.text

    def rows(who: Person) -> list[str]:
        page = client.get("/", headers=who.headers).text
        found = re.search(r'<section[^>]*id="section-updates".*?</section>', page, re.S)
        assert found is not None
        return re.findall(r'<a href="/statuspage/incident/(INC-\d+)">', found.group(0))

    def listed(who: Person) -> list[str]:
        overdue = client.get("/api/v1/updates/overdue", headers=who.headers)
        assert overdue.status_code == 200, overdue.text
        return [o["reference"] for o in overdue.json()]

    assert rows(manager) == listed(manager) == []
    clock.advance(timedelta(minutes=30))  # past the promise, not yet SEV2's hour
    assert rows(manager) == listed(manager) == [promised]
    clock.advance(timedelta(hours=2))
    assert rows(manager) == listed(manager)
    assert set(rows(manager)) == {quiet, promised, secret}
    assert rows(outsider) == listed(outsider)
    assert secret not in rows(outsider)
    detail = client.get("/", headers=manager.headers).text
    minutes = {
        o["reference"]: o["minutes_overdue"]
        for o in client.get("/api/v1/updates/overdue", headers=manager.headers).json()
    }
    for ref, late in minutes.items():
        assert re.search(
            rf"{ref} [^<]*</a>\s*<span class=\"detail\">SEV\d: update {late} min overdue", detail
        ), ref
