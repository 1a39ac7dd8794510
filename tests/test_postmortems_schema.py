"""The postmortems migration makes exactly the tables the models describe, plus the search
index (FTS5 on SQLite, GIN tsvector indexes on PostgreSQL) that no model describes."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import firehouse.models  # noqa: F401  (registers every table)
from firehouse.db import Base, Database
from firehouse.postmortems.models import SEARCH_INDEX_OBJECTS, include_object

MINE = {
    "postmortems",
    "postmortem_sections",
    "postmortem_reviewers",
    "postmortem_revisions",
    "retrospectives",
    "action_items",
}


def _diff(database: Database, hook: Any) -> list[Any]:
    def only_mine(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        if table not in MINE and name not in SEARCH_INDEX_OBJECTS:
            return False
        return hook(obj, name, type_, reflected, other) if hook else True

    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": only_mine}
        )
        return list(compare_metadata(context, Base.metadata))


def test_the_models_and_the_migration_agree(database: Database) -> None:
    assert _diff(database, include_object) == []


def test_the_search_index_exists_and_is_what_the_hook_leaves_out(database: Database) -> None:
    names = set()
    for change in _diff(database, None):
        if change[0] == "remove_column":  # (op, schema, table, column)
            names.add(change[3].name)
        else:
            assert change[0] in ("remove_table", "remove_index"), change
            names.add(change[1].name)
    assert names
    assert names <= SEARCH_INDEX_OBJECTS
