"""Users and teams."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CursorResult, Result, delete, func, select, update
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.auth.models import ApiToken, WebSession
from firehouse.errors import Conflict, Invalid, NotFound
from firehouse.people.models import Role, Team, TeamMember, User

HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def user_snapshot(user: User) -> dict[str, Any]:
    return {
        "handle": user.handle,
        "name": user.name,
        "email": user.email,
        "timezone": user.timezone,
        "role": user.role.value,
        "active": user.active,
    }


def check_timezone(name: str, *, field: str = "timezone") -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"unknown IANA time zone {name!r}", field=field) from exc
    return name


def check_handle(handle: str, *, field: str = "handle") -> str:
    if not HANDLE_RE.match(handle):
        raise Invalid("a handle is 1-64 lowercase letters, digits, '.', '_' or '-'", field=field)
    return handle


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def find_user(session: Session, handle: str, *, field: str | None = None) -> User:
    """By handle. Named in a request body (`field`), an unknown handle is invalid input."""
    user = session.scalar(select(User).where(User.handle == handle))
    if user is None:
        if field is not None:
            raise Invalid(f"no user with handle {handle!r}", field=field)
        raise NotFound(f"no user with handle {handle!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.handle)).all())


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def create_user(
    session: Session,
    *,
    actor: Actor,
    handle: str,
    name: str,
    email: str,
    role: Role,
    timezone: str = "UTC",
    password_hash: str | None = None,
) -> User:
    check_handle(handle)
    check_timezone(timezone)
    if session.scalar(select(User.id).where(User.handle == handle)) is not None:
        raise Conflict(f"handle {handle!r} is taken", details={"field": "handle"})
    if session.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None:
        raise Conflict(f"email {email!r} is taken", details={"field": "email"})
    user = User(
        handle=handle,
        name=name,
        email=email,
        role=role,
        timezone=timezone,
        password_hash=password_hash,
        active=True,
        created_at=clock.now(session),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.id,
        after=user_snapshot(user),
    )
    return user


def update_user(session: Session, *, actor: Actor, user_id: int, changes: dict[str, Any]) -> User:
    user = get_user(session, user_id)
    before = user_snapshot(user)
    if "timezone" in changes:
        check_timezone(changes["timezone"])
    if "email" in changes and changes["email"].lower() != user.email.lower():
        taken = session.scalar(
            select(User.id).where(func.lower(User.email) == changes["email"].lower())
        )
        if taken is not None:
            raise Conflict(f"email {changes['email']!r} is taken", details={"field": "email"})
    deactivating = changes.get("active") is False and user.active
    if deactivating:
        check_removable(session, actor=actor, user=user)
    for key in ("name", "email", "timezone", "role", "active"):
        if key in changes:
            setattr(user, key, changes[key])
    after: dict[str, Any] = user_snapshot(user)
    if deactivating:
        after.update(revoke_access(session, user))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.update",
        target_type="user",
        target_id=user.id,
        before=before,
        after=after,
    )
    return user


def check_removable(session: Session, *, actor: Actor, user: User) -> None:
    """409 when taking `user` away would leave a hole: themselves, the last admin, or someone
    still in an on-call rotation or escalation policy (the message says where)."""
    if actor.user_id == user.id:
        raise Conflict("you cannot deactivate yourself; ask another admin")
    if user.role == Role.admin:
        others = session.scalar(
            select(func.count(User.id)).where(
                User.role == Role.admin, User.active.is_(True), User.id != user.id
            )
        )
        if not others:
            raise Conflict(f"{user.handle} is the last active admin")
    try:
        # lazily: escalation and schedules build on people, not the other way round
        from firehouse.escalation.service import check_user_removable
    except ImportError:
        check_user_removable = _check_schedules_only
    check_user_removable(session, user_id=user.id)


def _check_schedules_only(session: Session, *, user_id: int) -> None:
    from firehouse.schedules.service import schedules_referencing_user

    places = schedules_referencing_user(session, user_id)
    if places:
        raise Conflict(
            f"this person is still on call: {'; '.join(places)}", details={"places": places}
        )


def _affected(result: Result[Any]) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def revoke_access(session: Session, user: User) -> dict[str, Any]:
    """Take a person out of every team and end their API tokens and browser sessions."""
    teams = sorted(m.team.slug for m in user.memberships)
    for membership in list(user.memberships):
        session.delete(membership)
    tokens = _affected(
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=clock.now(session))
        )
    )
    sessions = _affected(session.execute(delete(WebSession).where(WebSession.user_id == user.id)))
    session.flush()
    session.expire(user, ["memberships"])
    return {"removed_from_teams": teams, "tokens_revoked": tokens, "sessions_ended": sessions}


def deactivate_user(session: Session, *, actor: Actor, user_id: int) -> User:
    """Remove a person: they stay in the record (incidents, audit) but can no longer sign in,
    use a token, or be on a team. Refused (409, saying where) while they are on call."""
    require_writer(actor, Role.admin)
    user = get_user(session, user_id)
    if not user.active:
        return user
    check_removable(session, actor=actor, user=user)
    before = user_snapshot(user)
    user.active = False
    after = {**user_snapshot(user), **revoke_access(session, user)}
    audit.record(
        session,
        actor=actor,
        action="user.deactivate",
        target_type="user",
        target_id=user.id,
        before=before,
        after=after,
    )
    return user


def team_ids_of(session: Session, user_id: int) -> frozenset[int]:
    rows = session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id))
    return frozenset(rows.all())


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"no team {team_id}")
    return team


def find_team(session: Session, slug: str, *, field: str | None = None) -> Team:
    """By slug. Named in a request body (`field`), an unknown slug is invalid input."""
    team = session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        if field is not None:
            raise Invalid(f"no team {slug!r}", field=field)
        raise NotFound(f"no team {slug!r}")
    return team


def list_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)).all())


def create_team(
    session: Session, *, actor: Actor, slug: str, name: str, description: str = ""
) -> Team:
    check_handle(slug, field="slug")
    if session.scalar(select(Team.id).where(Team.slug == slug)) is not None:
        raise Conflict(f"team {slug!r} exists", details={"field": "slug"})
    team = Team(slug=slug, name=name, description=description, created_at=clock.now(session))
    session.add(team)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="team.create",
        target_type="team",
        target_id=team.id,
        after={"slug": slug, "name": name},
    )
    return team


def add_member(
    session: Session, *, actor: Actor, team_id: int, user_id: int, is_manager: bool = False
) -> TeamMember:
    team = get_team(session, team_id)
    user = get_user(session, user_id)
    existing = session.scalar(
        select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id)
    )
    if existing is not None:
        raise Conflict(f"{user.handle} is already in {team.slug}")
    member = TeamMember(team_id=team.id, user_id=user.id, is_manager=is_manager)
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="team.member.add",
        target_type="team",
        target_id=team.id,
        after={"user": user.handle, "is_manager": is_manager},
    )
    return member


def remove_member(session: Session, *, actor: Actor, team_id: int, user_id: int) -> None:
    member = session.scalar(
        select(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
    )
    if member is None:
        raise NotFound("that user is not a member of this team")
    session.delete(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="team.member.remove",
        target_type="team",
        target_id=team_id,
        before={"user_id": user_id},
    )
