"""How `firehouse serve` starts fast: the database is prepared (migrations, defaults, the first
admin) in a forked process while this one imports and builds the web app, so on two cores a
first start costs the longer of the two rather than their sum; the engine starts beside the
server instead of before it (its timers are in the database, so nothing waits on it)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from firehouse.engine import Engine
    from firehouse.settings import Settings

log = logging.getLogger("firehouse.serve")


class PrepareFailed(Exception):
    """The database could not be prepared; the message says why."""


@dataclass(frozen=True)
class Prepared:
    password: str | None  # the generated admin password, to show once
    heads: frozenset[str]  # the latest schema revisions (readiness compares against them)


def _prepare(settings: Settings) -> Prepared:
    from firehouse.app import make_database, prepare_database
    from firehouse.db import head_revisions

    db = make_database(settings)
    try:
        return Prepared(prepare_database(db, settings), head_revisions())
    finally:
        db.dispose()


def prepare_in_background(settings: Settings) -> Callable[[], Prepared]:
    """Start preparing the database; the returned function waits for it and raises
    PrepareFailed when it could not be done."""
    if not hasattr(os, "fork"):
        prepared = _prepare(settings)
        return lambda: prepared
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: prepare, report on the pipe, exit without running parent cleanup
        os.close(read_fd)
        code = 0
        try:
            done = _prepare(settings)
            message: dict[str, Any] = {"password": done.password, "heads": sorted(done.heads)}
        except Exception as exc:
            log.exception("preparing the database failed")
            message, code = {"error": f"{type(exc).__name__}: {exc}"}, 1
        os.write(write_fd, json.dumps(message).encode())
        os._exit(code)
    os.close(write_fd)

    def wait() -> Prepared:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        try:
            message = json.loads(data)
        except ValueError:
            message = {"error": "the process preparing the database died"}
        if "error" in message:
            raise PrepareFailed(message["error"])
        return Prepared(message["password"], frozenset(message["heads"]))

    return wait


class BackgroundEngine:
    """Builds and starts the engine in a thread, so the server answers while the jobs load."""

    def __init__(self, start: Callable[[], Engine]) -> None:
        self._start = start
        self._engine: Engine | None = None
        self._thread = threading.Thread(target=self._run, name="engine-start", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._engine = self._start()
        except Exception:
            log.exception("the engine did not start")

    def stop(self) -> None:
        self._thread.join()
        if self._engine is not None:
            self._engine.stop()
