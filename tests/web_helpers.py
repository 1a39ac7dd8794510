"""Helpers for the web UI tests: log a TestClient in through the login form, read the CSRF
token off a page, and run the app on a real loopback server (uvicorn in a thread)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi.testclient import TestClient

from firehouse.web.http import CoalescingHttpToolsProtocol
from tests.conftest import PASSWORD


def login(client: TestClient, handle: str, password: str = PASSWORD) -> str:
    """Log in like a browser; returns the session's CSRF token."""
    client.cookies.clear()
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "handle": handle,
            "password": password,
            "csrf_token": client.cookies.get("fh_login_csrf") or "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """The app on a real HTTP server on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        http=CoalescingHttpToolsProtocol,  # as `firehouse serve` runs
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="firehouse-test-server", daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(500):
        if server.started:
            started.set()
            break
        thread.join(0.01)
    assert started.is_set(), "the test server did not start"
    base = f"http://127.0.0.1:{port}"
    # FastAPI builds each route's state on the first request that walks past it (0.6 s on a
    # quiet machine, over 5 s beside a busy suite): pay it here, not inside a test's timeout
    httpx.get(f"{base}/no-such-page", timeout=120)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)
