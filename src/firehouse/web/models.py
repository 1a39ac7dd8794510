"""Tables of the web domain: failed login attempts, kept so that rate limits survive restarts
and hold across every instance sharing the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from firehouse.db import Base, UTCDateTime


class LoginFailure(Base):
    """One failed login; `key` is `handle:<handle>` or `addr:<address>`."""

    __tablename__ = "web_login_failures"
    __table_args__ = (Index("ix_web_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
