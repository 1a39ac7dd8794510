"""How each channel sends: SMTP email (text and HTML), signed webhooks, and Apprise URLs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx

from firehouse.notify.appriseimport import load_apprise
from firehouse.notify.mailer import SendError, SmtpConfig, SmtpSession, build_email
from firehouse.notify.models import Channel

__all__ = ["Message", "SendError", "Senders", "SmtpConfig", "sign_webhook", "verify_webhook"]

log = logging.getLogger("firehouse.notify")

SIGNATURE_HEADER = "X-Firehouse-Signature"
TIMESTAMP_HEADER = "X-Firehouse-Timestamp"
DELIVERY_HEADER = "X-Firehouse-Delivery"


@dataclass(frozen=True)
class Message:
    id: int
    attempt_id: int
    channel: Channel
    target: str
    subject: str
    body_text: str
    body_html: str | None
    payload: Any
    secret: str | None
    now: datetime


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `"{timestamp}.{body}"`: receivers recompute it and reject
    old timestamps, so a captured request cannot be replayed later."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_webhook(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    try:
        expected = sign_webhook(secret, int(timestamp), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, signature)


class Senders:
    def __init__(self, *, smtp: SmtpConfig, http_timeout: float = 10.0) -> None:
        self.smtp = smtp
        self.http_timeout = http_timeout

    def send(self, message: Message) -> None:
        if message.channel == Channel.email:
            self.send_email(message)
        elif message.channel == Channel.webhook:
            self.send_webhook(message)
        else:
            self.send_apprise(message)

    def email(self, message: Message) -> EmailMessage:
        return build_email(
            self.smtp,
            notification_id=message.id,
            target=message.target,
            subject=message.subject,
            body_text=message.body_text,
            body_html=message.body_html,
            payload=message.payload,
            now=message.now,
        )

    def send_email(self, message: Message) -> None:
        with SmtpSession(self.smtp) as smtp:
            smtp.send(self.email(message))

    def send_emails(self, messages: Iterable[Message]) -> tuple[dict[int, str | None], int]:
        """Send emails over one reused connection. Returns each message's error (None when the
        server took it) and how many connections it took."""
        results: dict[int, str | None] = {}
        with SmtpSession(self.smtp) as smtp:
            for message in messages:
                try:
                    smtp.send(self.email(message))
                except SendError as exc:
                    results[message.id] = str(exc)
                except Exception as exc:  # a bad message must not lose the others
                    log.exception("notification %s: unexpected error", message.id)
                    results[message.id] = f"{type(exc).__name__}: {exc}"
                else:
                    results[message.id] = None
        return results, smtp.connections

    def send_webhook(self, message: Message) -> None:
        body_obj = message.payload
        if body_obj is None:
            body_obj = {"subject": message.subject, "text": message.body_text}
        body = json.dumps(body_obj, separators=(",", ":"), default=str).encode()
        timestamp = int(message.now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "firehouse",
            TIMESTAMP_HEADER: str(timestamp),
            DELIVERY_HEADER: str(message.id),
        }
        if message.secret:
            headers[SIGNATURE_HEADER] = sign_webhook(message.secret, timestamp, body)
        try:
            response = httpx.post(
                message.target, content=body, headers=headers, timeout=self.http_timeout
            )
        except httpx.HTTPError as exc:
            raise SendError(f"webhook: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise SendError(f"webhook answered HTTP {response.status_code}")

    def send_apprise(self, message: Message) -> None:
        apprise = load_apprise()
        notifier = apprise.Apprise()
        if not notifier.add(message.target):
            raise SendError("Apprise does not understand this URL")
        capture: Any = apprise.LogCapture
        with capture(level=logging.WARNING) as captured:
            ok = notifier.notify(title=message.subject, body=message.body_text)
        if not ok:
            detail = captured.getvalue().strip().splitlines() if captured else []
            raise SendError("Apprise: " + (detail[-1] if detail else "the service refused it"))
