"""Full-text search over postmortems and incident timelines: FTS5 on SQLite, tsvector with GIN
indexes on PostgreSQL (both made by the postmortems migration). Restricted incidents stay
invisible to those who may not see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, column, func, literal, literal_column, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause, TextClause

from firehouse.actor import Actor
from firehouse.errors import Invalid
from firehouse.fulltext import words as words_of
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident, TimelineEntry
from firehouse.postmortems.models import Postmortem

MAX_QUERY = 200
_fts = table("search_fts", column("rowid"), column("incident_id"), column("source"), column("body"))
_ENGLISH: ColumnClause[Any] = literal_column("'english'::regconfig")
# the migration's generated tsvector column (PostgreSQL only, so not on the model)
_STORED: ColumnClause[Any] = literal_column("postmortems.search_tsv")
_HEADLINE = "StartSel=**, StopSel=**, MaxWords=24, MinWords=8, MaxFragments=1"


@dataclass(frozen=True)
class Row:
    incident_id: int
    source: str
    snippet: str
    rank: float


@dataclass(frozen=True)
class Hit:
    incident: Incident
    source: str  # "postmortem" or "timeline"
    snippet: str
    rank: float


def _terms(query: str) -> list[str]:
    if len(query) > MAX_QUERY:
        raise Invalid(f"a search is at most {MAX_QUERY} characters", field="q")
    words = words_of(query)
    if not words:
        raise Invalid("search for at least one word", field="q")
    return words


def _sqlite(session: Session, actor: Actor, words: list[str], limit: int) -> list[Row]:
    match = " ".join(f'"{w}"' for w in words)

    def matching() -> TextClause:
        return text("search_fts MATCH :match").bindparams(match=match)

    best = (
        select(_fts.c.rowid)
        .select_from(_fts)
        .join(Incident, Incident.id == _fts.c.incident_id)
        .where(matching(), incidents.visible_to(actor))
        .order_by(literal_column("rank"))
        .limit(limit * 3)
    )
    order = {rowid: i for i, rowid in enumerate(session.scalars(best))}
    if not order:
        return []
    # snippets only for the best rows (the sorter would otherwise make one for every match)
    rows = session.execute(
        select(
            _fts.c.rowid,
            _fts.c.incident_id,
            _fts.c.source,
            func.snippet(literal_column("search_fts"), 2, "**", "**", "…", 16),
        ).where(matching(), _fts.c.rowid.in_(list(order)))
    ).all()
    found = [Row(int(r[1]), str(r[2]), str(r[3]), float(order[r[0]])) for r in rows]
    return sorted(found, key=lambda r: r.rank)


def _postgres(session: Session, actor: Actor, words: list[str], limit: int) -> list[Row]:
    tsquery = func.plainto_tsquery(_ENGLISH, " ".join(words))
    sources: dict[str, tuple[Any, Any, Any, Any]] = {
        "timeline": (
            TimelineEntry,
            TimelineEntry.body,
            TimelineEntry.incident_id,
            func.to_tsvector(_ENGLISH, TimelineEntry.body),
        ),
        "postmortem": (Postmortem, Postmortem.search_text, Postmortem.incident_id, _STORED),
    }
    ranked = []
    for name, (model, _, incident_id, vector) in sources.items():
        ranked.append(
            select(
                model.id.label("id"),
                literal(name, String).label("source"),
                (-func.ts_rank(vector, tsquery)).label("rank"),
            )
            .join(Incident, Incident.id == incident_id)
            .where(vector.op("@@")(tsquery), incidents.visible_to(actor))
        )
    both = ranked[0].union_all(ranked[1]).subquery()
    best = session.execute(select(both).order_by(both.c.rank).limit(limit * 3)).all()
    found: list[Row] = []
    for name, (model, body, incident_id, _) in sources.items():
        ranks = {r.id: float(r.rank) for r in best if r.source == name}
        if not ranks:
            continue
        headlines = session.execute(
            select(
                model.id, incident_id, func.ts_headline(_ENGLISH, body, tsquery, _HEADLINE)
            ).where(model.id.in_(list(ranks)))
        ).all()
        found += [Row(int(h[1]), name, str(h[2]), ranks[h[0]]) for h in headlines]
    return sorted(found, key=lambda r: r.rank)


def search(session: Session, *, actor: Actor, query: str, limit: int = 20) -> list[Hit]:
    """The best match per incident and source, best first."""
    words = _terms(query)
    dialect = session.get_bind().dialect.name
    rows = (_postgres if dialect == "postgresql" else _sqlite)(session, actor, words, limit)
    best: dict[tuple[int, str], Row] = {}
    for row in rows:
        best.setdefault((row.incident_id, row.source), row)
    chosen = list(best.values())[:limit]
    found = {
        i.id: i
        for i in session.scalars(
            select(Incident).where(Incident.id.in_({r.incident_id for r in chosen}))
        )
    }
    return [
        Hit(found[r.incident_id], r.source, " ".join(str(r.snippet).split()), float(r.rank))
        for r in chosen
        if r.incident_id in found
    ]
