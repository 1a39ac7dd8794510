"""Helpers for the communication tests: a real SMTP server (aiosmtpd), an HTTP receiver for
webhooks, an engine with the outbox and status-page jobs, and status-page objects."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.notify import jobs as notify_jobs
from firehouse.settings import Settings
from firehouse.statuspage import jobs as status_jobs
from tests.conftest import Person


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Mailbox:
    """aiosmtpd handler keeping every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox
    controller: Controller


def start_smtp() -> SmtpServer:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpServer(port, mailbox, controller)


@dataclass
class Receiver:
    """A real HTTP server thread that records webhook deliveries."""

    port: int
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


def start_receiver() -> Receiver:
    receiver = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(
                {"headers": dict(self.headers.items()), "body": body, "json": json.loads(body)}
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    receiver.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def mail_settings(settings: Settings, port: int, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_from": "status@example.com",
            "base_url": "https://status.example.com",
            **extra,
        }
    )


def make_engine(database: Database, settings: Settings) -> Engine:
    from firehouse.updates import jobs as updates_jobs

    return Engine(
        database,
        jobs=[
            *status_jobs.jobs(settings),
            *updates_jobs.jobs(settings),
            *notify_jobs.jobs(settings),
        ],
        listen=False,
    )


def component(client: TestClient, who: Person, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/statuspage/components", json={"name": name, **fields}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def publish(
    client: TestClient, who: Person, *, title: str, body: str, **fields: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/statuspage/incidents",
        json={"title": title, "body": body, **fields},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
