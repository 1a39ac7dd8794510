"""Sender endpoints are answered in front of the application's middleware stack (`fastpath`),
and `firehouse serve` joins each response's writes into one (`web.http`). What every other
request gets must still hold for them: a request id, the body limit, security headers, a JSON
500; and the HTTP stream must stay whole."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import Response

from firehouse.alerts import fastpath
from firehouse.db import Database
from firehouse.settings import Settings
from firehouse.web.http import CoalescingTransport
from tests.alerts_helpers import am_alert, make_integration
from tests.conftest import Person
from tests.web_helpers import serve


def alert_count(client: TestClient, who: Person) -> int:
    response = client.get("/api/v1/alerts", headers=who.headers)
    assert response.status_code == 200, response.text
    return len(response.json())


def test_sender_answers_carry_the_request_id_and_security_headers(
    client: TestClient, database: Database
) -> None:
    _, key = make_integration(database)
    auth = {"Authorization": f"Bearer {key}"}
    alerts = [{"labels": am_alert()["labels"]}]
    traced = client.post("/api/v2/alerts", json=alerts, headers={**auth, "X-Request-ID": "am-1"})
    assert traced.status_code == 200
    assert traced.headers["X-Request-ID"] == "am-1"
    assert traced.headers["X-Content-Type-Options"] == "nosniff"
    assert traced.headers["X-Frame-Options"] == "DENY"
    first = client.post("/api/v2/alerts", json=alerts, headers=auth).headers["X-Request-ID"]
    second = client.post("/api/v2/alerts", json=alerts, headers=auth).headers["X-Request-ID"]
    assert first
    assert second
    assert first != second


def test_a_chunked_sender_body_over_the_limit_is_413_and_stores_nothing(
    client: TestClient, database: Database, admin: Person, settings: Settings
) -> None:
    """No Content-Length to refuse up front: the limit applies while the front reads."""
    _, key = make_integration(database, type="generic")

    def chunks() -> Iterator[bytes]:
        yield b'{"summary": "big", "details": {"blob": "'
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b"y" * 1024
        yield b'"}}'

    response = client.post(
        f"/integrations/{key}/generic",
        content=chunks(),
        headers={"Content-Type": "application/json", "X-Request-ID": "big-1"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.headers["X-Request-ID"] == "big-1"
    assert alert_count(client, admin) == 0


def test_other_methods_on_sender_paths_reach_the_application(client: TestClient) -> None:
    response = client.get("/api/v2/alerts")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert client.post("/integrations/k/nothing").status_code == 404
    assert client.post("/integrations//alertmanager").status_code == 404


def test_an_unexpected_error_in_a_sender_handler_is_a_500_naming_the_request(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    monkeypatch.setitem(fastpath.EXACT, "/v2/broken", broken)
    response = client.post("/v2/broken", json={}, headers={"X-Request-ID": "bug-1"})
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "internal",
        "message": "internal error",
        "details": {"request_id": "bug-1"},
    }
    assert response.headers["X-Request-ID"] == "bug-1"


# -- the HTTP protocol `firehouse serve` runs


def read_response(sock: socket.socket, pending: bytes) -> tuple[int, bytes, bytes]:
    """One HTTP/1.1 response with a Content-Length off the socket: status, body, leftover."""
    data = pending
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed mid-response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed mid-body"
        rest += chunk
    return status, rest[:length], rest[length:]


def post(path: str, body: bytes, key: str, *, close: bool = False) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: firehouse\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    ).encode() + body


def test_keep_alive_pipelined_and_closing_requests_get_whole_answers(
    app: Any, database: Database
) -> None:
    _, key = make_integration(database)
    body = b'[{"labels": {"alertname": "Pipe", "service": "web"}}]'
    with serve(app) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            pending = b""
            for _ in range(20):  # one after another on one connection
                sock.sendall(post("/api/v2/alerts", body, key))
                status, answer, pending = read_response(sock, pending)
                assert (status, answer) == (200, b"")
            # three at once, the last asking to close: each answered whole, in order
            sock.sendall(
                post("/api/v2/alerts", body, key)
                + post("/api/v2/alerts", b"{", key)
                + post("/api/v2/alerts", body, key, close=True)
            )
            statuses = []
            for _ in range(3):
                status, answer, pending = read_response(sock, pending)
                statuses.append(status)
            assert statuses == [200, 400, 200]
            assert pending == b""
            assert sock.recv(1) == b""


class RecordingTransport(asyncio.Transport):
    """Stands in for the socket's transport: records what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def test_writes_in_one_turn_of_the_loop_reach_the_socket_as_one() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        inner = RecordingTransport()
        transport = CoalescingTransport(inner, loop)
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"ok")
        assert inner.writes == []  # not yet: the loop has not come round
        await asyncio.sleep(0)
        assert inner.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
        transport.write(b"data: 1\n\n")  # a stream's next event leaves on the next turn
        await asyncio.sleep(0)
        assert inner.writes[-1] == b"data: 1\n\n"
        transport.write(b"last words")
        transport.close()  # what was written before close goes out before it
        assert inner.writes[-1] == b"last words"
        assert inner.closed
        await asyncio.sleep(0)
        assert len(inner.writes) == 3

    asyncio.run(scenario())
