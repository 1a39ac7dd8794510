"""The intake writer process: the committer in a process of its own.

`firehouse serve` answers alert senders on its event loop; the database work for new alerts and
state changes (routing, grouping, inserts: mostly SQLAlchemy, in Python) then runs here, on the
other core, instead of taking the serving process's GIL from the event loop. The serving
process's writer thread sends one batch at a time over a socket pair and waits for the reply,
which carries the outcomes and what the commit must set off in the serving process: live events
for open pages and engine wakes (paging). A 2xx is still sent only after this process committed.

It starts with the first batch (a server that receives no alerts never pays for it). If it
dies, the batch in flight fails (its senders get a 503 and retry; nothing was acknowledged) and
the next batch starts a new process.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import OperationalError

from firehouse.alerts.service.committer import Committer, Repeat, Replayed, Result, Submission
from firehouse.alerts.service.writer import RetryBatch
from firehouse.db import Database
from firehouse.errors import AppError, Invalid

if TYPE_CHECKING:
    from firehouse.settings import Settings

log = logging.getLogger("firehouse.alerts")

START_TIMEOUT = 60.0


class WriterUnavailable(Exception):
    """The writer process stopped or could not start; the batch was not acknowledged."""


class WriterProcess:
    """A committer whose work runs in a child process (see the module docstring)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        # plain values: the child needs no settings class (nor pydantic's memory) to use them
        self.config = {
            "url": settings.database_url,
            "pool_size": settings.db_pool_size,
            "sqlite_synchronous": settings.sqlite_synchronous,
            "sqlite_busy_timeout_ms": settings.sqlite_busy_timeout_ms,
            "log_level": settings.log_level,
            "log_format": settings.log_format,
        }
        self.db = db
        self._conn: Connection | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def apply(self, submissions: list[Submission]) -> list[Result]:
        reply: list[tuple[Any, ...]] = self._call("apply", submissions)
        return [_result_of(r) for r in reply]

    def write_repeats(self, pending: list[Repeat]) -> Replayed:
        replayed: Replayed = self._call("repeats", pending)
        return replayed

    def close(self) -> None:
        with self._lock:
            conn, process = self._conn, self._process
            self._conn = self._process = None
        if conn is not None:
            with contextlib.suppress(OSError):  # it may be gone already
                conn.send(None)
            conn.close()
        if process is not None:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _ensure(self) -> Connection:
        if self._conn is not None and self._process is not None:
            if self._process.poll() is None:
                return self._conn
            self._discard()
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [
                    sys.executable,
                    "-m",
                    "firehouse.alerts.service.writer_process",
                    "--fd",
                    str(theirs.fileno()),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        try:
            conn.send(self.config)
            started = conn.poll(START_TIMEOUT) and conn.recv() == "ready"
        except (OSError, EOFError):  # it died while starting
            started = False
        if not started:
            process.kill()
            process.wait()
            conn.close()
            raise WriterUnavailable("the intake writer process did not start")
        self._conn, self._process = conn, process
        log.info("intake writer process %s started", process.pid)
        return conn

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            log.warning("intake writer process %s stopped", self._process.pid)
        self._conn = self._process = None

    def _call(self, operation: str, payload: Any) -> Any:
        with self._lock:
            conn = self._ensure()
            try:
                conn.send((operation, payload))
                kind, value, events, wakes = conn.recv()
            except (OSError, EOFError) as exc:
                self._discard()
                raise WriterUnavailable("the intake writer process stopped") from exc
        self._hand_on(events, wakes)
        if kind == "retry":
            raise RetryBatch(value)
        if kind == "error":
            raise WriterUnavailable(value)
        return value

    def _hand_on(self, events: list[Any], wakes: list[frozenset[str] | None]) -> None:
        """What the child's commit set off, done here where the browsers and the engine are."""
        if events:
            from firehouse.web.live import hub_for

            hub = hub_for(self.db.engine)
            for item in events:
                hub.broadcast(item)
        if wakes:
            from firehouse.engine import wake_all

            jobs: set[str] = set()
            for named in wakes:
                if named is None:
                    wake_all(None)
                    return
                jobs |= named
            wake_all(frozenset(jobs))


def _result_of(reply: tuple[Any, ...]) -> Result:
    kind = reply[0]
    if kind == "ok":
        outcomes: Result = reply[1]
        return outcomes
    if kind == "invalid":
        return Invalid(reply[1], field=reply[2])
    return WriterUnavailable(reply[1])


def _portable(result: Result) -> tuple[Any, ...]:
    """A request's result as plain data: exceptions do not all survive pickling."""
    if not isinstance(result, BaseException):
        return ("ok", result)
    if isinstance(result, AppError):
        return ("invalid", result.message, getattr(result, "field", None))
    return ("failed", f"{type(result).__name__}: {result}")


def serve_committer(conn: Connection) -> None:
    """The child's loop: one batch in, one reply out, until the parent closes the pipe."""
    from firehouse import logs
    from firehouse.engine import forward_wakes
    from firehouse.web.live import forward_events

    config: dict[str, Any] = conn.recv()
    logs.configure(config["log_level"], config["log_format"])
    db = Database(
        config["url"],
        pool_size=config["pool_size"],
        sqlite_synchronous=config["sqlite_synchronous"],
        sqlite_busy_timeout_ms=config["sqlite_busy_timeout_ms"],
    )
    committer = Committer(db)
    events: list[Any] = []
    wakes: list[frozenset[str] | None] = []
    forward_events(events.append)  # only SQLite's reach it: PostgreSQL's go by NOTIFY
    if db.is_sqlite:  # on PostgreSQL every engine already hears the commit's NOTIFY
        forward_wakes(wakes.append)
    conn.send("ready")
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the serving process is gone
                return
            if message is None:
                return
            operation, payload = message
            try:
                if operation == "apply":
                    reply: tuple[Any, ...] = (
                        "ok",
                        [_portable(r) for r in committer.apply(payload)],
                    )
                else:
                    reply = ("ok", committer.write_repeats(payload))
            except OperationalError as exc:
                reply = ("retry", str(exc))
            except Exception as exc:
                log.exception("alert batch failed in the writer process")
                reply = ("error", f"{type(exc).__name__}: {exc}")
            conn.send((*reply, events[:], wakes[:]))
            events.clear()
            wakes.clear()
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="firehouse's intake writer process")
    parser.add_argument("--fd", type=int, required=True)
    args = parser.parse_args()
    # Ctrl-C reaches the whole process group: the serving process decides when this one ends
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.set_inheritable(args.fd, False)
    serve_committer(Connection(args.fd))


if __name__ == "__main__":
    main()
