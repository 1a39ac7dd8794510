"""The engine: background work driven by timers stored in the database.

A `Job` does whatever is due now and returns the earliest future time it knows it has work. The
engine runs every job, then sleeps until the earliest of those times or until woken: by
`wake()` in this process (services call `wake_after_commit(session)`), or on PostgreSQL by a
`NOTIFY firehouse_engine` from any process. Nothing lives in memory that a restart would lose.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from firehouse.db import Database

if TYPE_CHECKING:
    from firehouse.settings import Settings

log = logging.getLogger("firehouse.engine")

CHANNEL = "firehouse_engine"
ALL = "*"
# A failing job is retried after this long instead of spinning.
FAILURE_BACKOFF = timedelta(seconds=5)
# a job slower than this delays every other job's timers: say so in the log
SLOW_JOB_SECONDS = 1.0
# how often a worker on SQLite looks whether another process committed
SQLITE_WATCH_SECONDS = 0.1

_running: weakref.WeakSet[Engine] = weakref.WeakSet()
_running_lock = threading.Lock()
_forwarders: list[Callable[[frozenset[str] | None], None]] = []


@dataclass(frozen=True)
class Job:
    """Background work: `run(db)` does what is due now, returns the next due time or None."""

    name: str
    run: Callable[[Database], datetime | None]


class Engine:
    """Runs jobs. Tests call `run_once()`/`run_until_idle()`; servers call `start()`."""

    def __init__(
        self,
        db: Database,
        jobs: list[Job] | None = None,
        *,
        settings: Settings | None = None,
        max_sleep_seconds: float = 30.0,
        listen: bool = True,
        watch_sqlite: bool = False,
    ) -> None:
        if jobs is None:
            from firehouse.engine.jobs import all_jobs

            jobs = all_jobs(settings)
        self.db = db
        self.jobs = list(jobs)
        self.max_sleep_seconds = max_sleep_seconds
        self.listen = listen and not db.is_sqlite
        # a worker on SQLite has no NOTIFY: it watches the file's commit counter instead
        self.watch_sqlite = watch_sqlite and db.is_sqlite
        self._stopping = threading.Event()
        self._wakes: list[threading.Event] = []
        self._threads: list[threading.Thread] = []
        self._failed_until: dict[str, datetime] = {}

    def _run_job(self, job: Job) -> datetime | None:
        """Run one job, guarded: a failure is logged and retried after a back-off."""
        now = self.db.clock.now()
        paused = self._failed_until.get(job.name)
        if paused is not None and paused > now:
            return paused
        started = time.perf_counter()
        try:
            due = job.run(self.db)
            self._failed_until.pop(job.name, None)
        except Exception:
            log.exception("engine job %s failed", job.name)
            due = now + FAILURE_BACKOFF
            self._failed_until[job.name] = due
        took = time.perf_counter() - started
        if took > SLOW_JOB_SECONDS:
            log.warning("engine job %s took %.2f s", job.name, took)
        return due

    def run_once(self) -> datetime | None:
        """Run every job once, in order; the earliest time any of them has more work."""
        earliest: datetime | None = None
        for job in self.jobs:
            due = self._run_job(job)
            if due is not None and (earliest is None or due < earliest):
                earliest = due
        return earliest

    def run_until_idle(self, max_rounds: int = 100) -> datetime | None:
        """Run rounds until nothing is due now; return the next due time (None: nothing)."""
        due: datetime | None = None
        for _ in range(max_rounds):
            due = self.run_once()
            if due is None or due > self.db.clock.now():
                return due
        return due

    def wake(self, jobs: frozenset[str] | None = None) -> None:
        """Wake the named jobs (None: every job) to look for work now."""
        for job, woken in zip(self.jobs, self._wakes, strict=False):
            if jobs is None or job.name in jobs:
                woken.set()

    def start(self) -> None:
        """One daemon thread per job, so a slow job never delays another job's timers (a page
        is not held up by a report), plus a LISTEN thread on PostgreSQL."""
        if self._threads:
            return
        self._stopping.clear()
        self._wakes = [threading.Event() for _ in self.jobs]
        with _running_lock:
            _running.add(self)
        log.info("engine started with jobs: %s", ", ".join(j.name for j in self.jobs))
        for job, woken in zip(self.jobs, self._wakes, strict=True):
            thread = threading.Thread(
                target=self._loop, args=(job, woken), name=f"engine-{job.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        watcher = self._listen if self.listen else self._watch if self.watch_sqlite else None
        if watcher is not None:
            listener = threading.Thread(target=watcher, name="engine-listen", daemon=True)
            listener.start()
            self._threads.append(listener)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.wake()
        with _running_lock:
            _running.discard(self)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self._wakes = []
        log.info("engine stopped")

    def _loop(self, job: Job, woken: threading.Event) -> None:
        while not self._stopping.is_set():
            woken.clear()
            due = self._run_job(job)
            woken.wait(self._sleep_seconds(due))

    def _sleep_seconds(self, due: datetime | None) -> float:
        if due is None:
            return self.max_sleep_seconds
        seconds = (due - self.db.clock.now()).total_seconds()
        return min(max(seconds, 0.0), self.max_sleep_seconds)

    def _watch(self) -> None:
        """SQLite: wake when another process commits (`PRAGMA data_version` changes). Reading
        the counter is a few microseconds; each look is its own deferred, read-only
        transaction, so the watcher never holds a lock."""
        reader = self.db.engine.execution_options(sqlite_begin="DEFERRED")
        last = None
        with reader.connect() as conn:
            while not self._stopping.wait(SQLITE_WATCH_SECONDS):
                current = conn.exec_driver_sql("PRAGMA data_version").scalar()
                conn.rollback()
                if last is not None and current != last:
                    self.wake()
                last = current

    def _listen(self) -> None:
        """Wake on NOTIFY from other processes; reconnect when the connection drops."""
        import psycopg

        from firehouse.db import make_null_pool_engine

        url = make_null_pool_engine(self.db.url).url
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.wake()  # anything committed while we were not listening
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.wake(_names(note.payload))
            except Exception:
                log.warning("engine LISTEN connection lost; reconnecting", exc_info=True)
                self._stopping.wait(2.0)


def _names(payload: str) -> frozenset[str] | None:
    return None if payload in ("", "*") else frozenset(payload.split(","))


def wake_all(jobs: frozenset[str] | None = None) -> None:
    """Wake every engine running in this process (only the named jobs, when given), and hand
    the wake to the forwarders (a process that runs no engine passes it to one that does)."""
    with _running_lock:
        engines = list(_running)
    for engine in engines:
        engine.wake(jobs)
    for sink in _forwarders:
        sink(jobs)


def forward_wakes(sink: Callable[[frozenset[str] | None], None]) -> None:
    """Hand every wake of this process to `sink` as well."""
    _forwarders.append(sink)


def _wake_on_commit(session: Session) -> None:
    wanted = session.info.pop("engine_wake", None)
    if wanted is not None:
        wake_all(None if ALL in wanted else frozenset(wanted))


def _forget_on_rollback(session: Session, previous: Any) -> None:
    # a savepoint rolled back inside a transaction that goes on to commit keeps the wake
    if getattr(previous, "nested", False) or getattr(previous, "parent", None) is not None:
        return
    session.info.pop("engine_wake", None)


def wake_after_commit(session: Session, *, jobs: tuple[str, ...] | None = None) -> None:
    """Wake the engines (this process, and others on PostgreSQL) once `session` commits.

    `jobs` names the jobs that have new work (say, `("delivery",)`); None wakes every job.
    Naming them keeps a busy system from re-running every job on every commit."""
    names = set(jobs) if jobs else {ALL}
    wanted: set[str] = session.info.setdefault("engine_wake", set())
    new = names - wanted
    if not new:
        return
    wanted |= new
    bind: Any = session.get_bind()
    if bind.dialect.name == "postgresql":
        # delivered at commit (identical ones folded into one), dropped on rollback
        payload = "*" if ALL in new else ",".join(sorted(new))
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )
    if not session.info.get("engine_hooks"):
        session.info["engine_hooks"] = True
        event.listen(session, "after_commit", _wake_on_commit)
        event.listen(session, "after_soft_rollback", _forget_on_rollback)


__all__ = ["Engine", "Job", "forward_wakes", "wake_after_commit", "wake_all"]
