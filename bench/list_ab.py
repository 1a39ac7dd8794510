"""The API list pages of bench/core.py served from two versions of firehouse at once, on one
database built earlier, with the requests interleaved: the machine's load falls on both alike,
so the difference between them survives a busy machine that moves either figure alone.

    .venv/bin/python bench/list_ab.py --before 70c3bdc \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/fh_bench_keep_100000

`--before` is a git revision (its `src/` is exported to a temporary directory and imported
first); "after" is this working tree. Build the database first with `bench/core.py --reuse`.
Neither server migrates it: the older one serves the schema the newer one left."""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import core

ROOT = Path(__file__).resolve().parent.parent


def export(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def answering(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> float:
    """Seconds until the server answers at all: the older version reports the newer schema's
    migrations as pending (503 on /readyz) and serves anyway."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            core.get(port, "/readyz")
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server not answering in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="git revision to compare with")
    parser.add_argument("--database", required=True, help="URL of a demo database")
    parser.add_argument("--rounds", type=int, default=40, help="times through the filter sets")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fh-list-ab-"))
    core.wait_ready = answering
    try:
        source = export(args.before, workdir)
        token = core.make_token(args.database)
        ports = {"before": core.free_port(), "after": core.free_port()}
        envs = {
            "before": core.firehouse_env(
                args.database, FIREHOUSE_AUTO_MIGRATE="false", PYTHONPATH=str(source)
            ),
            "after": core.firehouse_env(args.database, FIREHOUSE_AUTO_MIGRATE="false"),
        }
        times: dict[str, list[list[float]]] = {k: [[] for _ in core.QUERIES] for k in ports}
        with ExitStack() as stack:
            conns: dict[str, Any] = {}
            for name, port in ports.items():
                stack.enter_context(core.serving(core.serve_command(port), port, envs[name]))
                conns[name] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

            def page(name: str, i: int) -> float:
                path = "/api/v1/incidents?" + urlencode(core.QUERIES[i], doseq=True)
                started = time.perf_counter()
                conns[name].request("GET", path, headers={"Authorization": f"Bearer {token}"})
                response = conns[name].getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(f"{name} {path}: {response.status} {body[:200]!r}")
                json.loads(body)
                return (time.perf_counter() - started) * 1000

            for name in ports:  # warm both
                for i in range(len(core.QUERIES)):
                    page(name, i)
            for n in range(args.rounds):
                for i in range(len(core.QUERIES)):
                    for name in ("before", "after") if (n + i) % 2 else ("after", "before"):
                        times[name][i].append(page(name, i))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nAPI list pages, `{args.before}` against this working tree, interleaved, "
          f"{args.rounds} rounds of {len(core.QUERIES)} filter sets each\n")  # fmt: skip
    print("| | before | after |")
    print("|---|---|---|")
    for p in (50, 95):
        cells = [core.percentile([t for ts in times[k] for t in ts], p) for k in ports]
        print(f"| all, p{p} | {cells[0]:.1f} ms | {cells[1]:.1f} ms |")
    for i, query in enumerate(core.QUERIES):
        cells = [statistics.median(times[k][i]) for k in ports]
        print(f"| `{urlencode(query, doseq=True) or '(none)'}` | {cells[0]:.1f} ms | "
              f"{cells[1]:.1f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()
