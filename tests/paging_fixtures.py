"""Fixtures shared by the engine, escalation and notification tests (imported by them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.escalation import jobs as escalation_jobs
from firehouse.notify import jobs as notify_jobs
from firehouse.settings import Settings
from tests.paging_peers import HttpReceiver, SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def paging_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_timeout_seconds": 5.0,
            "base_url": "http://testserver",
        }
    )


@pytest.fixture
def engine(database: Database, paging_settings: Settings) -> Engine:
    # this domain's jobs only: escalation first, so an acknowledged page is canceled before
    # the delivery job would send it
    jobs = [*escalation_jobs.jobs(paging_settings), *notify_jobs.jobs(paging_settings)]
    return Engine(database, jobs=jobs)


def run_for(engine: Engine, clock: FrozenClock, minutes: int, step: int = 1) -> None:
    """Fast-forward `minutes`, running the engine after every `step` minutes."""
    engine.run_until_idle()
    for _ in range(0, minutes, step):
        clock.advance(timedelta(minutes=step))
        engine.run_until_idle()
