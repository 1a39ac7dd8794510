"""How long the final schedule of a 6-layer schedule over one year takes to compute.

    .venv/bin/python bench/schedules.py [--repeat 20]

Measures `firehouse.schedules.compute.final_schedule` on a New York schedule with six layers
(weekly primary and secondary, business hours, 8-hour follow-the-sun, nights, weekends) and 150
overrides, over 365 days across both daylight-saving changes. Two peers run in the same process:
- floor: only the wall-clock-to-UTC conversions the computation needs (the same count), the
  least any correct computation must do;
- naive: asking "who is on call?" minute by minute, measured over one day and scaled to a year.
Target: <= 50 ms for the year.
"""

from __future__ import annotations

import argparse
import statistics
import time as timer
from datetime import UTC, date, datetime, time, timedelta

from firehouse.schedules import compute
from firehouse.schedules.compute import Layer, Override, Schedule, Window

ZONE = "America/New_York"
START = datetime(2026, 1, 1, 5, tzinfo=UTC)
YEAR = timedelta(days=365)


def team(first: int, size: int) -> tuple[tuple[int, ...], ...]:
    return tuple((first + i,) for i in range(size))


def six_layers() -> Schedule:
    weekdays = frozenset(range(5))
    layers = (
        Layer(1, team(100, 6), 1, "weeks", time(9), date(2025, 12, 1)),
        Layer(2, team(200, 5), 1, "weeks", time(9), date(2025, 12, 4)),
        Layer(
            3, team(300, 4), 1, "days", time(9), date(2025, 12, 1),
            weekdays=weekdays, windows=(Window(time(9), time(17)),),
        ),
        Layer(4, team(400, 3), 8, "hours", time(6), date(2025, 12, 1)),
        Layer(
            5, team(500, 4), 1, "days", time(22), date(2025, 12, 1),
            windows=(Window(time(22), time(6)),),
        ),
        Layer(6, team(600, 2), 1, "weeks", time(0), date(2025, 12, 6), weekdays=frozenset({5, 6})),
    )  # fmt: skip
    overrides = tuple(
        Override(
            id=i + 1,
            user_id=900 + i % 7,
            start=START + timedelta(hours=i * 58),
            end=START + timedelta(hours=i * 58 + 4),
            replaces_user_id=None if i % 2 else 100 + i % 6,
        )
        for i in range(150)
    )
    return Schedule(ZONE, layers, overrides)


def timed(fn: object, repeat: int) -> list[float]:
    results = []
    for _ in range(repeat):
        began = timer.perf_counter()
        fn()  # type: ignore[operator]
        results.append((timer.perf_counter() - began) * 1000)
    return results


def conversions_needed(schedule: Schedule) -> int:
    tz = compute.zone(schedule.timezone)
    count = 0
    for layer in schedule.layers:
        count += sum(1 for _ in compute.rotation(layer, tz, START, START + YEAR))
        if layer.restricted:
            count += 2 * len(compute.restriction_windows(layer, tz, START, START + YEAR))
    return count


def floor(n: int) -> None:
    tz = compute.zone(ZONE)
    day = date(2026, 1, 1)
    for i in range(n):
        compute.local_to_utc(day + timedelta(days=i % 365), time(9), tz)


def naive_day(schedule: Schedule) -> list[tuple[int, ...]]:
    who = []
    for minute in range(24 * 60):
        at = START + timedelta(days=100, minutes=minute)
        shift = compute.final_schedule(schedule, at, at + timedelta(minutes=1))
        who.append(shift[0].user_ids if shift else ())
    return who


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    schedule = six_layers()
    shifts = compute.final_schedule(schedule, START, START + YEAR)
    runs = timed(lambda: compute.final_schedule(schedule, START, START + YEAR), args.repeat)
    n = conversions_needed(schedule)
    floors = timed(lambda: floor(n), args.repeat)
    began = timer.perf_counter()
    naive = naive_day(schedule)
    naive_year = (timer.perf_counter() - began) * 1000 * 365
    # the naive answer agrees with the computed one on the day it covered
    day_start = START + timedelta(days=100)
    for minute, users in enumerate(naive):
        at = day_start + timedelta(minutes=minute)
        piece = next((s for s in shifts if s.start <= at < s.end), None)
        assert (piece.user_ids if piece else ()) == users, at
    median = statistics.median(runs)
    p95 = sorted(runs)[max(0, int(len(runs) * 0.95) - 1)]
    print(f"final schedule, 6 layers + 150 overrides, 365 days, {ZONE}: {len(shifts)} shifts")
    print(f"  computed:  median {median:.1f} ms, p95 {p95:.1f} ms ({args.repeat} runs)")
    floor_ms = statistics.median(floors)
    print(f"  floor:     {floor_ms:.1f} ms for the {n} zone conversions it needs")
    print(f"  naive:     {naive_year:.0f} ms (minute by minute, one day measured, x365)")
    speedup = naive_year / median
    print(f"  ratio:     {median / floor_ms:.1f}x the floor, {speedup:.0f}x faster than naive")
    print(f"  target:    <= 50 ms: {'met' if p95 <= 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
