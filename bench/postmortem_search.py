"""Search benchmark: "we saw this before" across many postmortems and timelines, through the
full-text index (FTS5 on SQLite, GIN tsvector on PostgreSQL), next to a peer measured in the same
run: the same question as a case-insensitive substring scan (LIKE), what search would cost
without the index.

    .venv/bin/python bench/postmortem_search.py --incidents 2000 --entries 50
    BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/postmortem_search.py
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.engine import make_url

from firehouse.actor import Actor
from firehouse.bootstrap import ensure_defaults
from firehouse.clock import FrozenClock
from firehouse.db import Database, make_null_pool_engine, upgrade
from firehouse.incidents.models import Incident, IncidentType, Severity, Status, TimelineEntry
from firehouse.postmortems.models import Postmortem, PostmortemStatus
from firehouse.postmortems.service.search import search

START = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = [
    "database",
    "replica",
    "lag",
    "failover",
    "cache",
    "eviction",
    "timeout",
    "deploy",
    "rollback",
    "certificate",
    "expiry",
    "queue",
    "backlog",
    "consumer",
    "kafka",
    "partition",
    "dns",
    "resolver",
    "latency",
    "spike",
    "memory",
    "leak",
    "pod",
    "restart",
    "node",
    "drain",
    "disk",
    "pressure",
    "quota",
    "throttling",
    "retry",
    "storm",
    "connection",
    "pool",
    "exhausted",
    "index",
    "migration",
    "lock",
    "contention",
    "vacuum",
    "checkpoint",
    "cron",
    "job",
    "scheduler",
    "webhook",
    "payload",
    "billing",
    "ledger",
    "invoice",
    "checkout",
    "cart",
    "search",
    "cluster",
    "shard",
    "rebalance",
    "load",
    "balancer",
    "tls",
    "handshake",
]
FILLER = [f"w{i}" for i in range(20_000)]  # everyday words, Zipf-distributed
FILLER_CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(FILLER))))
QUERIES = ["replica lag", "certificate expiry", "connection pool exhausted", "ledger", "vacuum"]


def _text(rng: random.Random, words: int) -> str:
    """Mostly everyday words; now and then (5% of words) an incident-specific one."""
    chosen = rng.choices(FILLER, cum_weights=FILLER_CUMULATIVE, k=words)
    return " ".join(rng.choice(WORDS) if rng.random() < 0.05 else w for w in chosen)


def _populate(db: Database, incidents: int, entries: int, seed: int) -> None:
    rng = random.Random(seed)
    with db.session() as session:
        ensure_defaults(session)
        severity = session.scalar(select(Severity.id).order_by(Severity.rank))
        kind = session.scalar(select(IncidentType.id).where(IncidentType.key == "operational"))
        rows = [
            {
                "number": n,
                "title": _text(rng, 5),
                "summary": "",
                "type_id": kind,
                "severity_id": severity,
                "status": Status.resolved,
                "restricted": False,
                "customer_facing": False,
                "business_functions": [],
                "links": {},
                "declared_at": START + timedelta(hours=n),
                "created_at": START + timedelta(hours=n),
                "updated_at": START + timedelta(hours=n),
            }
            for n in range(1, incidents + 1)
        ]
        session.execute(insert(Incident), rows)
        ids = list(session.scalars(select(Incident.id).order_by(Incident.id)))
        for chunk in range(0, len(ids), 200):
            batch = []
            for incident_id in ids[chunk : chunk + 200]:
                at = START + timedelta(hours=incident_id)
                for i in range(entries):
                    batch.append(
                        {
                            "incident_id": incident_id,
                            "kind": "note",
                            "body": _text(rng, rng.randint(6, 30)),
                            "data": {},
                            "occurred_at": at + timedelta(minutes=i),
                            "recorded_at": at + timedelta(minutes=i),
                            "pinned": False,
                        }
                    )
            session.execute(insert(TimelineEntry), batch)
        session.execute(
            insert(Postmortem),
            [
                {
                    "incident_id": incident_id,
                    "template": "full_rca",
                    "status": PostmortemStatus.published,
                    "revision": 1,
                    "search_text": _text(rng, 400),
                    "customer_text": "",
                    "created_at": START,
                    "updated_at": START,
                }
                for incident_id in ids
            ],
        )


def _scan(db: Database, query: str) -> int:
    """The peer: every word as a case-insensitive substring of a timeline entry or postmortem."""
    words = query.split()
    with db.session(write=False) as session:
        in_timeline = select(TimelineEntry.incident_id).where(
            *[func.lower(TimelineEntry.body).like(f"%{w}%") for w in words]
        )
        in_postmortems = select(Postmortem.incident_id).where(
            *[func.lower(Postmortem.search_text).like(f"%{w}%") for w in words]
        )
        found = session.scalars(
            select(Incident.id).where(
                or_(Incident.id.in_(in_timeline), Incident.id.in_(in_postmortems))
            )
        )
        return len(found.all())


def _indexed(db: Database, actor: Actor, query: str) -> int:
    with db.session(write=False) as session:
        return len(search(session, actor=actor, query=query, limit=20))


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - began) * 1000)
    return runs


def _report(name: str, db: Database, repeat: int) -> None:
    actor = Actor.system("bench")
    with db.session(write=False) as session:
        entries = session.scalar(select(func.count(TimelineEntry.id)))
        incidents = session.scalar(select(func.count(Incident.id)))
    print(f"{name}: {incidents} incidents, {entries} timeline entries, {incidents} postmortems")
    for query in QUERIES:
        indexed = _timed(lambda q=query: _indexed(db, actor, q), repeat)
        scan = _timed(lambda q=query: _scan(db, q), max(3, repeat // 5))
        med, scan_med = statistics.median(indexed), statistics.median(scan)
        p95 = sorted(indexed)[max(0, int(len(indexed) * 0.95) - 1)]
        print(
            f"  {query!r:30} indexed median {med:7.1f} ms (p95 {p95:7.1f})"
            f"   LIKE scan {scan_med:8.1f} ms   {scan_med / med:6.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=50, help="timeline entries per incident")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    clock = FrozenClock(START + timedelta(days=400))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        engine = make_null_pool_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        db = Database(f"sqlite:///{path}", clock=clock)
        began = time.perf_counter()
        _populate(db, args.incidents, args.entries, seed=7)
        print(f"(SQLite: loaded with the FTS5 triggers in {time.perf_counter() - began:.1f} s)")
        _report("SQLite FTS5", db, args.repeat)
        db.dispose()
    pg = os.environ.get("BENCH_PG_URL")
    if pg:
        name = "fh_bench_search"
        admin = make_null_pool_engine(pg)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(pg).set(database=name).render_as_string(False)
        engine = make_null_pool_engine(url)
        upgrade(engine)
        engine.dispose()
        db = Database(url, clock=clock)
        _populate(db, args.incidents, args.entries, seed=7)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        _report("PostgreSQL GIN tsvector", db, args.repeat)
        db.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
