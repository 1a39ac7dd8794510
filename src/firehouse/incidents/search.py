"""The `q` filter of the incident list: every typed word as a prefix of a word of the title or
summary, case-insensitive, through a full-text index (made by migration `core_0002`): an FTS5
table on SQLite, a GIN index over a tsvector expression on PostgreSQL. `INC-42` or `42` also
finds incident 42."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, column, false, or_, select, table, text

from firehouse.fulltext import fts5_prefix_match, tsquery_prefix, words
from firehouse.incidents.models import Incident

SQLITE_TABLE = "incidents_fts"
PG_INDEX = "ix_incidents_fts"
# The query below must repeat this expression exactly for PostgreSQL to use the index.
PG_VECTOR = "to_tsvector('simple'::regconfig, title::text || ' ' || summary)"
# The same expression with the columns qualified (the list joins other tables).
_PG_QUERY_VECTOR = PG_VECTOR.replace("title", "incidents.title").replace(
    "summary", "incidents.summary"
)
# Made by the migration with raw SQL, not described by the models.
SEARCH_OBJECTS = frozenset({SQLITE_TABLE, PG_INDEX})

_fts = table(SQLITE_TABLE, column("rowid"))


def text_matches(typed: str, dialect: str) -> ColumnElement[bool]:
    """A WHERE clause on Incident for what someone typed in the list's search box."""
    terms = words(typed)
    matches: list[ColumnElement[bool]] = []
    ref = typed.strip().upper().removeprefix("INC-")
    if ref.isdigit():
        matches.append(Incident.number == int(ref))
    if terms and dialect == "sqlite":
        found = select(_fts.c.rowid).where(
            text(f"{SQLITE_TABLE} MATCH :match").bindparams(match=fts5_prefix_match(terms))
        )
        matches.append(Incident.id.in_(found))
    elif terms:
        query = text(f"{_PG_QUERY_VECTOR} @@ to_tsquery('simple'::regconfig, :tsq)")
        matches.append(and_(query.bindparams(tsq=tsquery_prefix(terms))))
    return or_(*matches) if matches else false()
