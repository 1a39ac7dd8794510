"""Login rate limits, counted in the database so they survive restarts and hold across
every instance: failures per handle and per client address within a sliding window."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.errors import RateLimited
from firehouse.web.models import LoginFailure


def _keys(handle: str, source: str | None) -> list[tuple[str, str]]:
    keys = [("handle", f"handle:{handle.strip().lower()[:64]}")]
    if source:
        keys.append(("address", f"addr:{source[:64]}"))
    return keys


def check_login_allowed(
    session: Session,
    *,
    handle: str,
    source: str | None,
    per_handle: int,
    per_address: int,
    window: timedelta,
) -> None:
    """RateLimited when the handle or the address has used up its failures in the window."""
    now = clock.now(session)
    since = now - window
    for what, key in _keys(handle, source):
        limit = per_handle if what == "handle" else per_address
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                LoginFailure.key == key, LoginFailure.at > since
            )
        ).one()
        if count >= limit:
            wait = max(1, math.ceil(((oldest + window) - now).total_seconds()))
            minutes = math.ceil(wait / 60)
            raise RateLimited(
                f"Too many failed logins for this {what}. Try again in {minutes} minute"
                + ("s." if minutes != 1 else "."),
                retry_after=wait,
            )


def record_login_failure(
    session: Session, *, handle: str, source: str | None, window: timedelta
) -> None:
    now = clock.now(session)
    for _, key in _keys(handle, source):
        session.add(LoginFailure(key=key, at=now))
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - window))


def clear_login_failures(session: Session, *, handle: str) -> None:
    key = _keys(handle, None)[0][1]
    session.execute(delete(LoginFailure).where(LoginFailure.key == key))
