"""Passwords, API tokens and browser sessions."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor
from firehouse.audit import service as audit
from firehouse.auth.models import ApiToken, TokenScope, WebSession
from firehouse.errors import Invalid, NotFound, Unauthorized
from firehouse.people import service as people
from firehouse.people.models import Role, User

TOKEN_PREFIX = "fh_"  # noqa: S105 (a prefix, not a secret)
_hasher = PasswordHasher()
MIN_PASSWORD = 10


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this when the user does not exist keeps the timing the same. Made on
    first use: an argon2 hash costs about 0.1 s, which start-up should not pay."""
    return str(_hasher.hash("firehouse-timing-equaliser"))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    return str(_hasher.hash(password))


def check_password(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None else None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and stored is not None and user.active


def digest(secret: str) -> str:
    """Tokens are 256 random bits, so a fast hash is enough to store them safely."""
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def set_password(session: Session, *, actor: Actor, user_id: int, password: str) -> None:
    user = people.get_user(session, user_id)
    user.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit.record(
        session, actor=actor, action="user.password.set", target_type="user", target_id=user.id
    )


def parse_duration(text: str, *, field: str = "expires_in") -> timedelta:
    """`90d`, `12h`, `30m`, `2w`."""
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit() or int(text[:-1]) <= 0:
        raise Invalid("use a whole number and a unit: 30m, 12h, 90d or 2w", field=field)
    return timedelta(**{units[text[-1]]: int(text[:-1])})


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def create_token(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    name: str,
    scope: TokenScope,
    expires_in: timedelta | None,
) -> IssuedToken:
    user = people.get_user(session, user_id)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now(session)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        token_hash=digest(secret),
        scope=scope,
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.create",
        target_type="api_token",
        target_id=token.id,
        after={
            "user": user.handle,
            "name": name,
            "scope": scope.value,
            "prefix": token.prefix,
            "expires_at": token.expires_at,
        },
    )
    return IssuedToken(token, secret)


def list_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return list(session.scalars(query).all())


def revoke_token(session: Session, *, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and actor.role != Role.admin):
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = clock.now(session)
        audit.record(
            session,
            actor=actor,
            action="token.revoke",
            target_type="api_token",
            target_id=token.id,
        )
    return token


def authenticate_token(session: Session, secret: str) -> tuple[User, ApiToken]:
    """The token's user, or Unauthorized. Touches last_used_at at most once a minute."""
    # the token and its user in one query: this runs before every API request
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(secret))
    ).first()
    now = clock.now(session)
    if found is None or found[0].revoked_at is not None:
        raise Unauthorized("invalid or revoked token")
    token, user = found
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("token expired")
    if not user.active:
        raise Unauthorized("invalid or revoked token")
    return user, token


def token_needs_touch(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1)


@dataclass(frozen=True)
class NewSession:
    cookie: str
    csrf_token: str
    expires_at: datetime


def login(
    session: Session, *, handle: str, password: str, source: str | None, lifetime: timedelta
) -> tuple[User, NewSession]:
    """Check a password and open a browser session. The caller records failures (see api)."""
    user = session.scalar(select(User).where(User.handle == handle))
    if not check_password(user, password):
        raise Unauthorized("wrong handle or password")
    assert user is not None
    now = clock.now(session)
    cookie = secrets.token_urlsafe(32)
    web = WebSession(
        user_id=user.id,
        token_hash=digest(cookie),
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + lifetime,
        source=source,
    )
    session.add(web)
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    actor = Actor(user_id=user.id, handle=user.handle, role=user.role, source=source)
    audit.record(session, actor=actor, action="auth.login", target_type="user", target_id=user.id)
    return user, NewSession(cookie, web.csrf_token, web.expires_at)


def record_failed_login(session: Session, *, handle: str, source: str | None) -> None:
    known = session.scalar(select(User.id).where(User.handle == handle))
    actor = Actor(user_id=None, handle="anonymous", role=Role.viewer, source=source)
    audit.record(
        session,
        actor=actor,
        action="auth.login_failed",
        target_type="user",
        target_id=known,
        after={"handle": handle[:64]},
    )


def authenticate_session(session: Session, cookie: str) -> tuple[User, WebSession]:
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == digest(cookie))
    ).first()
    if found is None or found[0].expires_at <= clock.now(session):
        raise Unauthorized("not logged in")
    web, user = found
    if not user.active:
        raise Unauthorized("not logged in")
    return user, web


def logout(session: Session, *, actor: Actor, cookie: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == digest(cookie)))
    audit.record(
        session, actor=actor, action="auth.logout", target_type="user", target_id=actor.user_id
    )
