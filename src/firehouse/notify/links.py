"""One-click acknowledge/resolve links: signed (HMAC-SHA256), expiring and single-use.

A token is `base64url(json payload) + "." + base64url(hmac)`. The payload names the incident,
the action, the person it was sent to, an expiry and a random nonce; using it records the nonce
so the same link cannot act twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.errors import Conflict, NotFound
from firehouse.notify.models import NotifyState, UsedLink

ACTIONS = ("acknowledge", "resolve")


def state_secret(session: Session, name: str) -> str:
    """A random secret kept in the database, made on first use (same for every process)."""
    row = session.get(NotifyState, name)
    if row is not None:
        return row.value
    value = secrets.token_urlsafe(32)
    try:
        with session.begin_nested():
            session.add(NotifyState(name=name, value=value))
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(NotifyState.value).where(NotifyState.name == name))
        if existing is None:
            raise
        return existing
    return value


def link_secret(session: Session, configured: str | None) -> bytes:
    return (configured or state_secret(session, "link_secret")).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class LinkClaim:
    incident_id: int
    action: str
    user_id: int | None
    expires_at: datetime
    nonce: str


def make_token(
    secret: bytes,
    *,
    incident_id: int,
    action: str,
    user_id: int | None,
    now: datetime,
    lifetime: timedelta,
) -> str:
    if action not in ACTIONS:
        raise ValueError(action)
    body = {
        "i": incident_id,
        "a": action,
        "u": user_id,
        "e": int((now + lifetime).timestamp()),
        "n": secrets.token_urlsafe(12),
    }
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac.new(secret, raw, hashlib.sha256).digest()
    return f"{_b64(raw)}.{_b64(signature)}"


def read_token(secret: bytes, token: str, *, now: datetime) -> LinkClaim:
    """The claim of a genuine, unexpired token; NotFound for anything else (say nothing more)."""
    try:
        raw_b64, sig_b64 = token.split(".", 1)
        raw = _unb64(raw_b64)
        signature = _unb64(sig_b64)
    except ValueError:
        raise NotFound("this link is not valid") from None
    expected = hmac.new(secret, raw, hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise NotFound("this link is not valid")
    body = json.loads(raw)
    claim = LinkClaim(
        incident_id=int(body["i"]),
        action=str(body["a"]),
        user_id=None if body.get("u") is None else int(body["u"]),
        expires_at=datetime.fromtimestamp(int(body["e"]), UTC),
        nonce=str(body["n"]),
    )
    if claim.expires_at <= now:
        raise Conflict("this link has expired; open the incident to act on it")
    return claim


def is_used(session: Session, claim: LinkClaim) -> bool:
    return session.get(UsedLink, claim.nonce) is not None


def use(session: Session, claim: LinkClaim) -> None:
    """Record the link as used, in the caller's transaction; 409 when it already was."""
    if is_used(session, claim):
        raise Conflict("this link was already used")
    session.add(UsedLink(nonce=claim.nonce, used_at=clock.now(session)))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("this link was already used") from None
