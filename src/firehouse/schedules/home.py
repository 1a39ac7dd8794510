"""The home page's "on call now and next" section (see firehouse.web.home)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.people.models import Team, User
from firehouse.schedules import compute
from firehouse.schedules.lookups import list_schedules, spec

if TYPE_CHECKING:
    from firehouse.web.home import HomeRow

LOOKAHEAD = timedelta(days=35)  # the longest rotation people keep on a home page


def _names(session: Session, ids: Iterable[int], actor: Actor) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all()
    return {uid: "you" if uid == actor.user_id else name for uid, name in rows}


def _who(user_ids: tuple[int, ...], names: dict[int, str]) -> str:
    return ", ".join(names.get(uid, "?") for uid in user_ids) or "nobody"


def home_rows(session: Session, *, actor: Actor, now: datetime) -> list[HomeRow]:
    """Per schedule (grouped by team): who is on call now, who is next and when they take over."""
    from firehouse.web.home import HomeRow  # the web layer imports domains, not the reverse

    schedules = list_schedules(session)
    teams = {
        t.id: t.name
        for t in session.scalars(
            select(Team).where(Team.id.in_({s.team_id for s in schedules if s.team_id}))
        )
    }
    found: list[tuple[str, int, tuple[int, ...], compute.Shift | None]] = []
    for schedule in schedules:
        shifts = compute.final_schedule(
            spec(session, schedule, now, now + LOOKAHEAD), now, now + LOOKAHEAD
        )
        current = shifts[0].user_ids if shifts and shifts[0].start <= now else ()
        following = next((s for s in shifts if s.start > now and s.user_ids != current), None)
        team = teams.get(schedule.team_id) if schedule.team_id else None
        title = f"{team} · {schedule.name}" if team else schedule.name
        found.append((title, schedule.id, current, following))
    names = _names(
        session,
        [uid for _, _, current, _ in found for uid in current]
        + [uid for _, _, _, following in found if following for uid in following.user_ids],
        actor,
    )
    rows = []
    for title, schedule_id, current, following in sorted(found, key=lambda f: f[0].lower()):
        detail = f"Now: {_who(current, names)}"
        if following is not None:
            detail += f" · Next: {_who(following.user_ids, names)} from"
        rows.append(
            HomeRow(
                title=title,
                detail=detail,
                href=f"/oncall?schedule={schedule_id}",
                when=following.start if following else None,
                urgent=not current,
            )
        )
    return rows
