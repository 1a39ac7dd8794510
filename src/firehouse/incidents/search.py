"""The `q` filter of the incident list: every typed word as a prefix of a word of the title or
summary, case-insensitive, through a full-text index (made by migration `core_0002`): an FTS5
table on SQLite, a GIN index over a tsvector expression on PostgreSQL. `INC-42` or `42` also
finds incident 42."""

from __future__ import annotations

from math import isqrt
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, false, func, or_, select, table, text
from sqlalchemy.orm import Session

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
# Rows a list page takes (50) plus one, in the cost model of `_walk_in_order` below.
_PAGE = 51

_fts = table(SQLITE_TABLE, column("rowid"))


def text_matches(session: Session, typed: str) -> ColumnElement[bool]:
    """A WHERE clause on Incident for what someone typed in the list's search box."""
    terms = words(typed)
    matches: list[ColumnElement[bool]] = []
    ref = typed.strip().upper().removeprefix("INC-")
    if ref.isdigit():
        matches.append(Incident.number == int(ref))
    if terms and session.get_bind().dialect.name == "sqlite":
        found = select(_fts.c.rowid).where(
            text(f"{SQLITE_TABLE} MATCH :match").bindparams(match=fts5_prefix_match(terms))
        )
        if _walk_in_order(session, found):
            # `id + 0` hides the term from the planner, which then walks the list's order
            # index and probes the matches, stopping at the page's last row.
            matches.append((Incident.id + 0).in_(found))
        else:
            matches.append(Incident.id.in_(found))
    elif terms:
        query = text(f"{_PG_QUERY_VECTOR} @@ to_tsquery('simple'::regconfig, :tsq)")
        # A match contains every word: this cheap test runs first, so walking incidents in
        # list order computes the tsvector only for rows that may match (23 us -> 2 us a row).
        document = func.lower(Incident.title + " " + Incident.summary)
        contains = [func.strpos(document, t.lower()) > 0 for t in terms]
        matches.append(and_(query.bindparams(tsq=tsquery_prefix(terms)), *contains))
    return or_(*matches) if matches else false()


def _walk_in_order(session: Session, found: Select[Any]) -> bool:
    """Whether the words are common enough that walking incidents in list order, keeping the
    matches, beats fetching every match and sorting them: with m matches among n incidents,
    a page walks about 51 * n / m rows against m lookups, so walk when m > sqrt(51 * n)."""
    n = session.scalar(select(func.max(Incident.id))) or 0
    threshold = isqrt(_PAGE * n)
    counted = select(func.count()).select_from(found.limit(threshold + 1).subquery())
    return (session.scalar(counted) or 0) > threshold
