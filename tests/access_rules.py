"""The vocabulary of the access matrix, shared by every domain's table (tests/access_*.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CALLERS = ("anonymous", "viewer", "responder", "incident_manager", "admin", "admin_read_token")

# Who each rule lets through. Everyone else gets 401 (anonymous) or 403.
PUBLIC = "public"
SIGNED_IN = "signed in"  # any role, any token scope
OWN_WRITE = "own account, write"  # any role, but a write credential
RESPONDER = "responder+"  # write credential and responder or higher
MANAGER = "incident_manager+"  # write credential and incident_manager or higher
ADMIN_READ = "admin, read"  # admins, read-only tokens included
ADMIN_WRITE = "admin, write"  # admins with a write credential

ALLOWED: dict[str, frozenset[str]] = {
    PUBLIC: frozenset(CALLERS),
    SIGNED_IN: frozenset(CALLERS) - {"anonymous"},
    OWN_WRITE: frozenset({"viewer", "responder", "incident_manager", "admin"}),
    RESPONDER: frozenset({"responder", "incident_manager", "admin"}),
    MANAGER: frozenset({"incident_manager", "admin"}),
    ADMIN_READ: frozenset({"admin", "admin_read_token"}),
    ADMIN_WRITE: frozenset({"admin"}),
}


@dataclass(frozen=True)
class Call:
    """The rule for one route, and a valid request to send it. Strings in `json`, `form` and
    `path` are formatted with the ids made in `world` ({ref}, {handle}, ...)."""

    rule: str
    json: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    path: str | None = None  # overrides the route's own path (for static files, or other ids)


@dataclass(frozen=True)
class DomainTable:
    """A domain's routes and the setup that makes the ids they name. `setup(ctx)` gets an
    object with `client`, `database`, `make_person`, `callers` and `values` (a dict of ids to
    add to), after the core world is made."""

    expected: dict[tuple[str, str], Call]
    setup: Callable[[Any], None] | None = None
