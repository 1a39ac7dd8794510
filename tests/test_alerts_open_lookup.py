"""Finding the open alerts a delivery names (`select_open`): exactly the open ones of that
integration, and on PostgreSQL by one index look-up per fingerprint, however many alerts are
open and whatever the planner's statistics say."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text, update

from firehouse.alerts.models import Alert
from firehouse.alerts.service.lookup import select_open
from firehouse.db import Database
from tests.alerts_helpers import make_integration
from tests.test_alerts_bulk_insert import insert, row


def found(database: Database, integration_id: int, fingerprints: list[str]) -> set[str]:
    with database.session(write=False) as session:
        query, entity = select_open(session, integration_id, fingerprints)
        return set(session.scalars(query.with_only_columns(entity.fingerprint)))


def test_only_the_open_alerts_of_that_integration(database: Database) -> None:
    mine, _ = make_integration(database, "mine")
    other, _ = make_integration(database, "other")
    insert(database, [row(mine, "open"), row(mine, "closed"), row(other, "elsewhere")])
    with database.session() as session:
        session.execute(
            update(Alert)
            .where(Alert.fingerprint == "closed")
            .values(resolved_at=datetime(2026, 12, 4, tzinfo=UTC))
        )
    asked = ["open", "closed", "elsewhere", "never-seen", "open"]
    assert found(database, mine, asked) == {"open"}
    assert found(database, other, asked) == {"elsewhere"}
    assert found(database, mine, []) == set()


def test_locked_rows_load_as_alerts(database: Database) -> None:
    iid, _ = make_integration(database)
    insert(database, [row(iid, "a"), row(iid, "b")])
    with database.session() as session:
        query, _ = select_open(session, iid, ["a", "b", "c"], lock=True)
        alerts = {a.fingerprint: a for a in session.scalars(query)}
        assert sorted(alerts) == ["a", "b"]
        alerts["a"].repeat_count = 7  # an ORM object like any other: the change is written
    with database.session(write=False) as session:
        assert session.scalar(select(Alert.repeat_count).where(Alert.fingerprint == "a")) == 7


def _rows_read(plan: dict[str, Any]) -> int:
    """Rows the plan's scans of `alerts` produced or threw away, over all their loops (at most
    one more per loop than read: PostgreSQL rounds each loop's mean)."""
    total = 0
    if plan.get("Relation Name") == "alerts":
        loops = plan.get("Actual Loops", 1)
        total += (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * loops
        total += plan.get("Rows Removed by Index Recheck", 0)
    for child in plan.get("Plans", []):
        total += _rows_read(child)
    return total


def test_a_storm_of_open_alerts_is_not_scanned_on_postgresql(database: Database) -> None:
    """The statistics say the table is empty (as on a new install before autovacuum's first
    pass, or with autovacuum off) while 20,000 alerts are open: a `fingerprint IN (...)`
    query was planned as a scan of all of them; each look-up must read only its own row."""
    if database.is_sqlite:
        pytest.skip("SQLite plans without statistics; the trap is PostgreSQL's planner")
    iid, _ = make_integration(database)
    with database.session() as session:
        session.execute(text("ANALYZE alerts"))
    (first_id,) = [alert_id for _, alert_id in insert(database, [row(iid, "fp-0")])]
    columns = [c.name for c in Alert.__table__.c if c.name not in ("id", "fingerprint")]
    names = ", ".join(columns)
    with database.session() as session:
        session.execute(
            text(
                f"INSERT INTO alerts (fingerprint, {names}) SELECT 'fp-' || g, {names} "
                "FROM alerts, generate_series(1, 20000) AS g WHERE id = :first"
            ),
            {"first": first_id},
        )
    wanted = [f"fp-{n}" for n in range(0, 20_000, 400)] + ["not-open"]
    with database.session() as session:
        query, _ = select_open(session, iid, wanted, lock=True)
        compiled = query.compile(session.get_bind(), compile_kwargs={"render_postcompile": True})
        (plan,) = (
            session.connection()
            .exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled), compiled.params)
            .one()
        )
    if isinstance(plan, str):
        plan = json.loads(plan)
    # PostgreSQL reports a loop's rows as a rounded mean, so 50 found in 51 loops reads as 51
    assert _rows_read(plan[0]["Plan"]) <= len(wanted)
