"""Status page benchmark: the public page with 50 components and 90 days of history, and one
update to 10,000 email subscribers handed to a real SMTP server, each next to a peer measured
in the same run.

    .venv/bin/python bench/statuspage.py
    .venv/bin/python bench/statuspage.py --subscribers 2000 --requests 100
    .venv/bin/python bench/statuspage.py --mail-only
    .venv/bin/python bench/statuspage.py --page-only

Targets (issue 6): the page renders in <= 30 ms; an update to 10,000 email subscribers is
handed to the SMTP server within 60 s. The page's closed days of uptime are stored first, as
the engine does after midnight; a fresh render with none stored is measured too. Peers:
`/healthz` through the same server, and plain `smtplib` sending the same number of messages,
over one connection each and over one connection for all (the outbox reuses one connection per
batch)."""

from __future__ import annotations

import argparse
import http.client
import random
import smtplib
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import delete, insert

from firehouse.actor import Actor
from firehouse.app import create_app
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.notify import jobs as notify_jobs
from firehouse.settings import Settings
from firehouse.statuspage import jobs as status_jobs
from firehouse.statuspage import service as status
from firehouse.statuspage.models import (
    ComponentStatus,
    ComponentStatusChange,
    ComponentUptime,
    PublicStatus,
    Subscriber,
    SubscriberKind,
    SubscriberState,
)

SYSTEM = Actor.system("bench")
BAD = [
    ComponentStatus.degraded_performance,
    ComponentStatus.partial_outage,
    ComponentStatus.major_outage,
    ComponentStatus.under_maintenance,
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.sessions: dict[int, Any] = {}  # kept alive, so no id is reused
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            self.sessions[id(session)] = session
        return "250 OK"


def seed_page(db: Database, start: datetime, *, components: int, days: int) -> None:
    """50 components in 5 groups, a few outages a week each for `days` days, 20 incidents."""
    rng = random.Random(6)
    with db.session() as session:
        groups = [status.create_group(session, actor=SYSTEM, name=f"Group {g}") for g in range(5)]
        made = [
            status.create_component(
                session,
                actor=SYSTEM,
                name=f"Component {n}",
                description=f"What component {n} does for you",
                group_id=groups[n % 5].id,
            )
            for n in range(components)
        ]
        rows = []
        for component in made:
            at = start - timedelta(days=days)
            component.created_at = at
            rows.append({"component_id": component.id, "status": "operational", "started_at": at})
            while True:
                at += timedelta(hours=rng.uniform(24, 96))
                if at >= start:
                    break
                rows.append(
                    {"component_id": component.id, "status": rng.choice(BAD), "started_at": at}
                )
                at += timedelta(minutes=rng.uniform(5, 240))
                rows.append(
                    {"component_id": component.id, "status": "operational", "started_at": at}
                )
        session.execute(insert(ComponentStatusChange), rows)
        for n in range(20):
            status.open_public_incident(
                session,
                actor=SYSTEM,
                title=f"Elevated errors on component {n}",
                spec=status.Publication(
                    status=PublicStatus.resolved if n else PublicStatus.investigating,
                    body="Some requests **fail**; we are on it.",
                    notify=False,
                ),
                base_url="http://bench",
            )


@contextmanager
def serve(app: Any) -> Iterator[int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(5)


def timed_gets(port: int, path: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, (path, response.status, body[:200])
    conn.close()
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms"


def bench_page(workdir: Path, requests: int) -> list[tuple[str, str]]:
    start = datetime.now(UTC)
    db = Database(f"sqlite:///{workdir / 'page.db'}", clock=FrozenClock(start))
    db.migrate()
    seed_page(db, start, components=50, days=90)
    settings = Settings(database_url=db.url, log_level="error", auto_migrate=False)
    # the closed days' uptime, as the engine stores it after midnight
    Engine(db, jobs=status_jobs.jobs(settings), listen=False).run_until_idle()
    app = create_app(settings, database=db)

    def fresh() -> str:
        """Wall time, and CPU time of this process (server and client): on a busy machine the
        CPU time says what a request costs, the wall time also how long it waited."""
        times, cpu = [], []
        for _ in range(max(requests // 5, 5)):
            with db.session() as session:
                status.page(session, for_update=True).version += 1  # a change: cache miss
            started = time.process_time()
            times += timed_gets(port, "/status", 1)
            cpu.append((time.process_time() - started) * 1000)
        return f"{summary(times)}; CPU median {statistics.median(cpu):.1f} ms"

    with serve(app) as port:
        timed_gets(port, "/status", 10)  # warm up
        page = timed_gets(port, "/status", requests)
        health = timed_gets(port, "/healthz", requests)
        summary_json = timed_gets(port, "/status/api/summary.json", requests)
        cold = fresh()
        with db.session() as session:
            session.execute(delete(ComponentUptime))
        unstored = fresh()
    db.dispose()
    return [
        ("GET /status, 50 components x 90 days", summary(page)),
        ("GET /status right after a change (rendered afresh)", cold),
        ("... the same with no closed days stored (all 90 days walked from the changes)", unstored),
        ("GET /status/api/summary.json (same data)", summary(summary_json)),
        ("peer: GET /healthz, same server", summary(health)),
    ]


def bench_mail(workdir: Path, subscribers: int, engines: int) -> list[tuple[str, str]]:
    counter = Counter()
    smtp_port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        settings = Settings(
            database_url=f"sqlite:///{workdir / 'mail.db'}",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            log_level="error",
        )
        db = Database(settings.database_url)
        db.migrate()
        with db.session() as session:
            status.page(session, create=True)
            now = db.clock.now()
            session.execute(
                insert(Subscriber),
                [
                    {
                        "kind": SubscriberKind.email,
                        "target": f"reader{n}@example.com",
                        "state": SubscriberState.active,
                        "component_ids": [],
                        "secret": f"s{n:08d}",
                        "created_at": now,
                        "confirmed_at": now,
                        "confirm_sends": 1,
                    }
                    for n in range(subscribers)
                ],
            )
        started = time.perf_counter()
        with db.session() as session:
            status.open_public_incident(
                session,
                actor=SYSTEM,
                title="Payments are failing",
                spec=status.Publication(
                    status=PublicStatus.investigating, body="Some card payments fail."
                ),
                base_url="https://status.example.com",
            )
        enqueued = time.perf_counter() - started
        # several engines (as several processes would) claim disjoint batches
        threads = [
            threading.Thread(
                target=Engine(
                    db,
                    jobs=[*status_jobs.jobs(settings), *notify_jobs.jobs(settings)],
                    listen=False,
                ).run_until_idle,
                kwargs={"max_rounds": 10_000},
            )
            for _ in range(engines)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        handed = time.perf_counter() - started
        assert counter.count == subscribers, counter.count
        connections = len(counter.sessions)
        db.dispose()

        counter.count = 0
        raw_started = time.perf_counter()
        for n in range(subscribers):
            message = EmailMessage()
            message["From"] = "bench@example.com"
            message["To"] = f"reader{n}@example.com"
            message["Subject"] = "[Service status] Payments are failing: Investigating"
            message.set_content("Some card payments fail.\n\nUnsubscribe: https://x/y")
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
                client.send_message(message)
        raw = time.perf_counter() - raw_started
        assert counter.count == subscribers
        counter.count = 0
        reused_started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            for n in range(subscribers):
                message = EmailMessage()
                message["From"] = "bench@example.com"
                message["To"] = f"reader{n}@example.com"
                message["Subject"] = "[Service status] Payments are failing: Investigating"
                message.set_content("Some card payments fail.\n\nUnsubscribe: https://x/y")
                client.send_message(message)
        reused = time.perf_counter() - reused_started
        assert counter.count == subscribers
    finally:
        controller.stop()
    return [
        (
            f"publish to {subscribers:,} subscribers (the request's own transaction)",
            f"{enqueued:.2f} s",
        ),
        (
            f"... all {subscribers:,} handed to the SMTP server ({engines} engines: fan-out "
            "in batches of 100, then the outbox)",
            f"{handed:.1f} s ({connections} SMTP connections)",
        ),
        (f"peer: plain smtplib, {subscribers:,} messages, a connection each", f"{raw:.1f} s"),
        (f"peer: plain smtplib, {subscribers:,} messages, one connection", f"{reused:.1f} s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--engines", type=int, default=2, help="engine threads delivering")
    parser.add_argument("--mail-only", action="store_true", help="only the subscriber part")
    parser.add_argument("--page-only", action="store_true", help="only the page part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [] if args.mail_only else bench_page(Path(tmp), args.requests)
        if not args.page_only:
            rows += bench_mail(Path(tmp), args.subscribers, args.engines)
    print("| what | figure |")
    print("|---|---|")
    for what, figure in rows:
        print(f"| {what} | {figure} |")


if __name__ == "__main__":
    main()
