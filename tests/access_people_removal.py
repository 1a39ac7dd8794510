"""Access rules for removing (deactivating) a person."""

from __future__ import annotations

from typing import Any

from firehouse.people.models import Role
from tests.access_rules import ADMIN_WRITE, Call, DomainTable


def _setup(world: Any) -> None:
    world.make_person("leaver", Role.responder)  # in no rotation or policy: removable
    world.values["leaver"] = "leaver"


TABLE = DomainTable(
    expected={
        ("DELETE", "/api/v1/users/{handle}"): Call(ADMIN_WRITE, path="/api/v1/users/{leaver}"),
    },
    setup=_setup,
)
