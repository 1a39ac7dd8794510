"""Email over SMTP: building a message (with the list headers a payload may ask for) and a
connection reused for a whole batch, reopened when the server drops it."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

log = logging.getLogger("firehouse.notify")

# headers a payload may set (RFC 2369 / 8058 list headers, RFC 3834); nothing that routes mail
ALLOWED_HEADERS = {
    name.lower(): name
    for name in (
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "List-Id",
        "Auto-Submitted",
        "Precedence",
    )
}
MAX_HEADER_VALUE = 2000


class SendError(Exception):
    """The peer did not accept the message; the text says why (kept in the delivery log)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "firehouse@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0
    # many servers close a session after ~100 messages; open a fresh one before that
    max_per_connection: int = 100


def extra_headers(payload: Any) -> dict[str, str]:
    """The allowed headers of `payload["headers"]`; any other name, a value that is not a
    string, or a value with CR/LF (header injection) is dropped with a warning."""
    if not isinstance(payload, Mapping):
        return {}
    wanted = payload.get("headers")
    if not isinstance(wanted, Mapping):
        return {}
    chosen: dict[str, str] = {}
    for name, value in wanted.items():
        canonical = ALLOWED_HEADERS.get(str(name).lower())
        if canonical is None:
            log.warning("email header %r is not allowed; dropped", name)
            continue
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            log.warning("email header %s has an unsafe value; dropped", canonical)
            continue
        if not value.strip() or len(value) > MAX_HEADER_VALUE:
            log.warning("email header %s is empty or too long; dropped", canonical)
            continue
        chosen[canonical] = value.strip()
    return chosen


def build_email(
    config: SmtpConfig,
    *,
    notification_id: int,
    target: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    payload: Any,
    now: datetime,
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = config.sender
    email["To"] = target
    email["Subject"] = subject
    email["Date"] = format_datetime(now)
    # the same id on every try: a client can drop the copy a crash mid-send re-sent
    domain = config.sender.rpartition("@")[2] or "firehouse"
    email["Message-ID"] = f"<firehouse.notification.{notification_id}@{domain}>"
    email["X-Firehouse-Notification"] = str(notification_id)
    for name, value in extra_headers(payload).items():
        email[name] = value
    email.set_content(body_text)
    if body_html:
        email.add_alternative(body_html, subtype="html")
    return email


class SmtpSession:
    """One SMTP connection for many messages. A message the server refuses fails alone; a
    dropped connection is reopened once per message (a reused connection may have gone idle)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.client: smtplib.SMTP | None = None
        self.sent_on_connection = 0
        self.connections = 0
        # the server could not be reached: fail the rest of the batch at once, not a timeout each
        self.unreachable: str | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    def _where(self) -> str:
        return f"SMTP {self.config.host}:{self.config.port}"

    def _open(self) -> smtplib.SMTP:
        if not self.config.host:
            raise SendError("SMTP is not configured (FIREHOUSE_SMTP_HOST)")
        if self.unreachable is not None:
            raise SendError(self.unreachable)
        if self.client is not None and self.sent_on_connection >= self.config.max_per_connection:
            self.close()
        if self.client is None:
            try:
                client = smtplib.SMTP(
                    self.config.host, self.config.port, timeout=self.config.timeout
                )
                try:
                    if self.config.starttls:
                        client.starttls()
                    if self.config.username:
                        client.login(self.config.username, self.config.password or "")
                except BaseException:
                    client.close()
                    raise
            except (OSError, smtplib.SMTPException) as exc:
                self.unreachable = f"{self._where()}: {exc}"
                raise SendError(self.unreachable) from exc
            self.client = client
            self.sent_on_connection = 0
            self.connections += 1
        return self.client

    def send(self, email: EmailMessage) -> None:
        reused = self.client is not None
        client = self._open()
        try:
            refused = client.send_message(email)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            raise SendError(f"{self._where()}: {exc}") from exc
        except (smtplib.SMTPDataError, smtplib.SMTPResponseException) as exc:
            # the server answered: the session is still usable for the next message
            if exc.smtp_code == 421:
                self.close()
            raise SendError(f"{self._where()}: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            if not reused:
                raise SendError(f"{self._where()}: {exc}") from exc
            return self.send(email)  # the kept connection had gone away: once more, fresh
        self.sent_on_connection += 1
        if refused:
            raise SendError(f"{self._where()} refused recipients: {refused}")
