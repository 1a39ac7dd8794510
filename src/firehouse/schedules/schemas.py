from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ShiftUnit = Literal["hours", "days", "weeks"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowIn(Strict):
    start: time = Field(description="Local time the window opens.")
    end: time = Field(description="Local time it closes; at or before start: the next day.")


class Restrictions(Strict):
    weekdays: list[Weekday] | None = Field(
        default=None, description="Days a window may start on; omitted: every day."
    )
    windows: list[WindowIn] = Field(default_factory=list, description="Empty: the whole day.")


class LayerIn(Strict):
    name: str = Field(default="Layer", min_length=1, max_length=200)
    rotation: list[str | list[str]] = Field(
        description="Rotation slots in order: a handle, or a list of handles on call together."
    )
    shift_length: int = Field(ge=1, le=10000)
    shift_unit: ShiftUnit = "weeks"
    handoff_time: time = Field(default=time(9, 0), description="Local wall-clock time.")
    start_date: date = Field(description="Local date of the first handoff.")
    restrictions: Restrictions | None = None
    position: int | None = Field(
        default=None, ge=0, description="Higher wins where layers overlap; omitted: on top."
    )


class LayerUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    rotation: list[str | list[str]] | None = None
    shift_length: int | None = Field(default=None, ge=1, le=10000)
    shift_unit: ShiftUnit | None = None
    handoff_time: time | None = None
    start_date: date | None = None
    restrictions: Restrictions | None = None
    position: int | None = Field(default=None, ge=0)


class ScheduleCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    team: str | None = Field(default=None, description="Team slug.")
    timezone: str = Field(default="UTC", description="IANA time zone, e.g. Europe/London.")
    description: str = Field(default="", max_length=2000)
    layers: list[LayerIn] = Field(default_factory=list)


class ScheduleUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    team: str | None = None
    timezone: str | None = None
    description: str | None = Field(default=None, max_length=2000)


class UserRef(BaseModel):
    id: int
    handle: str
    name: str


class LayerRead(BaseModel):
    id: int
    name: str
    position: int
    rotation: list[list[UserRef]]
    shift_length: int
    shift_unit: ShiftUnit
    handoff_time: str
    start_date: date
    restrictions: Restrictions | None


class ScheduleRead(BaseModel):
    id: int
    name: str
    team: str | None
    timezone: str
    description: str
    layers: list[LayerRead]
    created_at: datetime
    updated_at: datetime


class OverrideIn(Strict):
    user: str = Field(description="Handle of who takes the time.")
    replaces: str | None = Field(
        default=None, description="Handle of who is replaced; omitted: whoever is on call."
    )
    start: AwareDatetime
    end: AwareDatetime
    kind: Literal["override", "swap"] = Field(
        default="override", description="A swap is made by one of the two people involved."
    )
    note: str = Field(default="", max_length=500)


class OverrideRead(BaseModel):
    id: int
    user: UserRef
    replaces: UserRef | None
    start: datetime
    end: datetime
    kind: str
    note: str
    created_by: str | None
    created_at: datetime


class ShiftRead(BaseModel):
    start: datetime
    end: datetime
    start_local: str = Field(description="Start in the schedule's time zone (ISO 8601).")
    end_local: str
    users: list[UserRef]
    source: Literal["layer", "override"]
    source_id: int
    source_name: str


class GapRead(BaseModel):
    start: datetime
    end: datetime
    start_local: str
    end_local: str


class FinalRead(BaseModel):
    schedule_id: int
    timezone: str
    start: datetime
    end: datetime
    shifts: list[ShiftRead]


class GapsRead(BaseModel):
    schedule_id: int
    timezone: str
    start: datetime
    end: datetime
    gaps: list[GapRead]


class OnCallRead(BaseModel):
    schedule_id: int
    schedule: str
    at: datetime
    users: list[UserRef]
    shift: ShiftRead | None


class TeamOnCall(BaseModel):
    team: str | None
    team_name: str | None
    schedules: list[OnCallRead]


class HistoryRead(BaseModel):
    user: UserRef
    started_at: datetime
    ended_at: datetime | None
    source: str
    source_id: int


class FeedRead(BaseModel):
    url: str = Field(description="Shown once: subscribe to it from Google Calendar or Outlook.")
    token: str
