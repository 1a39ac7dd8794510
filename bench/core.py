"""Core footprint benchmark: start-up, idle memory, CLI latency and incident-list latency at
100,000 incidents, each next to a peer measured in the same run.

    make bench                     # all of it (SQLite, and PostgreSQL when reachable)
    .venv/bin/python bench/core.py --incidents 20000 --skip-pg
    BENCH_PG_URL=postgresql+psycopg://USER@HOST:5432/postgres .venv/bin/python bench/core.py
    .venv/bin/python bench/core.py --skip-pg --runs 1 --cli-runs 0 --reuse /tmp/fh-bench-data

Targets (issue 2): ready <= 2 s on an empty SQLite database, idle RSS <= 150 MB, `firehouse
incident list` <= 300 ms, an API list page <= 50 ms at 100,000 incidents. Prints a Markdown
table to paste into docs/performance.md."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

PY = sys.executable
ADMIN_PASSWORD = "bench-admin-password"  # noqa: S105 (a throwaway database)
HELLO_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/readyz")
def ready() -> dict[str, str]:
    return {"status": "ready"}
"""
# The list requests the API page benchmark cycles through: what a responder filters by.
QUERIES: list[dict[str, Any]] = [
    {},
    {"status": ["triggered", "acknowledged", "mitigated"]},
    {"severity": "SEV1"},
    {"severity": ["SEV1", "SEV2"], "status": "resolved"},
    {"type": "security"},
    {"sort": "-updated_at"},
    {"sort": "severity"},
    {"q": "checkout"},
    {"q": "no such words"},
    {"kind": "drill"},
    {"declared_after": "2026-01-01T00:00:00Z", "status": "closed"},
]


DETAIL: list[str] = []


@dataclass
class Row:
    what: str
    ours: float
    peer: float
    peer_name: str
    unit: str
    target: str

    def line(self) -> str:
        ratio = self.ours / self.peer if self.peer else float("nan")
        return (
            f"| {self.what} | {self.ours:.1f} {self.unit} | {self.peer_name}: "
            f"{self.peer:.1f} {self.unit} | {ratio:.1f}x | {self.target} |"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> float:
    """Seconds from now until GET /readyz answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if get(port, "/readyz")[0] == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError("server not ready in time")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (`firehouse serve` runs its intake
    writer as a child process), in MB."""
    total = 0.0
    for each in [pid, *children(pid)]:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    if not total:
        raise RuntimeError("no VmRSS")
    return total


def children(pid: int) -> list[int]:
    """Every descendant of `pid`, from each process's parent in /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


@contextmanager
def serving(command: list[str], port: int, env: dict[str, str]) -> Iterator[tuple[Any, float]]:
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        yield proc, time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(30)


def firehouse_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "FIREHOUSE_DATABASE_URL": database_url,
        "FIREHOUSE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "FIREHOUSE_LOG_LEVEL": "warning",
        **extra,
    }


def serve_command(port: int) -> list[str]:
    return [PY, "-m", "firehouse", "serve", "--host", "127.0.0.1", "--port", str(port)]


def hello_command(workdir: Path, port: int) -> list[str]:
    (workdir / "hello_app.py").write_text(HELLO_APP)
    return [
        PY, "-m", "uvicorn", "--app-dir", str(workdir), "hello_app:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip


def compile_bytecode() -> None:
    """Write firehouse's .pyc files first, as installing a wheel does: an editable checkout
    under PYTHONDONTWRITEBYTECODE would otherwise compile every module at each start."""
    import compileall

    import firehouse

    compileall.compile_dir(Path(firehouse.__file__).parent, quiet=1)


def startup_and_memory(workdir: Path, runs: int) -> list[Row]:
    ours_ready, peer_ready, ours_rss, peer_rss = [], [], [], []
    for i in range(runs):
        db = workdir / f"empty-{i}.db"
        port = free_port()
        with serving(serve_command(port), port, firehouse_env(f"sqlite:///{db}")) as (p, ready):
            ours_ready.append(ready)
            time.sleep(2)
            ours_rss.append(rss_mb(p.pid))
        port = free_port()
        with serving(hello_command(workdir, port), port, dict(os.environ)) as (p, ready):
            peer_ready.append(ready)
            time.sleep(2)
            peer_rss.append(rss_mb(p.pid))
    return [
        Row(
            "`firehouse serve` ready (empty SQLite, migrations + first admin)",
            statistics.median(ours_ready) * 1000,
            statistics.median(peer_ready) * 1000,
            "FastAPI hello app on uvicorn",
            "ms",
            "<= 2000 ms",
        ),
        Row(
            "idle memory (RSS of the process and its children) after start",
            statistics.median(ours_rss),
            statistics.median(peer_rss),
            "FastAPI hello app on uvicorn",
            "MB",
            "<= 150 MB",
        ),
    ]


def timed_runs(command: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall time in ms of running `command` to completion."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def make_token(database_url: str) -> str:
    """A read token of a responder in no team: the list then applies the restricted-incident
    visibility rules, the costlier path (an admin sees everything without them)."""
    env = firehouse_env(database_url)
    # not checked: a reused database has the user already (the token command then needs it)
    subprocess.run(
        [PY, "-m", "firehouse", "user", "create", "--handle", "bench", "--name", "Bench",
         "--email", "bench@example.com", "--role", "responder"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    out = subprocess.run(
        [PY, "-m", "firehouse", "token", "create", "--user", "bench", "--scope", "read"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def build(database_url: str, incidents: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [PY, "-m", "firehouse", "demo", "--incidents", str(incidents), "--days", "365"],
        env=firehouse_env(database_url),
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def incident_count(database_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM incidents")).scalar_one())
    except Exception:  # no schema yet: nothing to reuse
        return 0
    finally:
        engine.dispose()


def build_or_reuse(database_url: str, incidents: int, reuse: bool) -> str:
    """Build the demo history, or with --reuse keep one built earlier and only apply new
    migrations to it (building 100,000 incidents takes minutes)."""
    if reuse and incident_count(database_url) >= incidents:
        subprocess.run(
            [PY, "-m", "firehouse", "db", "upgrade"],
            env=firehouse_env(database_url),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        return f"reused a database built earlier with {incidents:,} incidents"
    seconds = build(database_url, incidents)
    return f"`firehouse demo --incidents {incidents}` built in {seconds:.0f} s"


def cli_latency(port: int, token: str, runs: int) -> list[Row]:
    env = {**os.environ, "FIREHOUSE_URL": f"http://127.0.0.1:{port}", "FIREHOUSE_TOKEN": token}
    ours = timed_runs([PY, "-m", "firehouse", "incident", "list"], env, runs)
    bare = timed_runs([PY, "-c", "pass"], env, runs)
    script = (
        "import os, httpx; httpx.get(os.environ['FIREHOUSE_URL'] + '/api/v1/incidents"
        "?limit=20&total=true', headers={'Authorization': 'Bearer ' + "
        "os.environ['FIREHOUSE_TOKEN']}).raise_for_status()"
    )
    httpx_get = timed_runs([PY, "-c", script], env, runs)
    return [
        Row("`firehouse incident list` (20 rows, a table)", ours, bare, "`python -c pass`", "ms",
            "<= 300 ms"),
        Row("`firehouse incident list` (20 rows, a table)", ours, httpx_get,
            "a bare httpx GET of the same page", "ms", "<= 300 ms"),
    ]  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def api_pages(port: int, token: str, requests: int) -> tuple[list[float], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    times, rows = [], 0
    for i in range(requests):
        path = "/api/v1/incidents?" + urlencode(QUERIES[i % len(QUERIES)], doseq=True)
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
        rows += len(json.loads(body)["items"])
    conn.close()
    return times, rows


def raw_pages(database_url: str, requests: int) -> list[float]:
    """The same pages as one SQL query each, straight to the database (the floor): the same
    filters, visibility rule, order and limit, without building the response."""
    from sqlalchemy import create_engine, text

    like = "LIKE" if database_url.startswith("sqlite") else "ILIKE"
    where = {
        "{}": "",
        "status": "i.status IN ('triggered','acknowledged','mitigated')",
        "severity": "s.key = 'SEV1'",
        "sev+status": "s.key IN ('SEV1','SEV2') AND i.status = 'resolved'",
        "type": "i.type_id IN (SELECT id FROM incident_types WHERE key = 'security')",
        "updated": "",
        "rank": "",
        "text": f"(i.title {like} '%checkout%' OR i.summary {like} '%checkout%')",
        "miss": f"(i.title {like} '%no such words%' OR i.summary {like} '%no such words%')",
        "drill": "i.kind = 'drill'",
        "after": "i.declared_at >= '2026-01-01' AND i.status = 'closed'",
    }
    orders = ["i.declared_at DESC, i.id DESC"] * len(where)
    orders[5] = "i.updated_at DESC, i.id DESC"
    orders[6] = "s.rank ASC, i.declared_at DESC, i.id DESC"
    me = "(SELECT id FROM users WHERE handle = 'bench')"
    visible = (
        f"(i.restricted = false OR i.created_by_id = {me} OR EXISTS (SELECT 1 FROM "
        f"incident_role_assignments r WHERE r.incident_id = i.id AND r.user_id = {me}) OR "
        f"EXISTS (SELECT 1 FROM incident_participants p WHERE p.incident_id = i.id AND "
        f"p.user_id = {me}))"
    )
    statements = [
        f"SELECT i.*, s.key FROM incidents i JOIN severities s ON s.id = i.severity_id "
        f"WHERE {visible} {'AND ' + clause if clause else ''} ORDER BY {order} LIMIT 51"
        for clause, order in zip(where.values(), orders, strict=True)
    ]
    engine = create_engine(database_url)
    times = []
    with engine.connect() as conn:
        for i in range(requests):
            started = time.perf_counter()
            conn.execute(text(statements[i % len(statements)])).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return times


def list_benchmark(
    label: str, database_url: str, incidents: int, requests: int, cli_runs: int, reuse: bool
) -> tuple[list[Row], str]:
    built = build_or_reuse(database_url, incidents, reuse)
    token = make_token(database_url)
    port = free_port()
    rows = []
    with serving(serve_command(port), port, firehouse_env(database_url)):
        api_pages(port, token, len(QUERIES))  # warm the caches once
        times, _ = api_pages(port, token, requests)
        raw = raw_pages(database_url, requests)
        for i, query in enumerate(QUERIES):
            ours = statistics.median(times[i :: len(QUERIES)])
            floor = statistics.median(raw[i :: len(QUERIES)])
            DETAIL.append(f"| {label} | `{urlencode(query, doseq=True) or '(none)'}` | "
                          f"{ours:.1f} ms | {floor:.1f} ms |")  # fmt: skip
        for name, p in (("p50", 50), ("p95", 95)):
            rows.append(
                Row(
                    f"API list page, {label}, {incidents:,} incidents, {name}",
                    percentile(times, p),
                    percentile(raw, p),
                    "the raw SQL of the page",
                    "ms",
                    "<= 50 ms",
                )
            )
        if cli_runs:
            rows += cli_latency(port, token, cli_runs)
    return rows, f"{label}: {built}"


def pg_database(base: str, keep: str | None = None) -> tuple[str, Callable[[], None]] | None:
    """A fresh database dropped after the run, or with `keep` one of that name made once and
    kept for later runs."""
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(base)
        name = keep or f"fh_bench_{os.getpid()}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if found.first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # PostgreSQL is optional for this benchmark
        print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        return None

    def drop() -> None:
        if keep:
            admin.dispose()
            return
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="start-ups to take the median of")
    parser.add_argument("--cli-runs", type=int, default=10)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL pages only")
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="DIR",
        help="keep the demo databases (SQLite in DIR, PostgreSQL as fh_bench_keep_N) and reuse "
        "them when they already hold --incidents incidents",
    )
    args = parser.parse_args()
    pg_base = os.environ.get(
        "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    workdir = Path(tempfile.mkdtemp(prefix="fh-bench-"))
    notes = []
    compile_bytecode()
    rows = [] if args.skip_sqlite else startup_and_memory(workdir, args.runs)
    try:
        if not args.skip_sqlite:
            data = args.reuse or workdir
            data.mkdir(parents=True, exist_ok=True)
            sqlite_url = f"sqlite:///{data / f'demo-{args.incidents}.db'}"
            got, note = list_benchmark("SQLite", sqlite_url, args.incidents, args.requests,
                                       args.cli_runs, args.reuse is not None)  # fmt: skip
            rows += got
            notes.append(note)
        if not args.skip_pg:
            keep = f"fh_bench_keep_{args.incidents}" if args.reuse else None
            made = pg_database(pg_base, keep)
            if made is not None:
                url, drop = made
                try:
                    got, note = list_benchmark(
                        "PostgreSQL", url, args.incidents, args.requests, 0, args.reuse is not None
                    )
                    rows += got
                    notes.append(note)
                finally:
                    drop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nfirehouse core benchmark, {time.strftime('%Y-%m-%d')}, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs\n")  # fmt: skip
    print("| measure | firehouse | peer (same run) | ratio | target |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(row.line())
    print()
    for note in notes:
        print(f"- {note}")
    print("\nMedian per filter set (API page vs its raw SQL):\n")
    print("| database | query | API | raw SQL |")
    print("|---|---|---|---|")
    for line in DETAIL:
        print(line)
    print(
        f"- API pages: {args.requests} requests cycling through {len(QUERIES)} filter sets "
        "(none, open statuses, SEV1, SEV1+SEV2 resolved, security type, by updated, by "
        "severity, a text search, a text search matching nothing, drills, closed since a "
        "date), 50 rows each, keep-alive, as a responder in no team (visibility rules apply)"
    )


if __name__ == "__main__":
    main()
