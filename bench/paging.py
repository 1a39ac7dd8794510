"""Paging benchmark: alert in -> page accepted by an SMTP server, and escalation timer precision.

    .venv/bin/python bench/paging.py               # firehouse on SQLite
    .venv/bin/python bench/paging.py --postgres    # firehouse on PostgreSQL (local, postgres user)

Starts `firehouse serve` (engine inside) on loopback, with an aiosmtpd SMTP server in this
process, then:

First 10,000 (--in-flight) escalations are put in flight, each with its open incident, and the
engine is given time to take those incidents up; then both measures run at the same time:

1. trigger to first notification: while a thread posts 100 alerts/s of background intake
   (repeats of 500 open alerts, on an integration whose incidents page nobody), a new alert
   every 250 ms on an integration whose service has an escalation policy. Latency is from just
   before the alert's POST to the SMTP server accepting the page. Target: p99 <= 1 s.
   Peer, same run: a raw smtplib send (connect, send, quit) to the same SMTP server.
2. escalation timers: the escalations in flight (inserted directly, each waiting for its
   second step, due times spread over the next --spread seconds); for the steps that come due
   while pages are measured, the lag between the due time and the step firing (its timeline entry).
   Target: within 1 s. Peer, same run: a Python thread sleeping until each due time (the floor
   any timer can reach on this machine).
"""

from __future__ import annotations

import argparse
import email
import os
import random
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

PY = sys.executable
BACKGROUND_POOL = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Inbox:
    """An aiosmtpd handler noting when each message was accepted, by subject."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()

    def subjects(self) -> list[str]:
        with self.lock:
            return list(self.accepted)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.perf_counter()
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.count += 1
            self.accepted.setdefault(str(message["Subject"]), now)
        return "250 OK"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"p50 {pct(values, 50) * 1000:.0f} ms, p95 {pct(values, 95) * 1000:.0f} ms, "
        f"p99 {pct(values, 99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms (n={len(values)})"
    )


def postgres_url(name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


PAGING_ONLY_WORKER = """
import threading
from firehouse.app import make_database
from firehouse.engine import Engine
from firehouse.escalation import jobs as escalation_jobs
from firehouse.notify import jobs as notify_jobs
from firehouse.settings import Settings
settings = Settings()
engine = Engine(make_database(settings), watch_sqlite=True,
                jobs=[*escalation_jobs.jobs(settings), *notify_jobs.jobs(settings)])
engine.start()
threading.Event().wait()
"""


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise SystemExit(f"firehouse serve exited; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("firehouse serve did not become ready")
        time.sleep(0.1)


@contextmanager
def serving(env: dict[str, str], port: int, log: Path, paging_only: bool) -> Iterator[None]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        with log.open("ab") as out:
            serve = [PY, "-m", "firehouse", "serve"] + (["--no-engine"] if paging_only else [])
            started.append(subprocess.Popen(serve, env=env, stdout=out, stderr=subprocess.STDOUT))
            _wait_ready(started[0], port, log)
            if paging_only:
                started.append(
                    subprocess.Popen(
                        [PY, "-c", PAGING_ONLY_WORKER],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
                time.sleep(3)  # let it import and start
        yield
    finally:
        for process in started:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def setup(http: httpx.Client) -> tuple[str, str, int]:
    """An on-call person, a service with a policy, and two integrations: `bench` pages through
    the service's policy, `noise` opens incidents that page nobody."""

    def ok(response: httpx.Response) -> Any:
        if response.status_code >= 300:
            raise SystemExit(f"{response.request.url}: {response.status_code} {response.text}")
        return response.json()

    for handle in ("oncall", "second"):
        ok(
            http.post(
                "/api/v1/users",
                json={
                    "handle": handle,
                    "name": handle.title(),
                    "email": f"{handle}@example.com",
                    "role": "responder",
                },
            )
        )
    ok(http.post("/api/v1/services", json={"slug": "bench", "name": "Bench"}))
    policy = ok(
        http.post(
            "/api/v1/escalation-policies",
            json={
                "name": "Bench",
                "steps": [
                    {"delay_minutes": 30, "targets": [{"type": "user", "user": "oncall"}]},
                    {"delay_minutes": 30, "targets": [{"type": "user", "user": "second"}]},
                ],
            },
        )
    )
    ok(http.put("/api/v1/services/bench/escalation-policy", json={"policy_id": policy["id"]}))
    bench = ok(
        http.post(
            "/api/v1/integrations",
            json={"name": "bench", "type": "generic", "service": "bench"},
        )
    )
    noise = ok(http.post("/api/v1/integrations", json={"name": "noise", "type": "generic"}))
    return bench["key"], noise["key"], int(policy["id"])


def background(base: str, key: str, rate: float, stop: threading.Event, out: list[float]) -> None:
    """`rate` alerts a second, repeats of a pool of open alerts (dedup, no new incidents)."""
    interval = 1 / rate
    with httpx.Client(base_url=base, timeout=30) as http:
        i = 0
        next_at = time.perf_counter()
        while not stop.is_set():
            body = {
                "summary": f"noise {i % BACKGROUND_POOL}",
                "dedup_key": f"noise-{i % BACKGROUND_POOL}",
                "severity": "warning",
            }
            started = time.perf_counter()
            response = http.post(f"/integrations/{key}/generic", json=body)
            out.append(time.perf_counter() - started)
            if response.status_code >= 300:
                print(f"background alert: {response.status_code} {response.text[:200]}")
            i += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))


@dataclass
class Trigger:
    latencies: list[float]  # alert POST sent -> page accepted by SMTP
    posts: list[float]  # the alert POST (a new incident) until answered
    after: list[float]  # POST answered -> page accepted by SMTP
    intake: list[float]  # background POSTs
    missing: int


def open_pool(base: str, noise_key: str) -> None:
    """The background intake's pool of open alerts, opened before anything is measured."""
    with httpx.Client(base_url=base, timeout=60) as http:
        for start in range(0, BACKGROUND_POOL, 100):
            alerts = [
                {"summary": f"noise {i}", "dedup_key": f"noise-{i}", "severity": "warning"}
                for i in range(start, start + 100)
            ]
            http.post(f"/integrations/{noise_key}/generic", json={"alerts": alerts})


def trigger_to_page(
    base: str, bench_key: str, noise_key: str, inbox: Inbox, seconds: float
) -> Trigger:
    with httpx.Client(base_url=base, timeout=30) as http:
        stop = threading.Event()
        intake: list[float] = []
        thread = threading.Thread(target=background, args=(base, noise_key, 100, stop, intake))
        thread.start()
        sent: dict[str, float] = {}
        answered: dict[str, float] = {}
        try:
            end = time.perf_counter() + seconds
            i = 0
            while time.perf_counter() < end:
                title = f"measure {i} checkout down"
                sent[title] = time.perf_counter()
                response = http.post(
                    f"/integrations/{bench_key}/generic",
                    json={"summary": title, "dedup_key": f"m-{i}", "severity": "critical"},
                )
                if response.status_code >= 300:
                    raise SystemExit(f"alert: {response.status_code} {response.text}")
                answered[title] = time.perf_counter()
                i += 1
                time.sleep(0.25)
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline and not all(
                any(t in s for s in inbox.subjects()) for t in sent
            ):
                time.sleep(0.05)
        finally:
            stop.set()
            thread.join()
    latencies, posts, after = [], [], []
    missing = 0
    for title, started in sent.items():
        with inbox.lock:
            accepted = next((v for s, v in inbox.accepted.items() if title in s), None)
        if accepted is None:
            missing += 1
        else:
            latencies.append(accepted - started)
            posts.append(answered[title] - started)
            after.append(accepted - answered[title])
    return Trigger(latencies, posts, after, intake, missing)


def smtplib_peer(port: int, n: int = 200) -> list[float]:
    out = []
    for i in range(n):
        message = EmailMessage()
        message["From"] = "peer@example.com"
        message["To"] = "peer@example.com"
        message["Subject"] = f"peer {i}"
        message.set_content("peer")
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
        out.append(time.perf_counter() - started)
    return out


def insert_escalations(url: str, policy_id: int, n: int, spread: float) -> dict[int, datetime]:
    """`n` incidents, each with an escalation that paged step 1 and waits for step 2."""
    from sqlalchemy import select, update

    from firehouse.db import Database
    from firehouse.escalation.models import Escalation, EscalationPolicy, EscalationState
    from firehouse.escalation.service.policies import policy_snapshot
    from firehouse.incidents.models import Counter, Incident, IncidentType, Severity, Status

    db = Database(url)
    due: dict[int, datetime] = {}
    now = datetime.now(UTC)
    with db.session() as session:
        policy = session.get(EscalationPolicy, policy_id)
        assert policy is not None
        snapshot = policy_snapshot(session, policy)
        type_id = session.scalar(select(IncidentType.id).where(IncidentType.key == "operational"))
        severity_id = session.scalar(select(Severity.id).where(Severity.key == "SEV3"))
        first = session.scalar(select(Counter.value).where(Counter.name == "incident")) or 0
        incidents = [
            Incident(
                number=first + i + 1,
                title=f"in flight {i}",
                type_id=type_id,
                severity_id=severity_id,
                status=Status.triggered,
                declared_at=now,
                created_at=now,
                updated_at=now,
            )
            for i in range(n)
        ]
        session.add_all(incidents)
        session.flush()
        session.execute(update(Counter).where(Counter.name == "incident").values(value=first + n))
        start = now + timedelta(seconds=5)  # those due before the insert is done are skipped
        rows = []
        for incident in incidents:
            when = start + timedelta(seconds=random.uniform(0, spread))
            rows.append(
                Escalation(
                    incident_id=incident.id,
                    policy_id=policy_id,
                    policy_name=policy.name,
                    snapshot=snapshot,
                    urgency="high",
                    reason="bench",
                    state=EscalationState.paging,
                    step_index=1,
                    round=0,
                    reescalations=0,
                    reescalating=False,
                    next_action_at=when,
                    started_at=now,
                )
            )
        session.add_all(rows)
        session.flush()
        due = {row.id: row.next_action_at for row in rows if row.next_action_at is not None}
    db.dispose()
    return due


def settle(url: str, n: int, limit: float = 180) -> float:
    """Seconds until the engine has caught up with `n` new open incidents (each has its
    stakeholder-update timer), so what follows measures a steady state, not the burst."""
    from sqlalchemy import func, select

    from firehouse.db import Database
    from firehouse.updates.models import UpdateCadence

    db = Database(url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < limit:
            with db.session(write=False) as session:
                if (session.scalar(select(func.count()).select_from(UpdateCadence)) or 0) >= n:
                    break
            time.sleep(0.5)
    finally:
        db.dispose()
    return time.perf_counter() - started


def step_lags(url: str, due: dict[int, datetime], until: datetime) -> tuple[list[float], int]:
    from sqlalchemy import select

    from firehouse.db import Database
    from firehouse.incidents.models import TimelineEntry

    db = Database(url)
    fired: dict[int, datetime] = {}
    with db.session(write=False) as session:
        for entry in session.scalars(
            select(TimelineEntry).where(TimelineEntry.kind == "escalation")
        ):
            data = entry.data or {}
            if data.get("event") == "step" and data.get("escalation_id") in due:
                fired[int(data["escalation_id"])] = entry.recorded_at
    db.dispose()
    lags, missed = [], 0
    for escalation_id, when in due.items():
        if when > until:
            continue
        if escalation_id in fired:
            lags.append((fired[escalation_id] - when).total_seconds())
        else:
            missed += 1
    return lags, missed


def sleeper_peer(due: list[datetime]) -> list[float]:
    """The floor: one thread sleeping until each due time in turn."""
    lags = []
    for when in sorted(due):
        wait = (when - datetime.now(UTC)).total_seconds()
        if wait > 0:
            time.sleep(wait)
        lags.append((datetime.now(UTC) - when).total_seconds())
    return lags


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="firehouse on PostgreSQL")
    parser.add_argument("--seconds", type=float, default=30, help="length of each measurement")
    parser.add_argument("--in-flight", type=int, default=10_000, help="escalations in flight")
    parser.add_argument("--spread", type=float, default=600, help="due times spread, seconds")
    parser.add_argument(
        "--paging-only",
        action="store_true",
        help="serve --no-engine plus a worker running only the escalation and delivery jobs",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fh-bench-paging-"))
    url = postgres_url("fh_bench_paging") if args.postgres else f"sqlite:///{workdir / 'fh.db'}"
    inbox = Inbox()
    smtp_port, port = free_port(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {
        **os.environ,
        "FIREHOUSE_DATABASE_URL": url,
        "FIREHOUSE_PORT": str(port),
        "FIREHOUSE_ADMIN_PASSWORD": "bench-admin-password",
        "FIREHOUSE_LOG_LEVEL": "warning",
        "FIREHOUSE_SMTP_HOST": "127.0.0.1",
        "FIREHOUSE_SMTP_PORT": str(smtp_port),
        "FIREHOUSE_NOTIFY_PER_MINUTE": "100000",
    }
    subprocess.run([PY, "-m", "firehouse", "db", "upgrade"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    token = subprocess.run(
        [PY, "-m", "firehouse", "token", "create", "--user", "admin", "--scope", "write"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    base = f"http://127.0.0.1:{port}"
    try:
        with serving(env, port, workdir / "serve.log", args.paging_only):
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
                bench_key, noise_key, policy_id = setup(http)
            open_pool(base, noise_key)
            due = insert_escalations(url, policy_id, args.in_flight, args.spread)
            # written by this process: one more page wakes the engine's escalation job
            httpx.post(
                f"{base}/integrations/{bench_key}/generic",
                json={"summary": "after the insert", "dedup_key": "after-insert"},
                timeout=120,
            )
            # the paging-only worker runs no cadence job: nothing to wait for
            settled = 0.0 if args.paging_only else settle(url, args.in_flight)
            # pages are measured while the in-flight escalations' steps come due
            window_start = datetime.now(UTC) + timedelta(seconds=2)
            window_end = window_start + timedelta(seconds=args.seconds)
            measured = {k: v for k, v in due.items() if window_start <= v <= window_end}
            floor: list[float] = []
            sleeper = threading.Thread(
                target=lambda: floor.extend(sleeper_peer(list(measured.values())))
            )
            sleeper.start()
            time.sleep(2)
            trigger = trigger_to_page(base, bench_key, noise_key, inbox, args.seconds)
            sleeper.join()
            time.sleep(2)
            lags, missed = step_lags(url, measured, window_end)
            peer = smtplib_peer(smtp_port)
    finally:
        controller.stop()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    where = (
        "serve --no-engine + paging-only worker" if args.paging_only else "serve (engine inside)"
    )
    print(f"\nPaging, firehouse {where} on {backend}, {os.cpu_count()} CPUs")
    print(f"{args.in_flight} escalations (and open incidents) in flight during both measures;")
    if not args.paging_only:
        print(f"the engine took {settled:.1f} s to take up the {args.in_flight} new incidents")
    print()
    print("trigger -> page accepted by SMTP, with 100 alerts/s background intake:")
    latencies, intake = trigger.latencies, trigger.intake
    print(f"  firehouse:        {summary(latencies)}, never paged: {trigger.missing}")
    print(f"    alert POST:     {summary(trigger.posts)}")
    print(f"    then to SMTP:   {summary(trigger.after)}")
    print(f"  peer (smtplib):   {summary(peer)}")
    print(f"  background POSTs: {summary(intake)} ({len(intake) / args.seconds:.0f}/s)")
    met = latencies and pct(latencies, 99) <= 1.0 and not trigger.missing
    verdict = "met" if met else "NOT met"
    print(f"  target p99 <= 1 s: {verdict}")
    print(f"\nescalation steps due in {args.seconds:.0f} s, {args.in_flight} in flight:")
    print(f"  firehouse lag:    {summary(lags)}, not fired: {missed}")
    print(f"  peer (sleeper):   {summary(floor)}")
    late = sum(1 for lag in lags if lag > 1.0)
    print(f"  within 1 s of due: {len(lags) - late}/{len(lags)}")
    print(f"  mean lag {statistics.mean(lags) * 1000:.0f} ms" if lags else "")
    print(f"\nSMTP messages accepted: {inbox.count}; logs in {workdir}")


if __name__ == "__main__":
    main()
