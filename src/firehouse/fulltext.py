"""Shared pieces of full-text search: SQLite FTS5 tables kept in sync by triggers and
PostgreSQL tsvector GIN indexes, both made by migrations with raw SQL (incident search, in
`migrations/versions/core_0002_incident_search.py`), and the word splitting every search shares."""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"\w+", re.UNICODE)


def words(query: str, *, most: int = 20) -> list[str]:
    """The words of what someone typed (letters and digits; punctuation separates)."""
    return WORD.findall(query)[:most]


def fts5_prefix_match(terms: Iterable[str]) -> str:
    """An FTS5 MATCH expression: every word, each as a prefix (`"db"*`), case-insensitive."""
    return " ".join('"{}"*'.format(t.replace('"', '""')) for t in terms)


def tsquery_prefix(terms: Iterable[str]) -> str:
    """A `to_tsquery` text: every word, each as a prefix (`db:*`)."""
    return " & ".join(f"{t.lower()}:*" for t in terms)


def run_sql(statements: Iterable[str]) -> None:
    """In a migration: execute each raw SQL statement in turn."""
    from alembic import op  # here: searching at run time needs no Alembic

    for statement in statements:
        op.execute(statement)


def fts5_external_content(name: str, table: str, key: str, fields: list[str]) -> list[str]:
    """SQL making an external-content FTS5 table `name` over `table.fields` (rowid = `key`),
    kept in sync by triggers, and filling it from the rows already there."""
    cols = ", ".join(fields)
    new = ", ".join(f"new.{f}" for f in fields)
    old = ", ".join(f"old.{f}" for f in fields)
    # identifiers only, all constants of a migration: nothing a user typed
    delete = f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.{key}, {old});"  # noqa: S608
    insert = f"INSERT INTO {name}(rowid, {cols}) VALUES (new.{key}, {new});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='{table}', "
        f"content_rowid='{key}', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {name}({name}) VALUES ('rebuild')",  # noqa: S608
    ]


def fts5_drop(name: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}_{t}" for t in ("ai", "ad", "au")] + [
        f"DROP TABLE IF EXISTS {name}"
    ]
