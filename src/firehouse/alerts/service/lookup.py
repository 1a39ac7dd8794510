"""The open alerts a delivery names, found by fingerprint: by the committer before it applies
a batch (locked), and by the repeat counter before it adds counts."""

from __future__ import annotations

from sqlalchemy import Select, String, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from firehouse.alerts.models import Alert


def select_open(
    session: Session, integration_id: int, fingerprints: list[str], *, lock: bool = False
) -> tuple[Select[Alert], type[Alert]]:
    """The open alerts of an integration with these fingerprints, and the entity to read
    columns from (`Alert`, or its alias on PostgreSQL).

    On PostgreSQL each fingerprint is one lookup in the unique index of open alerts (a LATERAL
    subquery with LIMIT 1, which the planner cannot turn into a join). The plain
    `fingerprint IN (...)` lets the planner scan every open alert of the integration whenever it
    believes there are few: on a table not yet analyzed (a new install's first storm, or
    autovacuum off) that grew to 150,000 open alerts, 100 lookups took 20 to 31 ms instead of
    0.2 to 0.9, and the cost grew with every alert inserted."""
    if session.get_bind().dialect.name != "postgresql":
        query = select(Alert).where(
            Alert.integration_id == integration_id,
            Alert.fingerprint.in_(fingerprints),
            Alert.resolved_at.is_(None),
        )
        return (query.with_for_update() if lock else query), Alert
    wanted = (
        func.unnest(bindparam("fingerprints", fingerprints, type_=ARRAY(String)))
        .table_valued("fp")
        .render_derived()
    )
    one = (
        select(Alert)
        .where(
            Alert.integration_id == integration_id,
            Alert.fingerprint == wanted.c.fp,
            Alert.resolved_at.is_(None),
        )
        .limit(1)
    )
    found = (one.with_for_update() if lock else one).lateral()
    entity = aliased(Alert, found)
    return select(entity).select_from(wanted).join(found, true()), entity
