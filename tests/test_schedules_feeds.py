"""iCal feeds (read back with the icalendar package), on-call history recorded by the engine,
shift-start notices and gap warnings."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.notify.models import Notification
from firehouse.schedules import jobs
from firehouse.schedules.models import CalendarFeed
from tests.conftest import MakePerson, Person

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; the test clock starts here


def daily(rotation: list[Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": "Daily",
        "rotation": rotation,
        "shift_length": 1,
        "shift_unit": "days",
        "handoff_time": "09:00",
        "start_date": "2026-03-02",
        **fields,
    }


@pytest.fixture
def crew(make_person: MakePerson) -> dict[str, Person]:
    return {h: make_person(h, teams=("payments",)) for h in ("alice", "bob", "carol")}


def create(client: TestClient, who: Person, **fields: Any) -> dict[str, Any]:
    body = {"name": "Payments", "team": "payments", "timezone": "America/New_York", **fields}
    response = client.post("/api/v1/schedules", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def events_of(text: bytes) -> list[tuple[datetime, datetime, str]]:
    calendar = icalendar.Calendar.from_ical(text)
    return sorted(
        (
            event.decoded("DTSTART").astimezone(UTC),
            event.decoded("DTEND").astimezone(UTC),
            str(event.get("SUMMARY")),
        )
        for event in calendar.walk("VEVENT")
    )


def final(client: TestClient, who: Person, sid: int, start: datetime, end: datetime) -> Any:
    response = client.get(
        f"/api/v1/schedules/{sid}/final",
        params={"start": start.isoformat(), "end": end.isoformat()},
        headers=who.headers,
    )
    assert response.status_code == 200
    return response.json()["shifts"]


def test_the_schedule_feed_parses_back_to_the_computed_schedule(
    client: TestClient, manager: Person, crew: dict[str, Person], database: Database
) -> None:
    schedule = create(client, manager, layers=[daily(["alice", ["bob", "carol"]])])
    sid = schedule["id"]
    client.post(
        f"/api/v1/schedules/{sid}/overrides",
        json={
            "user": "carol",
            "start": "2026-03-08T05:00:00Z",  # across the spring-forward night in New York
            "end": "2026-03-08T10:00:00Z",
        },
        headers=manager.headers,
    )
    issued = client.post(f"/api/v1/schedules/{sid}/feed", headers=crew["alice"].headers)
    assert issued.status_code == 201
    url, token = issued.json()["url"], issued.json()["token"]
    assert url == f"http://testserver/ical/schedules/{token}.ics"
    response = client.get(url)  # no credentials: the token is the key
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    got = events_of(response.content)
    shifts = final(client, manager, sid, NOW - timedelta(days=14), NOW + timedelta(days=90))
    expected = [
        (
            datetime.fromisoformat(s["start"]),
            datetime.fromisoformat(s["end"]),
            "On call: " + ", ".join(u["name"] for u in s["users"]),
        )
        for s in shifts
    ]
    assert got == expected
    assert ("On call: Carol") in {summary for _, _, summary in got}
    with database.session(write=False) as session:
        stored = session.scalars(select(CalendarFeed.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_a_person_feed_shows_only_their_shifts_and_a_new_url_retires_the_old(
    client: TestClient, manager: Person, crew: dict[str, Person]
) -> None:
    sid = create(client, manager, layers=[daily(["alice", "bob"])])["id"]
    create(client, manager, name="Search", timezone="UTC", layers=[daily(["bob"])])
    alice = crew["alice"]
    first = client.post("/api/v1/me/oncall-feed", headers=alice.headers).json()["url"]
    second = client.post("/api/v1/me/oncall-feed", headers=alice.headers).json()["url"]
    assert client.get(first).status_code == 404
    got = events_of(client.get(second).content)
    shifts = final(client, manager, sid, NOW - timedelta(days=14), NOW + timedelta(days=90))
    mine = [
        (datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
        for s in shifts
        if [u["handle"] for u in s["users"]] == ["alice"]
    ]
    assert [(a, b) for a, b, _ in got] == mine
    assert {summary for _, _, summary in got} == {"On call: Payments"}


def test_an_unknown_or_mismatched_token_is_404(
    client: TestClient, manager: Person, crew: dict[str, Person]
) -> None:
    sid = create(client, manager, layers=[daily(["alice"])])["id"]
    token = client.post(f"/api/v1/schedules/{sid}/feed", headers=manager.headers).json()["token"]
    assert client.get("/ical/schedules/not-a-token.ics").status_code == 404
    assert client.get(f"/ical/people/{token}.ics").status_code == 404


def outbox(database: Database, kind: str) -> list[tuple[str, str]]:
    with database.session(write=False) as session:
        rows = session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        ).all()
        return [(row.target, row.subject) for row in rows]


def history(client: TestClient, who: Person, sid: int, end: datetime) -> list[tuple[str, ...]]:
    response = client.get(
        f"/api/v1/schedules/{sid}/history",
        params={
            "start": (NOW - timedelta(days=1)).isoformat(),
            "end": (end + timedelta(seconds=1)).isoformat(),
        },
        headers=who.headers,
    )
    assert response.status_code == 200
    return [(r["user"]["handle"], r["started_at"], r["ended_at"] or "-") for r in response.json()]


def test_the_engine_records_who_was_on_call_and_tells_them_when_their_shift_starts(
    client: TestClient,
    manager: Person,
    crew: dict[str, Person],
    database: Database,
    clock: FrozenClock,
) -> None:
    # New York: 09:00 EST is 14:00 UTC; the clock starts at 09:00 UTC (04:00 EST, Monday)
    sid = create(client, manager, layers=[daily(["alice", "bob", "carol"])])["id"]
    engine = Engine(database, jobs=jobs.jobs())
    due = engine.run_until_idle()
    assert due is not None
    assert clock.now() < due <= datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # by the first handoff
    assert history(client, manager, sid, clock.now()) == []  # nobody before the first handoff
    clock.set(datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC))
    engine.run_until_idle()
    assert history(client, manager, sid, clock.now()) == [("alice", "2026-03-02T14:00:00Z", "-")]
    assert outbox(database, "schedule.shift_start") == [
        ("alice@example.com", "You are on call: Payments")
    ]
    # the engine is down for three days (over no daylight-saving change), then catches up
    clock.set(datetime(2026, 3, 5, 14, 30, tzinfo=UTC))
    engine.run_until_idle()
    assert history(client, manager, sid, clock.now()) == [
        ("alice", "2026-03-02T14:00:00Z", "2026-03-03T14:00:00Z"),
        ("bob", "2026-03-03T14:00:00Z", "2026-03-04T14:00:00Z"),
        ("carol", "2026-03-04T14:00:00Z", "2026-03-05T14:00:00Z"),
        ("alice", "2026-03-05T14:00:00Z", "-"),
    ]
    # shifts that started long ago get no late notice; the current one does
    assert [t for t, _ in outbox(database, "schedule.shift_start")] == [
        "alice@example.com",
        "alice@example.com",
    ]
    # across spring forward (8 March) the handoff stays at 09:00 local: 13:00 UTC
    clock.set(datetime(2026, 3, 8, 13, 0, 1, tzinfo=UTC))
    engine.run_until_idle()
    rows = history(client, manager, sid, clock.now())
    assert rows[-2:] == [
        ("carol", "2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z"),
        ("alice", "2026-03-08T13:00:00Z", "-"),
    ]


def test_an_override_made_now_is_recorded_at_once(
    client: TestClient,
    manager: Person,
    crew: dict[str, Person],
    database: Database,
    clock: FrozenClock,
) -> None:
    sid = create(client, manager, timezone="UTC", layers=[daily(["alice"])])["id"]
    engine = Engine(database, jobs=jobs.jobs())
    engine.run_until_idle()
    clock.advance(timedelta(minutes=10))
    response = client.post(
        f"/api/v1/schedules/{sid}/overrides",
        json={
            "user": "bob",
            "start": clock.now().isoformat(),
            "end": (clock.now() + timedelta(hours=2)).isoformat(),
        },
        headers=manager.headers,
    )
    assert response.status_code == 201
    engine.run_until_idle()
    assert history(client, manager, sid, clock.now()) == [
        ("alice", "2026-03-02T09:00:00Z", "2026-03-02T09:10:00Z"),
        ("bob", "2026-03-02T09:10:00Z", "-"),
    ]
    clock.advance(timedelta(hours=2))
    engine.run_until_idle()
    assert history(client, manager, sid, clock.now())[-1] == (
        "alice",
        "2026-03-02T11:10:00Z",
        "-",
    )


def test_a_team_hears_once_about_each_gap_in_the_next_two_weeks(
    client: TestClient,
    manager: Person,
    crew: dict[str, Person],
    database: Database,
    clock: FrozenClock,
) -> None:
    weekdays_only = daily(["alice"], restrictions={"weekdays": ["mon", "tue", "wed", "thu", "fri"]})
    create(client, manager, timezone="UTC", layers=[weekdays_only])
    engine = Engine(database, jobs=jobs.jobs())
    engine.run_until_idle()
    warned = outbox(database, "schedule.gap")
    # two weekends ahead, told to each of the three members of the team
    assert len(warned) == 6
    assert {target for target, _ in warned} == {
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
    }
    assert "Sat 07 Mar 00:00" in warned[0][1]
    clock.advance(timedelta(days=2))
    engine.run_until_idle()
    assert len(outbox(database, "schedule.gap")) == 6  # nothing new yet
    clock.advance(timedelta(days=4))  # Saturday: a third weekend comes into view
    engine.run_until_idle()
    assert len(outbox(database, "schedule.gap")) == 9


def test_a_shift_start_notice_follows_the_persons_low_urgency_rules(
    client: TestClient,
    manager: Person,
    crew: dict[str, Person],
    database: Database,
    clock: FrozenClock,
) -> None:
    alice = crew["alice"]
    method = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "webhook", "address": "http://127.0.0.1:9/hook"},
        headers=alice.headers,
    )
    assert method.status_code == 201, method.text
    for delay in (0, 10):  # only the immediate rule is used for a notice
        rule = client.post(
            "/api/v1/me/notification-rules",
            json={
                "contact_method_id": method.json()["id"],
                "urgency": "low",
                "delay_minutes": delay,
            },
            headers=alice.headers,
        )
        assert rule.status_code == 201, rule.text
    create(client, manager, timezone="UTC", layers=[daily(["alice"])])
    Engine(database, jobs=jobs.jobs()).run_until_idle()
    with database.session(write=False) as session:
        rows = session.scalars(
            select(Notification).where(Notification.kind == "schedule.shift_start")
        ).all()
        sent = [(r.channel.value, r.target, (r.payload or {}).get("user")) for r in rows]
    assert sent == [("webhook", "http://127.0.0.1:9/hook", "alice")]
