"""First start: default configuration, and an admin to log in with."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.auth import service as auth
from firehouse.incidents import service as incidents
from firehouse.people import service as people
from firehouse.people.models import Role


def ensure_defaults(session: Session) -> None:
    incidents.ensure_defaults(session)


class AdminSecret:
    """The first admin's password. On a new database it is hashed in a thread while the
    migrations run (argon2 releases the GIL), so a first start does not wait for it."""

    def __init__(self, password: str | None, *, in_background: bool = False) -> None:
        self.generated = password is None
        self.secret = password or auth.generate_password()
        self._hash: str | None = None
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None
        if in_background:
            self._thread = threading.Thread(target=self._run, name="admin-password", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._hash = auth.hash_password(self.secret)
        except Exception as exc:  # raised again in the caller's thread by password_hash()
            self._error = exc

    def password_hash(self) -> str:
        if self._thread is None:
            return auth.hash_password(self.secret)
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._hash is not None
        return self._hash


def ensure_admin(session: Session, *, secret: AdminSecret) -> str | None:
    """Create the `admin` user when there are no users. Returns the password if it was made up
    here (to print once), None when an admin existed or the password was given."""
    if people.count_users(session) > 0:
        return None
    people.create_user(
        session,
        actor=Actor.system("bootstrap"),
        handle="admin",
        name="Administrator",
        email="admin@firehouse.invalid",
        role=Role.admin,
        password_hash=secret.password_hash(),
    )
    return secret.secret if secret.generated else None
