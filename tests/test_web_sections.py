"""Home sections come from the domains that exist and are left out cleanly for the others."""

from __future__ import annotations

from firehouse.actor import Actor
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.people.models import Role
from firehouse.web.home import Section, provided_sections

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
