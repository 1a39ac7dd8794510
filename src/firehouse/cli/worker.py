"""`firehouse worker`: the engine alone, without HTTP (run one or more beside `serve
--no-engine`, or none when `serve` runs its own)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer


def worker(
    once: Annotated[
        bool, typer.Option(help="Run every job until nothing is due, then exit.")
    ] = False,
) -> None:
    """Run the engine (escalations, notification delivery, every domain's timers) alone."""
    from firehouse import logs
    from firehouse.app import make_database, prepare_database
    from firehouse.engine import Engine
    from firehouse.engine.testclock import FileOffsetClock
    from firehouse.settings import Settings

    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    clock = FileOffsetClock(settings.test_clock_file) if settings.test_clock_file else None
    db = make_database(settings, clock)
    prepare_database(db, settings)
    engine = Engine(
        db,
        settings=settings,
        max_sleep_seconds=settings.engine_max_sleep_seconds,
        watch_sqlite=True,  # on SQLite, `serve --no-engine` in another process cannot NOTIFY
    )
    if once:
        engine.run_until_idle()
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # SIGUSR1 wakes the engine at once (handy for operators and for tests on SQLite)
    signal.signal(signal.SIGUSR1, lambda _s, _f: engine.wake())
    typer.echo("firehouse worker started", err=True)
    engine.start()
    try:
        stop.wait()
    finally:
        engine.stop()
    typer.echo("firehouse worker stopped", err=True)


def register(app: typer.Typer) -> None:
    app.command()(worker)
