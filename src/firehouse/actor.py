"""Who is doing something, and from where: passed to every service that writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from firehouse.errors import Forbidden
from firehouse.people.models import Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    handle: str
    role: Role
    source: str | None = None
    request_id: str | None = None
    can_write: bool = True
    team_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(user_id=None, handle=what, role=Role.admin)

    def has(self, role: Role) -> bool:
        return self.role.at_least(role)


def require_writer(actor: Actor, role: Role = Role.responder) -> None:
    """Writes need a read-write credential and at least `role`."""
    if not actor.can_write:
        raise Forbidden("this token is read-only")
    if not actor.has(role):
        raise Forbidden(f"this needs the {role.value} role or higher")
