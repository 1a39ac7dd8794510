"""First start: default configuration, and an admin to log in with."""

from __future__ import annotations

from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.auth import service as auth
from firehouse.incidents import service as incidents
from firehouse.people import service as people
from firehouse.people.models import Role


def ensure_defaults(session: Session) -> None:
    incidents.ensure_defaults(session)


def ensure_admin(session: Session, *, password: str | None) -> str | None:
    """Create the `admin` user when there are no users. Returns the password if it was made up
    here (to print once), None when an admin existed or the password was given."""
    if people.count_users(session) > 0:
        return None
    generated = password is None
    secret = password or auth.generate_password()
    people.create_user(
        session,
        actor=Actor.system("bootstrap"),
        handle="admin",
        name="Administrator",
        email="admin@firehouse.invalid",
        role=Role.admin,
        password_hash=auth.hash_password(secret),
    )
    return secret if generated else None
