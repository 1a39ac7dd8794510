"""The on-call page: who is on call now and at any time, each schedule drawn as a timeline
(its layers and the final result, two weeks ahead), and overrides made by picking a range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.api.deps import Principal, UnitOfWork
from firehouse.errors import AppError, Invalid
from firehouse.people import service as people
from firehouse.schedules import compute, lookups, overrides, present
from firehouse.schedules.models import Schedule
from firehouse.web.deps import PagePrincipal, attempt, render

router = APIRouter(include_in_schema=False)
AHEAD = timedelta(days=14)
WIDTH = 1000  # the timeline's drawing width (SVG user units)


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str
    fill: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Row:
    name: str
    bars: list[Bar]


def _fill(user_ids: tuple[int, ...]) -> str:
    hue = (sum(user_ids) * 137) % 360
    return f"hsl({hue}, 55%, 55%)"


def _bars(
    session: Session, pieces: list[tuple[datetime, datetime, tuple[int, ...]]], start: datetime
) -> list[Bar]:
    refs = present.users_by_id(session, (u for _, _, users in pieces for u in users))
    scale = WIDTH / AHEAD.total_seconds()
    return [
        Bar(
            x=round((a - start).total_seconds() * scale, 2),
            width=max(round((b - a).total_seconds() * scale, 2), 0.5),
            label=", ".join(refs[u].name if u in refs else str(u) for u in users),
            fill=_fill(users),
            start=a,
            end=b,
        )
        for a, b, users in pieces
    ]


def _timeline(session: Session, schedule: Schedule, start: datetime) -> list[Row]:
    end = start + AHEAD
    model = lookups.spec(session, schedule, start, end)
    rows = []
    ordered = sorted(schedule.layers, key=lambda x: (x.position, x.id))  # as in lookups.spec
    for layer, layer_row in zip(model.layers, ordered, strict=True):
        shifts = compute.layer_shifts(model, layer, start, end)
        pieces = [(i.start, i.end, i.user_ids) for i in shifts]
        rows.append(Row(layer_row.name, _bars(session, pieces, start)))
    rows.reverse()  # the top layer first, as it wins
    final = compute.final_schedule(model, start, end)
    rows.append(Row("Final", _bars(session, [(s.start, s.end, s.user_ids) for s in final], start)))
    return rows


def _parse_local(value: str, zone: str, field: str) -> datetime:
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("give a date and time", field=field) from None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=compute.zone(zone)).astimezone(UTC)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    schedule_id: int | None,
    at: str | None,
    pick: tuple[str | None, str | None],
    problem: str | None = None,
    status: int = 200,
) -> Response:
    now = clock.now(session)
    viewer_tz = principal.user.timezone or "UTC"
    schedules = lookups.list_schedules(session)
    first = schedules[0] if schedules else None
    chosen = next((s for s in schedules if s.id == schedule_id), first)
    lookup_at = _parse_local(at, viewer_tz, "at") if at else now
    on_call = []
    for schedule in schedules:
        shift = lookups.current_shift(session, schedule, lookup_at)
        team = present.team_of(session, schedule.team_id)
        refs = present.users_by_id(session, shift.user_ids if shift else ())
        on_call.append(
            {
                "schedule": schedule,
                "team": team.name if team else "",
                "people": [refs[u].name for u in (shift.user_ids if shift else ()) if u in refs],
                "until": shift.end if shift else None,
            }
        )
    context: dict[str, Any] = {
        "section": "oncall",
        "now": now,
        "viewer_tz": viewer_tz,
        "schedules": schedules,
        "chosen": chosen,
        "on_call": on_call,
        "lookup_at": lookup_at,
        "at": at or "",
        "problem": problem,
        "width": WIDTH,
    }
    if chosen is not None:
        start = now.replace(minute=0, second=0, microsecond=0)
        final = compute.final_schedule(
            lookups.spec(session, chosen, start, start + AHEAD), start, start + AHEAD
        )
        tz = compute.zone(chosen.timezone)
        days = []
        day = start.astimezone(tz).date() + timedelta(days=1)
        while (tick := compute.local_to_utc(day, datetime.min.time(), tz)) < start + AHEAD:
            x = round((tick - start).total_seconds() * WIDTH / AHEAD.total_seconds(), 2)
            days.append({"x": x, "label": day.strftime("%a %d")})
            day += timedelta(days=1)

        def pick_value(value: str | None, default: datetime) -> str:
            return value or default.astimezone(tz).strftime("%Y-%m-%dT%H:%M")

        context |= {
            "rows": _timeline(session, chosen, start),
            "days": days,
            "final": present.shifts_read(session, chosen, final),
            "upcoming": present.overrides_read(
                session, lookups.overrides_between(session, chosen.id, now, now + AHEAD * 4)
            ),
            "users": [u for u in people.list_users(session) if u.active],
            "pick_start": pick_value(pick[0], start + timedelta(hours=1)),
            "pick_end": pick_value(pick[1], start + timedelta(hours=9)),
        }
    return render(request, "schedules/oncall.html", principal, context, status=status)


@router.get("/oncall", response_class=HTMLResponse)
def oncall_page(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    schedule: int | None = None,
    at: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    try:
        return _page(request, session, principal, schedule_id=schedule, at=at, pick=(start, end))
    except Invalid as exc:
        return _page(
            request, session, principal, schedule_id=schedule, at=None, pick=(None, None),
            problem=exc.message, status=422,
        )  # fmt: skip


@router.post("/oncall/{schedule_id}/overrides", response_class=HTMLResponse)
def add_override(
    schedule_id: int,
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    user: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    replaces: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    schedule = lookups.get_schedule(session, schedule_id)
    try:
        with attempt(session):
            overrides.create_override(
                session,
                actor=principal.actor,
                schedule_id=schedule.id,
                user=user,
                replaces=replaces or None,
                start=_parse_local(start, schedule.timezone, "start"),
                end=_parse_local(end, schedule.timezone, "end"),
                note=note,
            )
    except AppError as exc:
        return _page(
            request, session, principal, schedule_id=schedule.id, at=None, pick=(start, end),
            problem=exc.message, status=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/oncall?schedule={schedule.id}", status_code=303)
