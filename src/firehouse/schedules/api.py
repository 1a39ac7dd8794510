"""Thin JSON routes over schedules, and the public iCal feeds (authenticated by their token)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime

from firehouse import clock
from firehouse.api.deps import CurrentActor, UnitOfWork, settings
from firehouse.people import service as people
from firehouse.schedules import feeds, history, lookups, overrides, present, schemas, service
from firehouse.schedules.models import Schedule

router = APIRouter(prefix="/api/v1", tags=["schedules"])
feeds_router = APIRouter(tags=["schedules"])

When = Annotated[AwareDatetime | None, Query(description="ISO 8601 with an offset; default now.")]
CALENDAR = "text/calendar; charset=utf-8"


def _range(
    session: Any, start: datetime | None, end: datetime | None, default: timedelta
) -> tuple[datetime, datetime]:
    start = start or clock.now(session)
    return start, end or start + default


def _definition(body: schemas.LayerIn) -> service.LayerDefinition:
    restrictions = body.restrictions
    return service.LayerDefinition(
        name=body.name,
        rotation=body.rotation,
        shift_length=body.shift_length,
        shift_unit=body.shift_unit,
        handoff_time=body.handoff_time,
        start_date=body.start_date,
        weekdays=list(restrictions.weekdays)
        if restrictions and restrictions.weekdays is not None
        else None,
        windows=[(w.start, w.end) for w in restrictions.windows] if restrictions else None,
        position=body.position,
    )


@router.get("/schedules", response_model=list[schemas.ScheduleRead])
def list_schedules(
    session: UnitOfWork, actor: CurrentActor, team: str | None = None
) -> list[schemas.ScheduleRead]:
    team_id = people.find_team(session, team).id if team else None
    return present.schedules_read(session, service.list_schedules(session, team_id=team_id))


@router.post("/schedules", status_code=201, response_model=schemas.ScheduleRead)
def create_schedule(
    body: schemas.ScheduleCreate, session: UnitOfWork, actor: CurrentActor
) -> schemas.ScheduleRead:
    schedule = service.create_schedule(
        session,
        actor=actor,
        name=body.name,
        timezone=body.timezone,
        team=body.team,
        description=body.description,
        layers=[_definition(layer) for layer in body.layers],
    )
    return present.schedule_read(session, service.get_schedule(session, schedule.id))


@router.get("/schedules/{schedule_id}", response_model=schemas.ScheduleRead)
def get_schedule(schedule_id: int, session: UnitOfWork, actor: CurrentActor) -> Any:
    return present.schedule_read(session, service.get_schedule(session, schedule_id))


@router.patch("/schedules/{schedule_id}", response_model=schemas.ScheduleRead)
def update_schedule(
    schedule_id: int, body: schemas.ScheduleUpdate, session: UnitOfWork, actor: CurrentActor
) -> Any:
    schedule = service.update_schedule(
        session, actor=actor, schedule_id=schedule_id, changes=body.model_dump(exclude_unset=True)
    )
    return present.schedule_read(session, schedule)


@router.delete("/schedules/{schedule_id}", status_code=204, response_class=Response)
def delete_schedule(schedule_id: int, session: UnitOfWork, actor: CurrentActor) -> Response:
    service.delete_schedule(session, actor=actor, schedule_id=schedule_id)
    return Response(status_code=204)


@router.post(
    "/schedules/{schedule_id}/layers", status_code=201, response_model=schemas.ScheduleRead
)
def add_layer(
    schedule_id: int, body: schemas.LayerIn, session: UnitOfWork, actor: CurrentActor
) -> Any:
    service.add_layer(session, actor=actor, schedule_id=schedule_id, definition=_definition(body))
    return present.schedule_read(session, service.get_schedule(session, schedule_id))


@router.patch("/schedules/{schedule_id}/layers/{layer_id}", response_model=schemas.ScheduleRead)
def update_layer(
    schedule_id: int,
    layer_id: int,
    body: schemas.LayerUpdate,
    session: UnitOfWork,
    actor: CurrentActor,
) -> Any:
    schedule = service.get_schedule(session, schedule_id)
    current = present.layer_read_by_id(session, schedule, layer_id)
    merged = schemas.LayerIn.model_validate(
        {
            **current.model_dump(exclude={"id", "rotation"}),
            "rotation": [[u.handle for u in slot] for slot in current.rotation],
            **body.model_dump(exclude_unset=True),
        }
    )
    service.update_layer(
        session,
        actor=actor,
        schedule_id=schedule_id,
        layer_id=layer_id,
        definition=_definition(merged),
    )
    return present.schedule_read(session, service.get_schedule(session, schedule_id))


@router.delete(
    "/schedules/{schedule_id}/layers/{layer_id}", status_code=204, response_class=Response
)
def delete_layer(
    schedule_id: int, layer_id: int, session: UnitOfWork, actor: CurrentActor
) -> Response:
    service.delete_layer(session, actor=actor, schedule_id=schedule_id, layer_id=layer_id)
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/overrides", response_model=list[schemas.OverrideRead])
def list_overrides(
    schedule_id: int, session: UnitOfWork, actor: CurrentActor, start: When = None, end: When = None
) -> Any:
    start, end = _range(session, start, end, timedelta(days=30))
    rows = overrides.list_overrides(session, schedule_id=schedule_id, start=start, end=end)
    return present.overrides_read(session, rows)


@router.post(
    "/schedules/{schedule_id}/overrides", status_code=201, response_model=schemas.OverrideRead
)
def create_override(
    schedule_id: int, body: schemas.OverrideIn, session: UnitOfWork, actor: CurrentActor
) -> Any:
    row = overrides.create_override(
        session,
        actor=actor,
        schedule_id=schedule_id,
        user=body.user,
        replaces=body.replaces,
        start=body.start,
        end=body.end,
        kind=body.kind,
        note=body.note,
    )
    return present.overrides_read(session, [row])[0]


@router.delete(
    "/schedules/{schedule_id}/overrides/{override_id}", status_code=204, response_class=Response
)
def delete_override(
    schedule_id: int, override_id: int, session: UnitOfWork, actor: CurrentActor
) -> Response:
    overrides.delete_override(
        session, actor=actor, schedule_id=schedule_id, override_id=override_id
    )
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/final", response_model=schemas.FinalRead)
def final_schedule(
    schedule_id: int, session: UnitOfWork, actor: CurrentActor, start: When = None, end: When = None
) -> schemas.FinalRead:
    start, end = _range(session, start, end, timedelta(days=14))
    shifts = service.final_schedule(session, schedule_id=schedule_id, start=start, end=end)
    schedule = service.get_schedule(session, schedule_id)
    return schemas.FinalRead(
        schedule_id=schedule.id,
        timezone=schedule.timezone,
        start=start,
        end=end,
        shifts=present.shifts_read(session, schedule, shifts),
    )


@router.get("/schedules/{schedule_id}/gaps", response_model=schemas.GapsRead)
def schedule_gaps(
    schedule_id: int, session: UnitOfWork, actor: CurrentActor, start: When = None, end: When = None
) -> schemas.GapsRead:
    start, end = _range(session, start, end, timedelta(days=14))
    holes = service.schedule_gaps(session, schedule_id=schedule_id, start=start, end=end)
    schedule = service.get_schedule(session, schedule_id)
    return schemas.GapsRead(
        schedule_id=schedule.id,
        timezone=schedule.timezone,
        start=start,
        end=end,
        gaps=present.gaps_read(schedule, holes),
    )


def _on_call(session: Any, schedule: Schedule, at: datetime) -> schemas.OnCallRead:
    shift = lookups.current_shift(session, schedule, at)
    shifts = present.shifts_read(session, schedule, [shift] if shift else [])
    return schemas.OnCallRead(
        schedule_id=schedule.id,
        schedule=schedule.name,
        at=at,
        users=shifts[0].users if shifts else [],
        shift=shifts[0] if shifts else None,
    )


@router.get("/schedules/{schedule_id}/oncall", response_model=schemas.OnCallRead)
def on_call(
    schedule_id: int, session: UnitOfWork, actor: CurrentActor, at: When = None
) -> schemas.OnCallRead:
    when = at or clock.now(session)
    return _on_call(session, service.get_schedule(session, schedule_id), when)


@router.get("/schedules/{schedule_id}/history", response_model=list[schemas.HistoryRead])
def on_call_history(
    schedule_id: int, session: UnitOfWork, actor: CurrentActor, start: When = None, end: When = None
) -> Any:
    end = end or clock.now(session)
    start = start or end - timedelta(days=30)
    service.get_schedule(session, schedule_id)
    rows = history.list_history(session, schedule_id=schedule_id, start=start, end=end)
    refs = present.users_by_id(session, (r.user_id for r in rows))
    return [
        schemas.HistoryRead(
            user=refs[r.user_id],
            started_at=r.started_at,
            ended_at=r.ended_at,
            source=r.source,
            source_id=r.source_id,
        )
        for r in rows
    ]


@router.get("/oncall", response_model=list[schemas.TeamOnCall])
def who_is_on_call(
    session: UnitOfWork, actor: CurrentActor, at: When = None
) -> list[schemas.TeamOnCall]:
    """Who is on call at `at` (default now), team by team."""
    when = at or clock.now(session)
    schedules = service.list_schedules(session)
    teams: dict[int | None, list[schemas.OnCallRead]] = {}
    for schedule in schedules:
        teams.setdefault(schedule.team_id, []).append(_on_call(session, schedule, when))
    result = []
    for team_id, found in teams.items():
        team = present.team_of(session, team_id)
        result.append(
            schemas.TeamOnCall(
                team=team.slug if team else None,
                team_name=team.name if team else None,
                schedules=found,
            )
        )
    result.sort(key=lambda t: (t.team_name is None, t.team_name or ""))
    return result


def _feed_url(request: Request, path: str) -> str:
    base = settings(request).base_url or str(request.base_url)
    return base.rstrip("/") + path


@router.post("/schedules/{schedule_id}/feed", status_code=201, response_model=schemas.FeedRead)
def issue_schedule_feed(
    schedule_id: int, request: Request, session: UnitOfWork, actor: CurrentActor
) -> schemas.FeedRead:
    issued = feeds.issue_schedule_feed(session, actor=actor, schedule_id=schedule_id)
    url = _feed_url(request, f"/ical/schedules/{issued.token}.ics")
    return schemas.FeedRead(url=url, token=issued.token)


@router.post("/me/oncall-feed", status_code=201, response_model=schemas.FeedRead)
def issue_person_feed(
    request: Request, session: UnitOfWork, actor: CurrentActor
) -> schemas.FeedRead:
    issued = feeds.issue_person_feed(session, actor=actor)
    url = _feed_url(request, f"/ical/people/{issued.token}.ics")
    return schemas.FeedRead(url=url, token=issued.token)


@feeds_router.get("/ical/schedules/{token}.ics", response_class=Response)
def schedule_calendar(token: str, session: UnitOfWork) -> Response:
    return Response(feeds.schedule_calendar(session, token), media_type=CALENDAR)


@feeds_router.get("/ical/people/{token}.ics", response_class=Response)
def person_calendar(token: str, session: UnitOfWork) -> Response:
    return Response(feeds.person_calendar(session, token), media_type=CALENDAR)
