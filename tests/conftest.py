"""Fixtures: a real database per test (SQLite by default, PostgreSQL when
FIREHOUSE_TEST_DATABASE_URL is set), a frozen clock, the app, and users with tokens."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from firehouse.actor import Actor
from firehouse.app import create_app
from firehouse.auth import service as auth
from firehouse.auth.models import TokenScope
from firehouse.bootstrap import ensure_defaults
from firehouse.clock import FrozenClock
from firehouse.db import Base, Database, make_null_pool_engine, normalize_url, upgrade
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.settings import Settings

PG_URL = os.environ.get("FIREHOUSE_TEST_DATABASE_URL")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery-staple"


def _worker_database(base_url: str, worker: str) -> str:
    url = make_url(normalize_url(base_url))
    name = f"{url.database}_{worker}"
    admin = make_null_pool_engine(url.set(database="postgres").render_as_string(False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(False)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """A migrated database made once per test worker: the path of a SQLite file to copy, or
    the URL of a PostgreSQL database to truncate between tests."""
    if PG_URL:
        url = _worker_database(PG_URL, worker_id)
        engine = make_null_pool_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        admin = make_null_pool_engine(
            make_url(url).set(database="postgres").render_as_string(False)
        )
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_null_pool_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        yield str(path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database(database_template: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Database]:
    if PG_URL:
        db = Database(database_template, clock=clock, pool_size=4)
        _truncate_all(db)
    else:
        path = tmp_path / "firehouse.db"
        shutil.copy(database_template, path)
        db = Database(f"sqlite:///{path}", clock=clock)
    with db.session() as session:
        ensure_defaults(session)
    yield db
    db.dispose()


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(
        database_url=database.url,
        admin_password=PASSWORD,
        log_format="text",
        auto_migrate=False,
        intake_writer="thread",  # the writer process would not see the test's clock
    )


@pytest.fixture
def app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, database=database)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@dataclass
class Person:
    id: int
    handle: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakePerson = Callable[..., Person]


@pytest.fixture
def make_person(database: Database) -> MakePerson:
    """Create a user (with a password and a token) straight through the services."""

    def make(
        handle: str,
        role: Role = Role.responder,
        *,
        teams: tuple[str, ...] = (),
        scope: TokenScope = TokenScope.write,
        timezone: str = "UTC",
    ) -> Person:
        system = Actor.system("test")
        with database.session() as session:
            user = people.create_user(
                session,
                actor=system,
                handle=handle,
                name=handle.replace("-", " ").title(),
                email=f"{handle}@example.com",
                role=role,
                timezone=timezone,
                password_hash=auth.hash_password(PASSWORD),
            )
            for slug in teams:
                try:
                    team = people.find_team(session, slug)
                except Exception:
                    team = people.create_team(session, actor=system, slug=slug, name=slug.title())
                people.add_member(session, actor=system, team_id=team.id, user_id=user.id)
            issued = auth.create_token(
                session,
                actor=system,
                user_id=user.id,
                name="test",
                scope=scope,
                expires_in=timedelta(days=30),
            )
            return Person(user.id, handle, role, issued.secret)

    return make


@pytest.fixture
def responder(make_person: MakePerson) -> Person:
    return make_person("rita", Role.responder)


@pytest.fixture
def manager(make_person: MakePerson) -> Person:
    return make_person("ivan", Role.incident_manager)


@pytest.fixture
def admin(make_person: MakePerson) -> Person:
    return make_person("ada", Role.admin)


@pytest.fixture
def viewer(make_person: MakePerson) -> Person:
    return make_person("vera", Role.viewer)


def declare(client: TestClient, who: Person, **fields: object) -> dict[str, object]:
    body = {"title": "Checkout is failing", "severity": "SEV2", **fields}
    response = client.post("/api/v1/incidents", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result
