"""Database engine, sessions, SQLite pragmas and the migration runner."""

from __future__ import annotations

import functools
import select
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from firehouse.clock import Clock, SystemClock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; store UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` and use psycopg 3 for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    """One engine and its session factories. `session(write=True)` is a unit of work."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        pool_size: int = 10,
        sqlite_synchronous: str = "FULL",
        sqlite_busy_timeout_ms: int = 5000,
    ) -> None:
        self.url = normalize_url(url)
        self.clock: Clock = clock or SystemClock()
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if ":memory:" in self.url or self.url in ("sqlite://", "sqlite:///"):
                raise ValueError("firehouse needs a file for SQLite, not an in-memory database")
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
            # No server-side prepared statements: after five runs PostgreSQL may switch one to
            # a generic plan, made for no values in particular, and a list's best plan depends
            # on its filter values (`type=security` walked every incident). Unprepared, each
            # statement is planned for its own values.
            kwargs["connect_args"] = {"prepare_threshold": None}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, sqlite_synchronous, sqlite_busy_timeout_ms)
        else:
            _replace_closed_connections(self.engine)
        self._reader = self.engine.execution_options(sqlite_begin="DEFERRED")
        self._write_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._read_factory = sessionmaker(bind=self._reader, expire_on_commit=False)
        # the latest revisions, when something already read them (saves loading Alembic)
        self.known_heads: frozenset[str] | None = None

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error.

        On SQLite a writing session takes the write lock at BEGIN (BEGIN IMMEDIATE), so two
        writers never deadlock upgrading a read lock; readers never wait for writers (WAL).
        """
        factory = self._write_factory if write else self._read_factory
        with factory() as session:
            session.info["clock"] = self.clock
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        upgrade(self.engine)

    def is_empty(self) -> bool:
        """No schema yet: a first start."""
        return not current_revisions(self.engine)

    def pending_migrations(self) -> bool:
        return current_revisions(self.engine) != (self.known_heads or head_revisions())


def _configure_sqlite(engine: Engine, synchronous: str, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")


def _replace_closed_connections(engine: Engine) -> None:
    """Hand out no pooled connection the server has closed (a restart, an idle timeout,
    `pg_terminate_backend`), without pool_pre_ping's round trip before every session: the
    server says goodbye and closes the socket, so a connection closed while idle in the pool
    has input waiting. One with input waiting is discarded and the pool opens another."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.closed:
            raise DisconnectionError("this pooled connection is closed")
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        if poller.poll(0):
            raise DisconnectionError("the server closed this pooled connection")


def _alembic_config(engine: Engine | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Each domain keeps its own branch of migrations (off the core revision), so `heads`."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


@functools.cache
def head_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(_alembic_config()).get_heads())


def current_revisions(engine: Engine) -> frozenset[str]:
    with engine.connect() as conn:
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except Exception:
            return frozenset()
        return frozenset(row[0] for row in rows)


def make_null_pool_engine(url: str) -> Engine:
    """An engine that holds no connections between uses (admin commands, test setup)."""
    return create_engine(normalize_url(url), poolclass=NullPool)
