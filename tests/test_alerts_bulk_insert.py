"""New alerts are inserted straight through the driver (`bulk_insert`), on each database its own
way. What is stored must read back exactly as what the ORM stores, and on PostgreSQL a
fingerprint already open is skipped, not doubled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from firehouse.alerts.models import Alert, AlertStatus, RuleAction
from firehouse.alerts.service.bulk_insert import postgres_insert, sqlite_insert
from firehouse.alerts.service.intake import ALERTS
from firehouse.db import Database
from tests.alerts_helpers import make_integration

COMPARED = [c.name for c in ALERTS.c if c.name not in ("id", "fingerprint")]


def row(integration_id: int, fingerprint: str, **changes: Any) -> dict[str, Any]:
    now = datetime(2026, 12, 4, 22, 0, 0, 123456, tzinfo=UTC)
    values: dict[str, Any] = {
        "integration_id": integration_id,
        "fingerprint": fingerprint,
        "status": AlertStatus.triggered,
        "summary": "Disk 95% full on db-1 — ünïcode ☃",
        "source": "db-1",
        "severity": "critical",
        "sender_severity": "page",
        "labels": {"alertname": "DiskFull", "instance": "db-1", "team": "storage"},
        "annotations": {"summary": "disk", "nested": {"a": [1, 2.5, None, True]}},
        "links": [{"href": "https://grafana.example/d/1", "text": "Dashboard"}],
        "raw": {"labels": {"alertname": "DiskFull"}, "big": 2**40},
        "content_hash": "0" * 32,
        "group_key": "DiskFull|storage",
        "sender_group_key": '{}:{alertname="DiskFull"}',
        "generator_url": "http://prometheus:9090/graph",
        "action": RuleAction.page,
        "suppressed_by": "",
        "team_id": None,
        "service_id": None,
        "incident_id": None,
        "rule_id": None,
        "starts_at": now - timedelta(minutes=3),
        "first_seen_at": now,
        "last_seen_at": now,
        "repeat_count": 0,
    }
    values.update(changes)
    return values


def insert(database: Database, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    with database.session() as session:
        if database.is_sqlite:
            return sqlite_insert(session, ALERTS, rows, "fingerprint, id")
        return postgres_insert(
            session,
            ALERTS,
            rows,
            returning="fingerprint, id",
            on_conflict="(integration_id, fingerprint) WHERE resolved_at IS NULL DO NOTHING",
        )


def stored(database: Database) -> dict[str, dict[str, Any]]:
    with database.session(write=False) as session:
        return {
            a.fingerprint: {name: getattr(a, name) for name in COMPARED}
            for a in session.scalars(select(Alert))
        }


def test_rows_read_back_as_the_orm_stores_them(database: Database) -> None:
    iid, _ = make_integration(database)
    with database.session() as session:
        session.add(Alert(**row(iid, "by-orm")))
    returned = insert(
        database, [row(iid, "bulk"), row(iid, "empty", raw=None, labels={}, starts_at=None)]
    )
    assert sorted(fp for fp, _ in returned) == ["bulk", "empty"]
    found = stored(database)
    assert found["bulk"] == found["by-orm"]
    assert found["empty"]["raw"] is None
    with database.session(write=False) as session:  # JSON null, as the ORM writes None
        assert session.scalar(select(Alert.id).where(Alert.raw.is_(None))) is None
    assert found["empty"]["labels"] == {}
    assert found["empty"]["starts_at"] is None
    assert found["bulk"]["status"] is AlertStatus.triggered
    assert found["bulk"]["starts_at"] == datetime(2026, 12, 4, 21, 57, 0, 123456, tzinfo=UTC)


def test_many_rows_in_one_call(database: Database) -> None:
    """More rows than SQLite takes in one statement; on PostgreSQL one statement whatever."""
    iid, _ = make_integration(database)
    returned = insert(database, [row(iid, f"fp-{n}", repeat_count=n) for n in range(1_200)])
    assert len({alert_id for _, alert_id in returned}) == 1_200
    found = stored(database)
    assert len(found) == 1_200
    assert found["fp-1199"]["repeat_count"] == 1_199


def test_an_open_fingerprint_is_skipped_on_postgresql(database: Database) -> None:
    """Another instance opened it between our look-up and our insert: the partial unique index
    decides, and the caller applies the delivery to that alert instead."""
    if database.is_sqlite:
        pytest.skip("SQLite's writer holds the write lock from BEGIN: no such race")
    iid, _ = make_integration(database)
    insert(database, [row(iid, "taken", summary="first")])
    returned = insert(database, [row(iid, "taken", summary="second"), row(iid, "free")])
    assert [fp for fp, _ in returned] == ["free"]
    found = stored(database)
    assert found["taken"]["summary"] == "first"
    assert set(found) == {"taken", "free"}
