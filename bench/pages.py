"""How long the busiest pages take to render server-side, on SQLite.

    .venv/bin/python bench/pages.py [--requests 200]

Seeds a fresh SQLite database (in a temporary directory) with 200 open incidents (each with an
incident manager and a few timeline entries), 10,000 firing alerts when the alerts tables exist,
and one incident with 1,000 timeline entries (Markdown notes and status changes). Then it asks
the app, through Starlette's TestClient (in-process, no network), for:
- `/` (home, the single pane of glass) as an admin;
- `/incidents/INC-1` (the incident with 1,000 timeline entries; the page shows the newest 200
  with a link to all) and `/incidents/INC-1?timeline=all` (every entry on one page);
- peers in the same run: `/healthz` (routing, middleware, a database round trip) and `/login`
  (a trivial Jinja2 template through the same app), to read the pages as a ratio of them.
Prints p50 and p95 wall time and the process's mean CPU time per request (steadier than wall
time on a shared machine). Target: p95 <= 50 ms for both pages.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from firehouse.actor import Actor
from firehouse.app import create_app
from firehouse.auth import service as auth
from firehouse.auth.models import TokenScope
from firehouse.bootstrap import ensure_defaults
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.heap import freeze_startup_heap
from firehouse.incidents import service as incidents
from firehouse.incidents.service.lifecycle import Declaration
from firehouse.people import service as people
from firehouse.people.models import Role
from firehouse.settings import Settings

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


def seed(db: Database, clock: FrozenClock, *, alerts: int) -> tuple[str, str]:
    """Returns (admin token, how many alerts were seeded as text)."""
    system = Actor.system("bench")
    with db.session() as session:
        ensure_defaults(session)
        admin = people.create_user(
            session, actor=system, handle="ada", name="Ada", email="ada@example.com",
            role=Role.admin,
        )  # fmt: skip
        token = auth.create_token(
            session, actor=system, user_id=admin.id, name="bench", scope=TokenScope.read,
            expires_in=None,
        ).secret  # fmt: skip
    actor = Actor(user_id=admin.id, handle="ada", role=Role.admin)
    with db.session() as session:
        big = incidents.declare(
            session, actor=actor, spec=Declaration(title="Checkout errors", severity="SEV1")
        )
    for n in range(1000):
        clock.advance(timedelta(seconds=5))
        with db.session() as session:
            incidents.add_note(
                session,
                actor=actor,
                incident_ref=big.reference,
                body=f"Step {n}: error rate is **{n % 17}%**; see `deploy-{n}`.\n\n- one\n- two",
                pinned=n % 10 == 9,
            )
    with db.session() as session:
        for n in range(199):
            incident = incidents.declare(
                session,
                actor=actor,
                spec=Declaration(title=f"Incident {n}", severity=SEVERITIES[n % 4]),
            )
            if n % 3 == 0:
                incidents.transition(
                    session, actor=actor, incident_ref=incident.reference, action="acknowledge"
                )
            incidents.add_note(
                session, actor=actor, incident_ref=incident.reference, body="Looking."
            )
    return token, seed_alerts(db, alerts)


def _required(model: Any, now: datetime, n: int, **given: Any) -> dict[str, Any]:
    """Values for every NOT NULL column without a default (the alerts model is still moving)."""
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.primary_key or column.nullable or column.default is not None:
            continue
        if column.name in given:
            continue
        kind = column.type
        if isinstance(kind, sa.Enum) and kind.enum_class is not None:
            values[column.name] = next(iter(kind.enum_class))
        elif isinstance(kind, sa.String):
            values[column.name] = f"{column.name[: (kind.length or 8) - 8]}{n:08d}"[: kind.length]
        elif isinstance(kind, sa.Integer):
            values[column.name] = 0
        elif isinstance(kind, sa.JSON):
            values[column.name] = {}
        elif isinstance(kind, sa.Boolean):
            values[column.name] = False
        else:
            values[column.name] = now
    return {**values, **given}


def seed_alerts(db: Database, count: int) -> str:
    """Firing alerts straight into the alerts table, when that domain exists."""
    try:
        from firehouse.alerts.models import Alert, Integration
    except ImportError:
        return "0 (no alerts domain)"
    try:
        with db.session() as session:
            now = db.clock.now()
            integration = Integration(**_required(Integration, now, 0, name="bench"))
            session.add(integration)
            session.flush()
            status = Alert.__table__.c.status.type.enum_class
            firing = next(iter(status)) if status else "triggered"
            session.add_all(
                Alert(
                    **_required(
                        Alert,
                        now,
                        n,
                        integration_id=integration.id,
                        status=firing,
                        summary=f"Disk {n} almost full",
                        labels={"host": f"h{n}"},
                    )
                )
                for n in range(count)
            )
    except Exception as exc:  # the alerts model is not what this bench expects yet
        return f"0 (could not seed: {type(exc).__name__}: {exc})"[:200]
    return str(count)


def measure(call: Callable[[], object], n: int) -> tuple[float, float, float]:
    """p50 and p95 wall time, and the mean CPU time of the process per request, in ms."""
    for _ in range(5):
        call()
    times = []
    cpu_start = time.process_time()
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000 / n
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        clock = FrozenClock(START)
        db = Database(url, clock=clock, sqlite_synchronous="NORMAL")
        db.migrate()
        seed_started = time.perf_counter()
        token, alerts = seed(db, clock, alerts=10_000)
        seeded = time.perf_counter() - seed_started
        settings = Settings(database_url=url, log_level="error", auto_migrate=False)
        app = create_app(settings, database=db)
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:

            def get(path: str, auth: bool = True) -> Callable[[], object]:
                def call() -> object:
                    response = client.get(path, headers=headers if auth else {})
                    assert response.status_code == 200, (path, response.status_code)
                    return response

                return call

            home_size = len(client.get("/", headers=headers).content)
            page_size = len(client.get("/incidents/INC-1", headers=headers).content)
            all_size = len(client.get("/incidents/INC-1?timeline=all", headers=headers).content)
            freeze_startup_heap()  # as `firehouse serve` does before it listens
            n = args.requests
            rows = [
                ("/ (home, 200 open incidents)", measure(get("/"), n)),
                ("/incidents/INC-1 (newest 200 of 1,000)", measure(get("/incidents/INC-1"), n)),
                ("/incidents/INC-1?timeline=all", measure(get("/incidents/INC-1?timeline=all"), n)),
                ("peer /healthz", measure(get("/healthz", auth=False), n)),
                ("peer /login (trivial template)", measure(get("/login", auth=False), n)),
            ]
        db.dispose()
    login = rows[-1][1]
    print(f"seeded in {seeded:.1f} s: 200 open incidents, {alerts} firing alerts, 1,000 entries")
    print(
        f"pages: home {home_size // 1024} KiB, incident {page_size // 1024} KiB, "
        f"incident with every entry {all_size // 1024} KiB"
    )
    print(f"{'page':40} {'p50 ms':>7} {'p95 ms':>7} {'cpu ms':>7} {'p95/peer':>9}")
    for name, (p50, p95, cpu) in rows:
        print(f"{name:40} {p50:7.1f} {p95:7.1f} {cpu:7.1f} {p95 / login[1]:9.1f}")
    print(f"command: .venv/bin/python bench/pages.py --requests {args.requests}")


if __name__ == "__main__":
    main()
