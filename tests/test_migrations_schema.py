"""The Alembic migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL (whichever the suite runs on): a migrated database compared with `Base.metadata`."""

from __future__ import annotations

import pprint
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, inspect, text

import firehouse.models  # noqa: F401 (registers every domain's tables on Base.metadata)
from firehouse.db import Base, head_revisions, make_null_pool_engine, normalize_url
from firehouse.postmortems.models import include_object as outside_search_index
from tests.conftest import PG_URL


def _url(template: str) -> str:
    return normalize_url(template) if PG_URL else f"sqlite:///{template}"


def _describe(diff: list[Any]) -> str:
    return pprint.pformat(diff, width=100)


FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")


def _unmodelled(conn: Connection) -> set[str]:
    """Tables no model can describe: Alembic's own, and SQLite full-text (FTS5) virtual tables
    with their shadow tables, which a migration creates with raw SQL."""
    names = {"alembic_version"}
    if conn.dialect.name == "sqlite":
        virtual = conn.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
            )
        ).scalars()
        for name in virtual:
            names |= {name, *(f"{name}_{suffix}" for suffix in FTS5_SHADOWS)}
    return names


def _modelled(item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Leave out expression indexes only a migration makes (PostgreSQL full-text GIN indexes
    on to_tsvector(...)), and the search columns and indexes the postmortems migration makes
    for one database only."""
    if not outside_search_index(item, name, kind, reflected, compare_to):
        return False
    if kind == "index" and reflected and compare_to is None:
        return all(isinstance(e, Column) for e in item.expressions)
    return True


def test_migrations_make_exactly_the_models_schema(database_template: str) -> None:
    engine = make_null_pool_engine(_url(database_template))
    try:
        with engine.connect() as conn:
            skip = _unmodelled(conn)
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, parent: (
                        not (kind == "table" and name in skip)
                    ),
                    "include_object": _modelled,
                },
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "migrations and models disagree:\n" + _describe(diff)


def test_the_template_is_at_every_head_and_has_every_table(database_template: str) -> None:
    engine = make_null_pool_engine(_url(database_template))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            current = set(context.get_current_heads())
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert current == set(head_revisions())
    assert set(Base.metadata.tables) <= tables


def _condition(where: Any) -> str:
    """A partial index's condition, compared without case, spaces, quotes or parentheses
    (PostgreSQL gives its own back as `(restricted = true)`)."""
    return "".join(c for c in str(where).lower() if c not in ' \t\n"()')


def test_partial_indexes_have_the_models_conditions(database_template: str) -> None:
    """Alembic compares an index's columns, not the WHERE of a partial one: checked here."""
    engine = make_null_pool_engine(_url(database_template))
    try:
        option = f"{engine.dialect.name}_where"
        inspector = inspect(engine)
        reflected = {
            (table.name, index["name"]): _condition(index["dialect_options"][option])
            for table in Base.metadata.sorted_tables
            for index in inspector.get_indexes(table.name)
            if index.get("dialect_options", {}).get(option) is not None
        }
    finally:
        engine.dispose()
    modelled = {
        (table.name, index.name): _condition(index.dialect_kwargs[option])
        for table in Base.metadata.sorted_tables
        for index in table.indexes
        if index.dialect_kwargs.get(option) is not None
    }
    assert modelled, "the models have partial indexes"
    assert reflected == modelled
