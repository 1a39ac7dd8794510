"""The intake writer process: the committer in a process of its own.

`firehouse serve` answers alert senders on its event loop; the database work for new alerts and
state changes (routing, grouping, inserts: mostly SQLAlchemy, in Python) then runs here, on the
other core, instead of taking the serving process's GIL from the event loop. The serving
process's writer thread sends batches over a socket pair, the next while this process still
applies one (at most `Intake.pipeline_depth` at a time), and a reader thread takes the replies
in order (a settler thread then settles each batch): each carries the outcomes and what the
commit must set off in the serving process, live events for open pages and engine wakes
(paging). A 2xx is still sent only after this process committed.

It starts with the first batch (a server that receives no alerts never pays for it). If it
dies, the batches in flight fail (their senders get a 503 and retry; nothing was acknowledged)
and the next batch starts a new process.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
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


class _Child:
    """One started writer process: its socket, and the callers waiting for its replies, in
    the order their requests were sent (it answers in that order)."""

    def __init__(self, process: subprocess.Popen[bytes], conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.waiting: deque[tuple[Future[Any], Callable[[Any], Any] | None]] = deque()
        self.gone = False
        self.reader: threading.Thread | None = None

    def alive(self) -> bool:
        return not self.gone and self.process.poll() is None


class WriterProcess:
    """A committer whose work runs in a child process (see the module docstring). Pipelined:
    the next batch is sent while the child still applies one, so the child never waits for the
    serving process to pickle and send it; replies come back in order, read by a thread of
    their own, and each batch's future is settled, in that order, by another thread.

    The reader never settles a future itself: settling runs the caller's callbacks, and the
    intake's may send a batch again (after a lock timeout). A large batch sent from the reader
    while the child sends a large reply would leave each side waiting for the other to read."""

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
        self._child: _Child | None = None
        self._lock = threading.Lock()
        # (future, value, whether value is an exception), in the order replies came
        self._settling: queue.SimpleQueue[tuple[Future[Any], Any, bool] | None] = (
            queue.SimpleQueue()
        )
        self._settler: threading.Thread | None = None

    def apply_async(self, submissions: list[Submission]) -> Future[list[Result]]:
        return self._send("apply", submissions, lambda reply: [_result_of(r) for r in reply])

    def apply(self, submissions: list[Submission]) -> list[Result]:
        return self.apply_async(submissions).result()

    def write_repeats(self, pending: list[Repeat]) -> Replayed:
        replayed: Replayed = self._send("repeats", pending).result()
        return replayed

    def close(self) -> None:
        """Ask the child to end (killed after 30 s), then wait for its reader to finish."""
        with self._lock:
            child, self._child = self._child, None
        if child is None:
            return
        with contextlib.suppress(OSError):  # it may be gone already
            child.conn.send(None)
        try:
            child.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
        if child.reader is not None:
            child.reader.join(timeout=30)
        with self._lock:
            settler, self._settler = self._settler, None
        if settler is not None:  # after the reader: what it failed is settled too
            self._settling.put(None)
            settler.join(timeout=30)

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.process.pid if child is not None else None

    @property
    def in_flight(self) -> int:
        """Batches sent to the child and not yet answered."""
        child = self._child
        return len(child.waiting) if child is not None else 0

    def _send(
        self, operation: str, payload: Any, convert: Callable[[Any], Any] | None = None
    ) -> Future[Any]:
        future: Future[Any] = Future()
        failed: Exception | None = None
        with self._lock:
            try:
                child = self._ensure()
                child.waiting.append((future, convert))
                try:
                    child.conn.send((operation, payload))
                except OSError:  # it died: its reader fails every waiting batch, this one too
                    child.process.kill()
                except Exception:  # not sent at all (it would not pickle): this one only
                    child.waiting.pop()
                    raise
            except Exception as exc:
                failed = exc
        if failed is not None:  # settled outside the lock: its callback may send again
            future.set_exception(failed)
        return future

    def _ensure(self) -> _Child:
        """The running child, or a new one (called under the lock)."""
        if self._child is not None:
            if self._child.alive():
                return self._child
            if self._child.process.poll() is None:  # its socket failed: end it
                self._child.process.kill()
            self._child.process.wait()  # its reader fails what waited, then closes the socket
            log.warning("intake writer process %s stopped", self._child.process.pid)
            self._child = None
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
        if self._settler is None:
            self._settler = threading.Thread(
                target=self._settle, name="alert-writer-settler", daemon=True
            )
            self._settler.start()
        child = _Child(process, conn)
        child.reader = threading.Thread(
            target=self._read, args=(child,), name="alert-writer-replies", daemon=True
        )
        child.reader.start()
        self._child = child
        log.info("intake writer process %s started", process.pid)
        return child

    def _read(self, child: _Child) -> None:
        """The replies of one child, in order, until it is gone; then every batch still
        waiting fails (none of them was acknowledged)."""
        while True:
            try:
                kind, value, events, wakes = child.conn.recv()
            except (OSError, EOFError):
                break
            except Exception:  # a reply that does not read back: trust nothing after it
                log.exception("unreadable reply from the intake writer process")
                child.process.kill()
                break
            future, convert = child.waiting.popleft()
            try:  # committed either way; the engine finds its work on its next round
                self._hand_on(events, wakes)
            except Exception:
                log.exception("could not hand on what the intake writer's commit set off")
            if kind == "retry":
                self._settling.put((future, RetryBatch(value), True))
            elif kind == "error":
                self._settling.put((future, WriterUnavailable(value), True))
            else:
                try:
                    result = convert(value) if convert is not None else value
                except Exception as exc:
                    self._settling.put((future, exc, True))
                else:
                    self._settling.put((future, result, False))
        with self._lock:
            child.gone = True
            stranded = list(child.waiting)
            child.waiting.clear()
        child.conn.close()
        for future, _ in stranded:
            stopped = WriterUnavailable("the intake writer process stopped")
            self._settling.put((future, stopped, True))

    def _settle(self) -> None:
        """Settle futures in the order the reader queued them, running their callbacks here."""
        while (item := self._settling.get()) is not None:
            future, value, failed = item
            if failed:
                future.set_exception(value)
            else:
                future.set_result(value)

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
    from firehouse.heap import freeze_startup_heap
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
    freeze_startup_heap()
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
