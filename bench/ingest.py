"""Alert intake benchmark: firehouse against Prometheus Alertmanager, the same load on both.

    .venv/bin/python bench/ingest.py               # firehouse on SQLite
    .venv/bin/python bench/ingest.py --postgres    # firehouse on PostgreSQL (local, postgres user)
    .venv/bin/python bench/ingest.py --intake-writer thread   # commits in a thread, one process

Starts `firehouse serve` and `prometheus-alertmanager` on loopback ports and drives each with
`wrk` (Debian package `wrk`; Lua scripts generate the alerts) posting Alertmanager's own API,
`POST /api/v2/alerts`, which both serve. Four loads, each for --seconds (--loads picks some):

1. single: one alert a request, 90% repeats of 1,000 open alerts, 10% new;
2. batch: 100 alerts a request, the same mix;
3. storm: 100 alerts a request, every one new;
4. paced storm: the storm's requests sent at a fixed rate (--paced-rate alerts/s, 5,000 by
   default) by a Python load generator, whatever the answers' pace. The first three loads are
   closed loops that saturate the target, so their latency is only connections over
   throughput (Little's law); this one shows the latency a storm at the target rate sees. It is
   timed from when each request was due, so a stall counts in full.

Prints alerts/s, p50 and p99 latency per target and the firehouse/Alertmanager ratio. Targets
(issue 3, SQLite): single >= 0.25x, batch >= 0.5x, storm >= 5,000 new alerts/s durable, p99
<= 100 ms. A 2xx from firehouse means committed (SQLite synchronous=FULL); Alertmanager keeps
alerts in memory."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from intake_cpu import alert  # the alert the Lua script sends, in Python

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent
POOL = 1000

LUA = r"""
-- `tid` is a global each thread's state gets from setup(); a `local tid` here would shadow
-- it, and every thread would send the same "new" alerts
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local counter = 0
local per_request = %(per_request)d
local repeat_share = %(repeat_share)f
local pool = %(pool)d

local function alert(name)
  return '{"labels":{"alertname":"Bench","service":"bench","severity":"warning","instance":"'
    .. name .. '"},"annotations":{"summary":"bench alert ' .. name .. '"}}'
end

function init(args)
  math.randomseed(os.time() + tid * 7919)
end

request = function()
  local items = {}
  for i = 1, per_request do
    counter = counter + 1
    local name
    if math.random() < repeat_share then
      name = "pool-" .. math.random(0, pool - 1)
    else
      name = "%(prefix)s-" .. tid .. "-" .. counter
    end
    items[i] = alert(name)
  end
  return wrk.format("POST", "/api/v2/alerts", nil, "[" .. table.concat(items, ",") .. "]")
end
"""


@dataclass
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the process exited")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not become ready")


@contextmanager
def running(args: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[None]:
    with log.open("ab") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(ready, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _ms(text: str) -> float:
    found = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if found is None:
        return float("nan")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _field(pattern: str, out: str) -> str:
    found = re.search(pattern, out)
    return found.group(1) if found else ""


def run_wrk(
    url: str, headers: dict[str, str], script: Path, seconds: int, connections: int
) -> Result:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(_field(r"Requests/sec:\s+([\d.]+)", out) or 0)
    p50 = _ms(_field(r"(?m)^\s*50%\s+(\S+)", out))
    p99 = _ms(_field(r"(?m)^\s*99%\s+(\S+)", out))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*timeout (\d+)", out)
    failed = (int(bad.group(1)) if bad else 0) + (int(errors.group(1)) if errors else 0)
    return Result(rps, p50, p99, failed)


def warm_pool(url: str, headers: dict[str, str]) -> None:
    alerts = [alert(f"pool-{i}") for i in range(POOL)]
    with httpx.Client(timeout=60) as http:
        for start in range(0, POOL, 100):
            response = http.post(url, json=alerts[start : start + 100], headers=headers)
            response.raise_for_status()


def script(workdir: Path, name: str, per_request: int, repeat_share: float) -> Path:
    path = workdir / f"{name}.lua"
    path.write_text(
        LUA
        % {
            "per_request": per_request,
            "repeat_share": repeat_share,
            "pool": POOL,
            "prefix": name,
        }
    )
    return path


def paced_storm(url: str, headers: dict[str, str], rate: int, seconds: int) -> Result:
    """Open loop: a request of 100 new alerts every 100/rate s, each timed from when it was
    due. Counts non-2xx answers and failures as errors."""
    per_request = 100
    every = per_request / rate
    count = max(1, round(seconds / every))
    bodies = [
        json.dumps([alert(f"paced-{n}-{i}") for i in range(per_request)]).encode()
        for n in range(count)
    ]

    async def drive() -> tuple[list[float], int, float]:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as http:
            loop = asyncio.get_running_loop()
            start = loop.time() + 0.1

            async def one(n: int) -> None:
                nonlocal errors
                due = start + n * every
                await asyncio.sleep(max(0.0, due - loop.time()))
                try:
                    response = await http.post(url, content=bodies[n])
                    if response.status_code >= 300:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(loop.time() - due)

            await asyncio.gather(*(one(n) for n in range(count)))
            return latencies, errors, loop.time() - start

    latencies, errors, took = asyncio.run(drive())
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Result(count / took, pct(0.50), pct(0.99), errors)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="firehouse on PostgreSQL")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each load")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument(
        "--repeat-share",
        type=float,
        default=0.9,
        help="share of alerts that repeat an open one in the single and batch loads",
    )
    parser.add_argument(
        "--loads",
        default="single,batch,storm,paced",
        help="which loads to run, comma-separated (they run in the order listed above)",
    )
    parser.add_argument(
        "--paced-rate",
        type=int,
        default=5000,
        help="new alerts/s offered by the paced storm (the issue's storm target)",
    )
    parser.add_argument(
        "--intake-writer",
        choices=["process", "thread"],
        default="process",
        help="where firehouse commits alerts (FIREHOUSE_INTAKE_WRITER; serve's default: process)",
    )
    args = parser.parse_args()
    for tool in ("wrk", "prometheus-alertmanager"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (apt-get install -y {tool})")
    workdir = Path(tempfile.mkdtemp(prefix="fh-bench-ingest-"))
    url = (
        postgres_url("fh_bench_ingest")
        if args.postgres
        else f"sqlite:///{workdir / 'firehouse.db'}"
    )
    fh_port, am_port = free_port(), free_port()
    env = {
        **os.environ,
        "FIREHOUSE_DATABASE_URL": url,
        "FIREHOUSE_PORT": str(fh_port),
        "FIREHOUSE_ADMIN_PASSWORD": "bench-admin-password",
        "FIREHOUSE_LOG_LEVEL": "warning",
        "FIREHOUSE_INTAKE_WRITER": args.intake_writer,
    }
    created = subprocess.run(
        [
            PY,
            "-m",
            "firehouse",
            "integration",
            "create",
            "--type",
            "alertmanager",
            "--name",
            "bench",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.strip()
    (workdir / "am.yml").write_text("route: {receiver: none}\nreceivers: [{name: none}]\n")
    targets = {
        "firehouse": (
            f"http://127.0.0.1:{fh_port}",
            {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        ),
        "alertmanager": (f"http://127.0.0.1:{am_port}", {"Content-Type": "application/json"}),
    }
    share = args.repeat_share
    chosen = [name.strip() for name in args.loads.split(",") if name.strip()]
    unknown = set(chosen) - {"single", "batch", "storm", "paced"}
    if unknown:
        raise SystemExit(f"--loads: unknown {', '.join(sorted(unknown))}")
    loads = [
        load
        for load in [("single", 1, share), ("batch", 100, share), ("storm", 100, 0.0)]
        if load[0] in chosen
    ]
    results: dict[tuple[str, str], Result] = {}
    with (
        running(
            [PY, "-m", "firehouse", "serve"],
            env,
            f"http://127.0.0.1:{fh_port}/readyz",
            workdir / "firehouse.log",
        ),
        running(
            [
                "prometheus-alertmanager",
                f"--config.file={workdir / 'am.yml'}",
                f"--storage.path={workdir / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ],
            dict(os.environ),
            f"http://127.0.0.1:{am_port}/-/ready",
            workdir / "alertmanager.log",
        ),
    ):
        for base, headers in targets.values():
            warm_pool(f"{base}/api/v2/alerts", headers)
        for name, per_request, repeats in loads:
            lua = script(workdir, name, per_request, repeats)
            for target, (base, headers) in targets.items():
                wrk_headers = {k: v for k, v in headers.items()}
                result = run_wrk(base, wrk_headers, lua, args.seconds, args.connections)
                results[(name, target)] = result
                time.sleep(1)
        for target, (base, headers) in targets.items() if "paced" in chosen else ():
            results[("paced", target)] = paced_storm(
                f"{base}/api/v2/alerts", headers, args.paced_rate, args.seconds
            )
            time.sleep(1)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\nAlert intake, firehouse on {backend} (intake writer: {args.intake_writer}) vs "
        f"Alertmanager ({args.seconds}s per load, wrk -t2 -c{args.connections}, "
        f"{os.cpu_count()} CPUs)\n"
    )
    print("| load | target | alerts/s | p50 ms | p99 ms | non-2xx | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    rows = [(name, name, per_request) for name, per_request, _ in loads]
    if "paced" in chosen:
        rows.append(("paced", f"storm at {args.paced_rate:,}/s", 100))
    for name, label, per_request in rows:
        am = results[(name, "alertmanager")]
        for target in targets:
            r = results[(name, target)]
            if name == "paced":  # both answer the offered rate: compare their latencies
                ratio = "paced"
            elif target == "firehouse":
                rate = am.requests_per_s
                ratio = f"{r.requests_per_s / rate:.2f}x" if rate else "n/a"
            else:
                ratio = "1.00x"
            print(
                f"| {label} | {target} | {r.requests_per_s * per_request:,.0f} | "
                f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {ratio} |"
            )
    print(json.dumps({f"{k[0]}/{k[1]}": vars(v) for k, v in results.items()}), file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
