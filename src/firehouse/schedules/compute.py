"""The on-call arithmetic: layers, restrictions and overrides to a final schedule.

Pure functions over plain values (no database, no clock). Every datetime in and out is
timezone-aware UTC; wall-clock values (handoff times, start dates, restriction windows) are read
in the schedule's IANA zone.

Wall-clock rules (docs/oncall.md, "Daylight saving"):
- Shifts in days or weeks hand off at the configured local time on the right calendar day, so
  09:00 stays 09:00 across daylight saving (a day shift may last 23 or 25 real hours). Shifts in
  hours count real elapsed hours from the first handoff.
- A local time that does not exist (the hour skipped when clocks spring forward) is read with
  the UTC offset from before the gap, as RFC 5545 does: 02:30 on the spring-forward day in
  New York is 03:30 EDT. A local time that happens twice (fall back) is its first occurrence.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

SHIFT_UNITS = ("hours", "days", "weeks")
LAYER = "layer"
OVERRIDE = "override"


@dataclass(frozen=True)
class Window:
    """A restriction's time of day, local. An end at or before the start runs past midnight
    into the next day (22:00-06:00); the window belongs to the weekday it starts on."""

    start: time
    end: time


@dataclass(frozen=True)
class Layer:
    id: int
    members: tuple[tuple[int, ...], ...]  # rotation slots, each one or more user ids
    shift_length: int
    shift_unit: str  # one of SHIFT_UNITS
    handoff: time
    start_date: date
    weekdays: frozenset[int] | None = None  # 0 = Monday; None = every day
    windows: tuple[Window, ...] = ()  # empty = the whole day

    @property
    def restricted(self) -> bool:
        return self.weekdays is not None or bool(self.windows)


@dataclass(frozen=True)
class Override:
    id: int
    user_id: int
    start: datetime
    end: datetime
    replaces_user_id: int | None = None  # None: replaces whoever is on call


@dataclass(frozen=True)
class Schedule:
    timezone: str
    layers: tuple[Layer, ...] = ()  # lowest priority first: a later layer wins where it covers
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class Shift:
    start: datetime
    end: datetime
    user_ids: tuple[int, ...]
    source: str  # LAYER or OVERRIDE
    source_id: int


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    user_ids: tuple[int, ...] = field(default=())


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant a wall clock in `tz` shows `day` `at` (fold=0: see the module docstring)."""
    return datetime(
        day.year, day.month, day.day, at.hour, at.minute, at.second, tzinfo=tz
    ).astimezone(UTC)


def wall_time_exists(day: date, at: time, tz: ZoneInfo) -> bool:
    """False for a local time skipped by a daylight-saving jump."""
    naive = datetime.combine(day, at)
    back = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return back == naive


def layer_origin(layer: Layer, tz: ZoneInfo) -> datetime:
    """When the layer's first shift starts."""
    return local_to_utc(layer.start_date, layer.handoff, tz)


def rotation(layer: Layer, tz: ZoneInfo, start: datetime, end: datetime) -> Iterator[Interval]:
    """The layer's shifts (before restrictions) that overlap [start, end)."""
    if not layer.members or layer.shift_length <= 0 or end <= start:
        return
    origin = layer_origin(layer, tz)
    if end <= origin:
        return
    slots = len(layer.members)
    if layer.shift_unit == "hours":
        step = timedelta(hours=layer.shift_length)
        k = max(0, (start - origin) // step)
        shift_start = origin + k * step
        while shift_start < end:
            shift_end = shift_start + step
            yield Interval(shift_start, shift_end, layer.members[k % slots])
            k += 1
            shift_start = shift_end
        return
    days = layer.shift_length * (7 if layer.shift_unit == "weeks" else 1)
    first_day = start.astimezone(tz).date()
    k = max(0, (first_day - layer.start_date).days // days - 1)
    shift_start = local_to_utc(layer.start_date + timedelta(days=k * days), layer.handoff, tz)
    while shift_start < end:
        next_day = layer.start_date + timedelta(days=(k + 1) * days)
        shift_end = local_to_utc(next_day, layer.handoff, tz)
        if shift_end > start:
            yield Interval(shift_start, shift_end, layer.members[k % slots])
        k += 1
        shift_start = shift_end


def restriction_windows(
    layer: Layer, tz: ZoneInfo, start: datetime, end: datetime
) -> list[Interval]:
    """When the layer may be on call within [start, end), merged and sorted."""
    midnight = time(0, 0)
    windows = layer.windows or (Window(midnight, midnight),)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    found: list[Interval] = []
    while day <= last:
        if layer.weekdays is None or day.weekday() in layer.weekdays:
            for window in windows:
                wraps = window.end <= window.start
                s = local_to_utc(day, window.start, tz)
                e = local_to_utc(day + timedelta(days=1) if wraps else day, window.end, tz)
                s, e = max(s, start), min(e, end)
                if s < e:
                    found.append(Interval(s, e))
        day += timedelta(days=1)
    found.sort(key=lambda i: i.start)
    merged: list[Interval] = []
    for interval in found:
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def _clip(shifts: Sequence[Interval], allowed: Sequence[Interval]) -> list[Interval]:
    """The parts of `shifts` inside `allowed` (both sorted and non-overlapping)."""
    clipped: list[Interval] = []
    j = 0
    for shift in shifts:
        while j < len(allowed) and allowed[j].end <= shift.start:
            j += 1
        k = j
        while k < len(allowed) and allowed[k].start < shift.end:
            s, e = max(shift.start, allowed[k].start), min(shift.end, allowed[k].end)
            if s < e:
                clipped.append(Interval(s, e, shift.user_ids))
            k += 1
    return clipped


def layer_shifts(
    schedule: Schedule, layer: Layer, start: datetime, end: datetime
) -> list[Interval]:
    """One layer's shifts within [start, end), clipped to the range and its restrictions."""
    tz = zone(schedule.timezone)
    shifts = [
        Interval(max(i.start, start), min(i.end, end), i.user_ids)
        for i in rotation(layer, tz, start, end)
    ]
    if layer.restricted:
        shifts = _clip(shifts, restriction_windows(layer, tz, start, end))
    return shifts


def _replace(users: tuple[int, ...], override: Override) -> tuple[int, ...] | None:
    """The users after `override`, or None when it does not apply to them."""
    if override.replaces_user_id is None:
        return (override.user_id,)
    if override.replaces_user_id not in users:
        return None
    replaced = [override.user_id if u == override.replaces_user_id else u for u in users]
    return tuple(dict.fromkeys(replaced))


def final_schedule(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call over [start, end): sorted, non-overlapping shifts; times with nobody on
    call are absent (see `gaps`). Adjacent pieces with the same people and source merge."""
    if end <= start:
        return []
    per_layer = [layer_shifts(schedule, layer, start, end) for layer in schedule.layers]
    overrides = sorted(
        (o for o in schedule.overrides if o.start < end and o.end > start), key=lambda o: o.start
    )
    points = {start, end}
    for shifts in per_layer:
        for interval in shifts:
            points.add(interval.start)
            points.add(interval.end)
    for override in overrides:
        points.add(max(override.start, start))
        points.add(min(override.end, end))
    ordered = sorted(points)
    # parallel lists per layer, highest priority first (the loop below is the hot path)
    layer_ends = [[i.end for i in shifts] for shifts in reversed(per_layer)]
    layer_starts = [[i.start for i in shifts] for shifts in reversed(per_layer)]
    layer_users = [[i.user_ids for i in shifts] for shifts in reversed(per_layer)]
    layer_ids = [layer.id for layer in reversed(schedule.layers)]
    counts = [len(ends) for ends in layer_ends]
    order = range(len(per_layer))
    cursors = [0] * len(per_layer)
    next_override, override_count = 0, len(overrides)
    active: list[Override] = []
    result: list[Shift] = []
    piece: tuple[datetime, tuple[int, ...], str, int] | None = None  # open, not yet emitted
    piece_end = start
    for a, b in itertools.pairwise(ordered):
        if active:
            active = [o for o in active if o.end > a]
        if next_override < override_count and overrides[next_override].start <= a:
            while next_override < override_count and overrides[next_override].start <= a:
                active.append(overrides[next_override])
                next_override += 1
            active.sort(key=lambda o: o.id)  # the later override wins where two apply
        users: tuple[int, ...] = ()
        source, source_id = LAYER, 0
        for index in order:
            ends = layer_ends[index]
            cursor = cursors[index]
            count = counts[index]
            while cursor < count and ends[cursor] <= a:
                cursor += 1
            cursors[index] = cursor
            if cursor < count and layer_starts[index][cursor] <= a:
                users = layer_users[index][cursor]
                source_id = layer_ids[index]
                break
        for override in active:
            replaced = _replace(users, override)
            if replaced is not None:
                users, source, source_id = replaced, OVERRIDE, override.id
        if (
            piece is not None
            and piece_end == a
            and piece[1] == users
            and piece[2] == source
            and piece[3] == source_id
        ):
            piece_end = b
            continue
        if piece is not None:
            result.append(Shift(piece[0], piece_end, piece[1], piece[2], piece[3]))
            piece = None
        if users:
            piece, piece_end = (a, users, source, source_id), b
    if piece is not None:
        result.append(Shift(piece[0], piece_end, piece[1], piece[2], piece[3]))
    return result


def on_call_at(schedule: Schedule, at: datetime) -> Shift | None:
    """The piece of the final schedule covering `at` (its start and end cut to a day around
    `at`), or None when nobody is on call."""
    found = final_schedule(schedule, at - timedelta(days=1), at + timedelta(days=1))
    index = bisect.bisect_right([s.start for s in found], at) - 1
    if index >= 0 and found[index].end > at:
        return found[index]
    return None


def gaps_of(
    shifts: Sequence[Shift], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The times within [start, end) that `shifts` (sorted, non-overlapping) leave uncovered."""
    holes: list[tuple[datetime, datetime]] = []
    cursor = start
    for shift in shifts:
        if shift.start > cursor:
            holes.append((cursor, min(shift.start, end)))
        cursor = max(cursor, shift.end)
    if cursor < end:
        holes.append((cursor, end))
    return holes


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The times within [start, end) when nobody is on call."""
    return gaps_of(final_schedule(schedule, start, end), start, end)
