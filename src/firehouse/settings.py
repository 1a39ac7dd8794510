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
    max_body_bytes: int = Field(
        default=512 * 1024, ge=1024, description="Largest request body accepted, in bytes."
    )
    auto_migrate: bool = Field(
        default=True, description="Apply pending migrations when `firehouse serve` starts."
    )

    def public_url(self) -> str:
        return self.base_url.rstrip("/") or f"http://{self.host}:{self.port}"
