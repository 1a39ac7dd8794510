"""`firehouse serve` as a user starts it: a first start on an empty SQLite file migrates, makes
the admin and prints the password once (the database is prepared in a forked process while the
app is built); a later start prints no password; a bad admin password fails with a clear error."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.web_helpers import free_port


def _start(db: Path, port: int, log: Path, **env: str) -> subprocess.Popen[bytes]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FIREHOUSE_")}
    full_env = {
        **inherited,
        "FIREHOUSE_DATABASE_URL": f"sqlite:///{db}",
        "FIREHOUSE_PORT": str(port),
        **env,
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "firehouse", "serve"],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> httpx.Response:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        assert process.poll() is None, log.read_text()
        time.sleep(0.05)
    raise AssertionError(f"not ready in time: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def _log_in(port: int, password: str) -> int:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "handle": "admin",
                "password": password,
                "csrf_token": client.cookies.get("fh_login_csrf") or "",
            },
        )
        return response.status_code


@pytest.mark.slow
def test_first_start_prints_a_password_that_logs_in_and_a_restart_does_not(
    tmp_path: Path,
) -> None:
    db, log = tmp_path / "firehouse.db", tmp_path / "serve.log"
    port = free_port()
    process = _start(db, port, log)
    try:
        ready = _wait_ready(process, port, log)
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok"}
        output = log.read_text()
        assert "First start: log in at" in output
        password = output.split("with password: ")[1].split()[0]
        assert _log_in(port, password) == 303
        assert _log_in(port, password + "x") != 303
    finally:
        _stop(process)

    port = free_port()
    process = _start(db, port, log)
    try:
        _wait_ready(process, port, log)
        output = log.read_text()
        assert "with password:" not in output
        assert f"Log in at http://127.0.0.1:{port}/login" in output
        assert _log_in(port, password) == 303
    finally:
        _stop(process)


def test_a_first_start_with_a_too_short_admin_password_fails_clearly(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    process = _start(tmp_path / "firehouse.db", free_port(), log, FIREHOUSE_ADMIN_PASSWORD="short")
    assert process.wait(timeout=90) == 1
    output = log.read_text()
    assert "error: could not prepare the database" in output
    assert "at least 10 characters" in output
