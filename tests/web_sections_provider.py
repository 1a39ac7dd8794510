"""A domain as the home page sees one: a module with `home_rows` (used by test_web_sections)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from firehouse.actor import Actor
from firehouse.web.home import HomeRow


def home_rows(session: Any, *, actor: Actor, now: datetime) -> list[HomeRow]:
    return [
        HomeRow(title=f"Ana is on call for {actor.handle}", detail="until 17:00", when=now),
        HomeRow(title="Ben is next", href="/oncall", urgent=True),
    ]
