"""The database layer: on PostgreSQL, a pooled connection the server has closed is never handed
out (checked without a round trip per session)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from firehouse.db import Database, make_null_pool_engine
from tests.conftest import PG_URL


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: SQLite has no server to close connections")
def test_connections_the_server_closed_are_replaced(database: Database) -> None:
    """As after a database restart: every pooled connection is terminated while idle, and the
    next unit of work still runs, on a new connection."""
    with database.session(write=False) as session:
        before = session.scalar(text("SELECT pg_backend_pid()"))
    admin = make_null_pool_engine(database.url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {others}"))
        deadline = time.monotonic() + 10
        while conn.scalar(text(f"SELECT count(*) FROM pg_stat_activity WHERE {others}")):
            assert time.monotonic() < deadline, "the server did not close the connections"
            time.sleep(0.05)
    admin.dispose()
    with database.session(write=False) as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) != before
