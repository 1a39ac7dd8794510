"""Many rows into SQLite through the driver in one statement: the ORM's per-row bookkeeping is
what a storm of new alerts costs. Values pass through each column's own bind processor, so they
are stored exactly as the ORM would store them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session

from firehouse.db import UTCDateTime


def _bind_processor(kind: Any, dialect: Any) -> Any:
    plain = kind.bind_processor(dialect)
    if plain is None:
        return None
    if isinstance(kind, JSON):
        return lambda value: plain(value) if value is None else json_text(value)
    if isinstance(kind, UTCDateTime):
        # most rows of a batch carry the batch's own "now": convert it once
        seen: dict[datetime, Any] = {}

        def remembered(value: datetime | None) -> Any:
            if value is None:
                return plain(value)
            found = seen.get(value)
            if found is None:
                found = seen[value] = plain(value)
            return found

        return remembered
    return plain


def json_text(value: Any) -> str:
    """JSON as a column stores it, by orjson: the standard library's encoder is the largest
    cost of a new alert (labels, annotations, links, raw payload, history)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:  # integers past 64 bits, which orjson refuses
        return json.dumps(value, default=str)


_SQLITE_ROWS_PER_INSERT = 500  # x 26 columns stays under SQLite's 32,766 parameters


def sqlite_insert(
    session: Session, table: Table, rows: list[dict[str, Any]], returning: str = ""
) -> list[tuple[Any, ...]]:
    """Insert rows straight through the driver, converted by the columns' own bind
    processors (so stored exactly as the ORM stores them): SQLAlchemy's per-row parameter
    handling costs more than the insert itself in a storm."""
    connection = session.connection()
    names = list(rows[0])
    processors = [_bind_processor(table.c[name].type, connection.dialect) for name in names]
    values = [
        [row[n] if p is None else p(row[n]) for n, p in zip(names, processors, strict=True)]
        for row in rows
    ]
    columns = ", ".join(f'"{n}"' for n in names)
    marks = "(" + ", ".join("?" * len(names)) + ")"
    # names come from our own table metadata, values are bound: nothing from a sender
    head = f'INSERT INTO "{table.name}" ({columns}) VALUES '  # noqa: S608
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if not returning:
            cursor.executemany(head + marks, values)
            return []
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(values), _SQLITE_ROWS_PER_INSERT):
            chunk = values[start : start + _SQLITE_ROWS_PER_INSERT]
            tail = f" RETURNING {returning}"
            cursor.execute(
                head + ", ".join([marks] * len(chunk)) + tail, [v for r in chunk for v in r]
            )
            found += cursor.fetchall()
        return found
    finally:
        cursor.close()
