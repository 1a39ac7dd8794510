"""The one settings class. Built once at start and passed down; never read at import time."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting is read from a `FIREHOUSE_`-prefixed environment variable.

    docs/configuration.md lists them all; a test checks that the two agree.
    """

    model_config = SettingsConfigDict(env_prefix="FIREHOUSE_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./firehouse.db",
        description="SQLAlchemy URL: `sqlite:///path.db` or `postgresql+psycopg://user@host/db`.",
    )
    host: str = Field(default="127.0.0.1", description="Address `firehouse serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `firehouse serve` binds to.")
    base_url: str = Field(
        default="",
        description="Public URL of this instance, used in links; defaults to http://HOST:PORT.",
    )
    admin_password: str | None = Field(
        default=None,
        description="Password for the `admin` user created on first start; random when unset.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Minimum level of log records."
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="`json` (one object per line) or `text` for humans."
    )
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="Lifetime of a browser session in hours."
    )
    cookie_secure: bool = Field(
        default=False, description="Mark cookies Secure; turn on behind HTTPS."
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL",
        description="SQLite `synchronous` pragma. FULL survives power loss; NORMAL only crashes.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="How long SQLite waits for the write lock, in ms."
    )
    db_pool_size: int = Field(
        default=10, ge=1, description="PostgreSQL connection pool size per process."
    )
    intake_writer: Literal["process", "thread"] = Field(
        default="process",
        description=(
            "Where alert intake's database work runs: `process`, a writer process of its own, "
            "so it does not slow the event loop that answers senders; `thread`, a thread of the "
            "serving process (one process in all, and what tests with a fake clock use)."
        ),
    )
    max_body_bytes: int = Field(
        default=512 * 1024, ge=1024, description="Largest request body accepted, in bytes."
    )
    auto_migrate: bool = Field(
        default=True, description="Apply pending migrations when `firehouse serve` starts."
    )
    login_failures_per_handle: int = Field(
        default=10,
        ge=1,
        description="Failed logins allowed per handle in `login_window_minutes` before 429.",
    )
    login_failures_per_address: int = Field(
        default=50,
        ge=1,
        description="Failed logins allowed per client address in the window before 429.",
    )
    login_window_minutes: int = Field(
        default=15, ge=1, description="The window the login rate limits count over, in minutes."
    )
    smtp_host: str = Field(
        default="", description="SMTP server for email notifications; empty: email is not sent."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    smtp_from: str = Field(
        default="firehouse@localhost", description="Sender address of notification emails."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, when it needs one.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the SMTP connection with STARTTLS before sending."
    )
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Give up on an SMTP connection or send after this long."
    )
    link_secret: str | None = Field(
        default=None,
        description="HMAC key signing one-click acknowledge/resolve links; generated and kept "
        "in the database when unset.",
    )
    link_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="How long one-click links stay valid, in hours."
    )
    webhook_secret: str | None = Field(
        default=None,
        description="HMAC key signing outgoing webhooks that have no key of their own; "
        "generated and kept in the database when unset.",
    )
    notify_retry_base_seconds: int = Field(
        default=30, ge=1, description="First retry delay of a failed notification; doubles."
    )
    notify_retry_max_seconds: int = Field(
        default=600, ge=1, description="Longest delay between two retries of a notification."
    )
    notify_fallback_after: int = Field(
        default=3, ge=1, description="Failed attempts before a page also goes to the next method."
    )
    notify_give_up_hours: int = Field(
        default=24, ge=1, description="Stop retrying a notification this long after it was due."
    )
    notify_per_minute: int = Field(
        default=10, ge=1, description="Most messages sent through one contact method per minute."
    )
    engine_max_sleep_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest the engine sleeps without being woken (a safety net).",
    )
    test_clock_file: str | None = Field(
        default=None,
        description="Tests only: a file holding seconds to add to the real clock.",
    )

    status_export_dir: str | None = Field(
        default=None,
        description="Directory the public status page is re-exported to (static files) on "
        "every change; unset: no automatic export.",
    )
    status_confirm_window_minutes: int = Field(
        default=60,
        ge=1,
        description="A repeated status-page subscribe request inside this window sends no "
        "second confirmation mail.",
    )
    update_escalate_minutes: int = Field(
        default=10,
        ge=1,
        description="Minutes an overdue stakeholder update waits after reminding the "
        "communications lead before the incident manager is reminded too.",
    )

    def public_url(self) -> str:
        return self.base_url.rstrip("/") or f"http://{self.host}:{self.port}"
