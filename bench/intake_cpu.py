"""CPU per alert request inside one process, no network: what firehouse's own request path and
committer cost, next to a bare ASGI app called the same way (the peer).

    .venv/bin/python bench/intake_cpu.py
    .venv/bin/python bench/intake_cpu.py --requests 20000

Calls the real app (`create_app`, SQLite in a temporary directory, the committer in a thread of
this process) with in-memory ASGI messages and reads `time.process_time()` (CPU of every thread)
around each load:

1. repeat single: one alert a request, each a repeat of one of 1,000 open alerts;
2. repeat batch: 100 such alerts a request;
3. new batch: 100 new alerts a request (the committer's work included, one request a
   transaction, as in a storm's worst case).

`bench/ingest.py` measures the same over HTTP against Alertmanager; this one says where the CPU
goes without the load generator sharing the machine. The peer, a bare ASGI app called the same
way, is what the harness itself costs."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def alert(name: str) -> dict[str, Any]:
    return {
        "labels": {
            "alertname": "Bench",
            "service": "bench",
            "severity": "warning",
            "instance": name,
        },
        "annotations": {"summary": f"bench alert {name}"},
    }


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def call(app: App, key: str, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v2/alerts",
        "raw_path": b"/api/v2/alerts",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def cpu_per_request(app: App, key: str, bodies: list[bytes]) -> float:
    started = time.process_time()
    for body in bodies:
        status = await call(app, key, body)
        if status != 200:
            raise SystemExit(f"the app answered {status}")
    return (time.process_time() - started) / len(bodies) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="single-alert requests")
    args = parser.parse_args()
    os.environ.setdefault("FIREHOUSE_ADMIN_PASSWORD", "bench-admin-password")
    from firehouse.actor import Actor
    from firehouse.alerts.service import integrations
    from firehouse.app import create_app, make_database, prepare_database
    from firehouse.heap import freeze_startup_heap
    from firehouse.settings import Settings

    workdir = tempfile.mkdtemp(prefix="fh-bench-intake-cpu-")
    settings = Settings(
        database_url=f"sqlite:///{workdir}/firehouse.db",
        intake_writer="thread",
        log_level="warning",
    )
    db = make_database(settings)
    prepare_database(db, settings)
    with db.session() as session:
        key = integrations.create_integration(
            session, actor=Actor.system("bench"), name="bench", type="alertmanager"
        ).key
    app = create_app(settings, database=db)
    freeze_startup_heap()  # as `firehouse serve` does before it listens
    rng = random.Random(7)
    pool = [f"pool-{i}" for i in range(1000)]
    batches = max(args.requests // 50, 40)
    results: list[tuple[str, float, float]] = []
    async with app.router.lifespan_context(app):
        for start in range(0, len(pool), 100):
            await call(app, key, orjson.dumps([alert(n) for n in pool[start : start + 100]]))
        single = [orjson.dumps([alert(rng.choice(pool))]) for _ in range(args.requests)]
        batch = [
            orjson.dumps([alert(rng.choice(pool)) for _ in range(100)]) for _ in range(batches)
        ]
        new = [
            orjson.dumps([alert(f"new-{b}-{i}") for i in range(100)]) for b in range(batches // 4)
        ]
        await cpu_per_request(app, key, single[:1000])  # warm caches and code paths
        await cpu_per_request(bare, key, single[:1000])
        for name, bodies in (("repeat single", single), ("repeat batch of 100", batch)):
            results.append(
                (
                    name,
                    await cpu_per_request(app, key, bodies),
                    await cpu_per_request(bare, key, bodies),
                )
            )
        results.append(("new batch of 100", await cpu_per_request(app, key, new), 0.0))
    print(
        f"\nCPU per request in one process ({sys.executable} {' '.join(sys.argv)}; "
        f"{os.cpu_count()} CPUs)\n"
    )
    print(
        "| load | firehouse us/request | the harness alone (bare ASGI app) | firehouse us/alert |"
    )
    print("|---|---:|---:|---:|")
    for name, ours, peer in results:
        per_alert = ours / (1 if name == "repeat single" else 100)
        peer_text = f"{peer:,.0f}" if peer else "-"
        print(f"| {name} | {ours:,.0f} | {peer_text} | {per_alert:,.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
