"""The on-call arithmetic across daylight saving: property tests (hypothesis) and worked cases."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from firehouse.schedules.compute import (
    Layer,
    Override,
    Schedule,
    Shift,
    Window,
    final_schedule,
    gaps,
    layer_shifts,
    on_call_at,
    wall_time_exists,
)

ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata")
EXAMPLES = settings(max_examples=50, deadline=None)

zones = st.sampled_from(ZONES)
# start dates around the transitions of 2026 in all four zones
start_dates = st.dates(min_value=date(2026, 2, 20), max_value=date(2026, 11, 10))
handoffs = st.builds(time, st.integers(min_value=0, max_value=23), st.sampled_from([0, 15, 30, 45]))


def rotation(slots: int) -> tuple[tuple[int, ...], ...]:
    return tuple((100 + i,) for i in range(slots))


def day_layer(
    *, start: date, handoff: time, length: int = 1, unit: str = "days", slots: int = 3, **kw: object
) -> Layer:
    return Layer(
        id=1,
        members=rotation(slots),
        shift_length=length,
        shift_unit=unit,
        handoff=handoff,
        start_date=start,
        **kw,  # type: ignore[arg-type]
    )


def dst_jump(tz: ZoneInfo, at: datetime) -> timedelta:
    after = at.astimezone(tz).utcoffset()
    before = (at - timedelta(hours=3)).astimezone(tz).utcoffset()
    assert after is not None
    assert before is not None
    return after - before


def assert_contiguous(shifts: list[Shift], start: datetime, end: datetime) -> None:
    assert shifts, "nobody on call at all"
    assert shifts[0].start == start
    assert shifts[-1].end == end
    for before, after in itertools.pairwise(shifts):
        assert before.end == after.start, f"gap or overlap between {before} and {after}"
        assert before.start < before.end


def assert_handoff_at_wall_clock(tz: ZoneInfo, instant: datetime, handoff: time) -> None:
    local = instant.astimezone(tz)
    if wall_time_exists(local.date(), handoff, tz):
        assert local.time() == handoff, f"handoff at {local}, configured {handoff}"
    else:
        # skipped by spring forward: read with the offset from before the gap (RFC 5545)
        configured = datetime.combine(local.date(), handoff)
        assert local.replace(tzinfo=None) - configured == dst_jump(tz, instant)


@EXAMPLES
@given(
    zone_name=zones,
    start=start_dates,
    handoff=handoffs,
    length=st.integers(min_value=1, max_value=3),
    unit=st.sampled_from(["days", "weeks"]),
    slots=st.integers(min_value=2, max_value=4),
    offset_hours=st.integers(min_value=0, max_value=24 * 60),
    span_days=st.integers(min_value=1, max_value=90),
)
def test_day_and_week_shifts_hand_off_at_the_wall_clock_time_without_gaps_or_overlaps(
    zone_name: str,
    start: date,
    handoff: time,
    length: int,
    unit: str,
    slots: int,
    offset_hours: int,
    span_days: int,
) -> None:
    tz = ZoneInfo(zone_name)
    layer = day_layer(start=start, handoff=handoff, length=length, unit=unit, slots=slots)
    schedule = Schedule(zone_name, (layer,))
    origin = datetime.combine(start, handoff, tzinfo=tz).astimezone(UTC)
    window_start = origin + timedelta(hours=offset_hours)
    window_end = window_start + timedelta(days=span_days)
    shifts = final_schedule(schedule, window_start, window_end)
    assert_contiguous(shifts, window_start, window_end)
    assert gaps(schedule, window_start, window_end) == []
    days = length * (7 if unit == "weeks" else 1)
    for before, after in itertools.pairwise(shifts):
        assert_handoff_at_wall_clock(tz, after.start, handoff)
        assert before.user_ids != after.user_ids  # every boundary is a real handoff
    handoff_days = [s.start.astimezone(tz).date() for s in shifts[1:]]
    for first, second in itertools.pairwise(handoff_days):
        assert (second - first).days == days  # calendar days, whatever the clocks did
    # each person follows the one before in the rotation
    order = [s.user_ids[0] for s in shifts]
    for first, second in itertools.pairwise(order):
        assert second == 100 + (first - 100 + 1) % slots


@EXAMPLES
@given(
    zone_name=zones,
    start=start_dates,
    handoff=handoffs,
    length=st.integers(min_value=1, max_value=36),
    offset_hours=st.integers(min_value=0, max_value=24 * 60),
)
def test_hour_shifts_count_real_elapsed_hours(
    zone_name: str, start: date, handoff: time, length: int, offset_hours: int
) -> None:
    layer = day_layer(start=start, handoff=handoff, length=length, unit="hours")
    schedule = Schedule(zone_name, (layer,))
    origin = datetime.combine(start, handoff, tzinfo=ZoneInfo(zone_name)).astimezone(UTC)
    window_start = origin + timedelta(hours=offset_hours)
    window_end = window_start + timedelta(days=20)
    shifts = final_schedule(schedule, window_start, window_end)
    assert_contiguous(shifts, window_start, window_end)
    for shift in shifts[1:-1]:
        assert shift.end - shift.start == timedelta(hours=length)
        assert (shift.start - origin) % timedelta(hours=length) == timedelta(0)


@EXAMPLES
@given(
    zone_name=zones,
    start=start_dates,
    weekdays=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    window_start=st.integers(min_value=0, max_value=23),
    window_hours=st.integers(min_value=1, max_value=23),
    probes=st.lists(st.integers(min_value=0, max_value=60 * 24 * 30), min_size=5, max_size=30),
)
def test_restrictions_clip_a_layer_and_the_one_below_fills_in(
    zone_name: str,
    start: date,
    weekdays: frozenset[int],
    window_start: int,
    window_hours: int,
    probes: list[int],
) -> None:
    tz = ZoneInfo(zone_name)
    opens = time(window_start)
    closes = time((window_start + window_hours) % 24)
    base = day_layer(start=start, handoff=time(9), unit="weeks", slots=2)
    business = Layer(
        id=2,
        members=((7,), (8,)),
        shift_length=1,
        shift_unit="days",
        handoff=time(0),
        start_date=start - timedelta(days=1),
        weekdays=weekdays,
        windows=(Window(opens, closes),),
    )
    range_start = datetime.combine(start, time(9), tzinfo=tz).astimezone(UTC)
    range_end = range_start + timedelta(days=31)
    alone = Schedule(zone_name, (business,))
    both = Schedule(zone_name, (base, business))
    assert_contiguous(final_schedule(both, range_start, range_end), range_start, range_end)
    for minutes in probes:
        at = range_start + timedelta(minutes=minutes)
        local = at.astimezone(tz).replace(tzinfo=None)
        # the window that could cover `at` opened today or (past midnight) yesterday
        inside = False
        for back in (0, 1):
            day = local.date() - timedelta(days=back)
            opened = datetime.combine(day, opens)
            length = timedelta(hours=window_hours)
            if day.weekday() in weekdays and opened <= local < opened + length:
                inside = True
        # DST days make a window an hour longer or shorter: do not judge the edges there
        if (
            dst_jump(tz, at)
            or dst_jump(tz, at + timedelta(hours=3))
            or dst_jump(tz, at - timedelta(hours=3))
        ):
            continue
        shift = on_call_at(alone, at)
        assert (shift is not None) == inside, (at, local)
        top = on_call_at(both, at)
        assert top is not None
        assert (top.user_ids[0] in (7, 8)) == inside


@EXAMPLES
@given(
    zone_name=zones,
    start=start_dates,
    handoff=handoffs,
    overrides=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=24 * 20),
            st.integers(min_value=1, max_value=72),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    ),
    probes=st.lists(st.integers(min_value=0, max_value=60 * 24 * 25), min_size=5, max_size=30),
)
def test_overrides_replace_whoever_was_on_call_only_inside_their_window(
    zone_name: str,
    start: date,
    handoff: time,
    overrides: list[tuple[int, int, bool]],
    probes: list[int],
) -> None:
    tz = ZoneInfo(zone_name)
    layer = day_layer(start=start, handoff=handoff, slots=2)
    origin = datetime.combine(start, handoff, tzinfo=tz).astimezone(UTC)
    made = tuple(
        Override(
            id=i + 1,
            user_id=900 + i,
            start=origin + timedelta(hours=at),
            end=origin + timedelta(hours=at + hours),
            replaces_user_id=100 if only_first else None,
        )
        for i, (at, hours, only_first) in enumerate(overrides)
    )
    plain = Schedule(zone_name, (layer,))
    with_overrides = Schedule(zone_name, (layer,), made)
    end = origin + timedelta(days=25)
    assert_contiguous(final_schedule(with_overrides, origin, end), origin, end)
    for minutes in probes:
        at = origin + timedelta(minutes=minutes)
        before = on_call_at(plain, at)
        after = on_call_at(with_overrides, at)
        assert before is not None
        assert after is not None
        expected = before.user_ids
        for override in made:  # in creation order: the later one wins
            applies = override.replaces_user_id is None or override.replaces_user_id in expected
            if override.start <= at < override.end and applies:
                expected = (override.user_id,)
        assert after.user_ids == expected


def test_new_york_spring_forward_day_shift_is_23_hours_and_still_hands_off_at_nine() -> None:
    tz = ZoneInfo("America/New_York")
    layer = day_layer(start=date(2026, 3, 1), handoff=time(9))
    schedule = Schedule("America/New_York", (layer,))
    start = datetime(2026, 3, 6, 14, tzinfo=UTC)  # 09:00 EST
    shifts = final_schedule(schedule, start, start + timedelta(days=4))
    local = [(s.start.astimezone(tz), s.end - s.start) for s in shifts]
    assert [when.strftime("%m-%d %H:%M") for when, _ in local] == [
        "03-06 09:00",
        "03-07 09:00",
        "03-08 09:00",
        "03-09 09:00",
        "03-10 09:00",  # the range ends at 10:00 EDT, four real days later
    ]
    assert [hours for _, hours in local][:3] == [
        timedelta(hours=24),
        timedelta(hours=23),  # Saturday 09:00 EST to Sunday 09:00 EDT
        timedelta(hours=24),
    ]


def test_lord_howe_half_hour_shift_and_a_handoff_inside_the_gap() -> None:
    tz = ZoneInfo("Australia/Lord_Howe")
    # clocks go from 02:00 to 02:30 on 2026-10-04
    assert not wall_time_exists(date(2026, 10, 4), time(2, 15), tz)
    assert wall_time_exists(date(2026, 10, 5), time(2, 15), tz)
    layer = day_layer(start=date(2026, 10, 1), handoff=time(2, 15))
    schedule = Schedule("Australia/Lord_Howe", (layer,))
    start = datetime.combine(date(2026, 10, 2), time(2, 15), tzinfo=tz).astimezone(UTC)
    shifts = final_schedule(schedule, start, start + timedelta(days=4))
    assert [s.start.astimezone(tz).strftime("%m-%d %H:%M") for s in shifts[:4]] == [
        "10-02 02:15",
        "10-03 02:15",
        "10-04 02:45",  # 02:15 does not exist that day: read with the offset before the gap
        "10-05 02:15",
    ]
    assert [s.end - s.start for s in shifts[:4]] == [
        timedelta(hours=24),
        timedelta(hours=24),
        timedelta(hours=23, minutes=30),
        timedelta(hours=24),
    ]


def test_london_fall_back_day_shift_is_25_hours() -> None:
    tz = ZoneInfo("Europe/London")
    layer = day_layer(start=date(2026, 10, 20), handoff=time(1, 30))  # 01:30 happens twice
    schedule = Schedule("Europe/London", (layer,))
    start = datetime.combine(date(2026, 10, 24), time(1, 30), tzinfo=tz).astimezone(UTC)
    shifts = final_schedule(schedule, start, start + timedelta(days=3))
    assert [s.end - s.start for s in shifts] == [
        timedelta(hours=24),  # to the first 01:30 of the long day (clocks go back at 02:00)
        timedelta(hours=25),  # from it to 01:30 GMT the next day
        timedelta(hours=23),  # what is left of the three real days
    ]
    assert all(s.start.astimezone(tz).time() == time(1, 30) for s in shifts)


def test_kolkata_has_no_daylight_saving() -> None:
    layer = day_layer(start=date(2026, 1, 1), handoff=time(9, 30), unit="weeks")
    schedule = Schedule("Asia/Kolkata", (layer,))
    start = datetime(2026, 1, 1, 4, tzinfo=UTC)  # 09:30 IST
    shifts = final_schedule(schedule, start, start + timedelta(days=365))
    assert all(s.end - s.start == timedelta(weeks=1) for s in shifts[:-1])


def test_a_group_slot_puts_several_people_on_call_and_a_swap_replaces_one_of_them() -> None:
    layer = Layer(
        id=1,
        members=((1, 2), (3,)),
        shift_length=1,
        shift_unit="days",
        handoff=time(9),
        start_date=date(2026, 3, 1),
    )
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    swap = Override(
        id=5, user_id=4, start=start, end=start + timedelta(hours=3), replaces_user_id=2
    )
    schedule = Schedule("UTC", (layer,), (swap,))
    shifts = final_schedule(schedule, start, start + timedelta(days=2))
    assert [(s.user_ids, s.end - s.start, s.source) for s in shifts] == [
        ((1, 4), timedelta(hours=3), "override"),
        ((1, 2), timedelta(hours=21), "layer"),
        ((3,), timedelta(hours=24), "layer"),
    ]


def test_gaps_before_a_layer_starts_and_outside_its_restrictions() -> None:
    layer = Layer(
        id=1,
        members=((1,),),
        shift_length=1,
        shift_unit="weeks",
        handoff=time(9),
        start_date=date(2026, 3, 2),  # a Monday
        weekdays=frozenset(range(5)),
        windows=(Window(time(9), time(17)),),
    )
    schedule = Schedule("UTC", (layer,))
    start = datetime(2026, 3, 1, 0, tzinfo=UTC)
    found = gaps(schedule, start, start + timedelta(days=2))
    assert found == [
        (start, datetime(2026, 3, 2, 9, tzinfo=UTC)),
        (datetime(2026, 3, 2, 17, tzinfo=UTC), start + timedelta(days=2)),
    ]


layers_strategy = st.lists(
    st.tuples(
        st.sampled_from(["hours", "days", "weeks"]),
        st.integers(min_value=1, max_value=3),
        handoffs,
        st.one_of(st.none(), st.frozensets(st.integers(0, 6), min_size=1)),
        st.one_of(
            st.just(()),
            st.tuples(st.builds(Window, handoffs, handoffs).filter(lambda w: w.start != w.end)),
        ),
    ),
    min_size=1,
    max_size=4,
)


@EXAMPLES
@given(
    zone_name=zones,
    start=start_dates,
    layers=layers_strategy,
    probes=st.lists(st.integers(min_value=0, max_value=60 * 24 * 21 - 1), min_size=5, max_size=25),
)
def test_the_final_schedule_is_the_top_covering_layer_and_gaps_are_the_rest(
    zone_name: str,
    start: date,
    layers: list[tuple[str, int, time, frozenset[int] | None, tuple[Window, ...]]],
    probes: list[int],
) -> None:
    made = tuple(
        Layer(
            id=i + 1,
            members=((10 * (i + 1),), (10 * (i + 1) + 1,)),
            shift_length=length,
            shift_unit=unit,
            handoff=handoff,
            start_date=start,
            weekdays=weekdays,
            windows=windows,
        )
        for i, (unit, length, handoff, weekdays, windows) in enumerate(layers)
    )
    schedule = Schedule(zone_name, made)
    range_start = datetime.combine(start, time(0), tzinfo=ZoneInfo(zone_name)).astimezone(UTC)
    range_end = range_start + timedelta(days=21)
    shifts = final_schedule(schedule, range_start, range_end)
    holes = gaps(schedule, range_start, range_end)
    pieces = sorted([(s.start, s.end) for s in shifts] + holes)
    assert pieces[0][0] == range_start
    assert pieces[-1][1] == range_end
    for (_, first_end), (second_start, _) in itertools.pairwise(pieces):
        assert first_end == second_start  # final and gaps tile the range: no overlap, no hole
    per_layer = [layer_shifts(schedule, layer, range_start, range_end) for layer in made]
    for minutes in probes:
        at = range_start + timedelta(minutes=minutes)
        expected: tuple[int, ...] = ()
        for shifts_of_layer in reversed(per_layer):  # the highest layer covering `at` wins
            covering = [i for i in shifts_of_layer if i.start <= at < i.end]
            if covering:
                expected = covering[0].user_ids
                break
        found = on_call_at(schedule, at)
        assert (found.user_ids if found else ()) == expected
