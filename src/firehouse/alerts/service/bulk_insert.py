"""Many rows in one statement, straight through the driver: the ORM's per-row bookkeeping, and
on PostgreSQL psycopg re-reading SQLAlchemy's long multi-row INSERT text for its placeholders,
are what a storm of new alerts costs. Values pass through each column's own bind processor (JSON
written by orjson), so they are stored as the ORM would store them."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Column, Table
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


def postgres_insert(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    returning: str = "",
    on_conflict: str = "",
) -> list[tuple[Any, ...]]:
    """Insert rows as one array per column, unnested by the server: the statement's text is
    the same whatever the number of rows, so psycopg reads it once per process, not once per
    batch (for a storm's 3,000-row INSERT that reading was half the writer's time). The arrays
    travel in binary (`%b`): in text, psycopg quotes every element of an array with a regular
    expression in Python, a third of the writer's time for JSON full of quotes.
    `on_conflict` follows ON CONFLICT, `returning` follows RETURNING; both come from our code,
    never from a sender."""
    connection = session.connection()
    names = list(rows[0])
    columns = [_postgres_column(table.c[name], connection.dialect) for name in names]
    arrays = [
        [row[name] if convert is None else convert(row[name]) for row in rows]
        for name, (_, _, convert) in zip(names, columns, strict=True)
    ]
    quoted = ", ".join(f'"{n}"' for n in names)
    selected = ", ".join(f'u."{n}"{cast}' for n, (_, cast, _) in zip(names, columns, strict=True))
    unnested = ", ".join(f"%b::{sql_type}[]" for sql_type, _, _ in columns)
    # names and types come from our own table metadata, values are bound
    statement = (
        f'INSERT INTO "{table.name}" ({quoted}) SELECT {selected} '  # noqa: S608
        f"FROM unnest({unnested}) AS u({quoted})"
    )
    if on_conflict:
        statement += f" ON CONFLICT {on_conflict}"
    if returning:
        statement += f" RETURNING {returning}"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement, arrays)
        return list(cursor.fetchall()) if returning else []
    finally:
        cursor.close()


@functools.cache  # the same few columns every batch: their types compiled once per process
def _postgres_column(column: Column[Any], dialect: Any) -> tuple[str, str, Any]:
    """(array element type, cast in the select list, value converter) for one column. JSON
    travels as text and is cast back, as the ORM's own parameter would be."""
    kind = column.type
    if isinstance(kind, JSON):
        # None is JSON's null unless the column says SQL NULL, as the ORM stores it
        none = None if kind.none_as_null else "null"
        return (
            "text",
            f"::{kind.compile(dialect=dialect)}",
            lambda value: none if value is None else json_text(value),
        )
    return kind.compile(dialect=dialect), "", kind.bind_processor(dialect)
