"""Live updates over Server-Sent Events on a real server: a change reaches a subscribed
browser, a rolled-back change publishes nothing, and restricted incidents reach only those who
may see them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from firehouse.db import Database
from firehouse.people.models import Role
from firehouse.web import live
from tests.conftest import MakePerson, Person
from tests.web_helpers import serve


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with serve(app) as url:
        yield url


def _events_until(
    base_url: str, who: Person, change: Any, last_id: int, seconds: float = 60.0
) -> list[dict[str, Any]]:
    """Subscribe as `who`, make `change()` once connected, and collect events up to and
    including the one about incident `last_id`. Events arrive in commit order, so anything
    `change()` published before that one has arrived by then. The stream's own limit only
    ends a test whose event never comes."""
    received: list[dict[str, Any]] = []
    with (
        httpx.Client(base_url=base_url, headers=who.headers, timeout=seconds + 10) as http,
        http.stream("GET", f"/events?seconds={seconds}") as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        for line in lines:
            if line == ": connected":
                break
        change()
        for line in lines:
            if line.startswith("data: "):
                received.append(json.loads(line[6:]))
                if received[-1].get("id") == last_id:
                    break
    return received


def _api(base_url: str, who: Person, method: str, path: str, **body: Any) -> dict[str, Any]:
    response = httpx.request(
        method, base_url + path, headers=who.headers, json=body or None, timeout=10
    )
    assert response.status_code < 300, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_status_change_reaches_a_subscribed_browser(
    base_url: str, responder: Person, viewer: Person
) -> None:
    created = _api(
        base_url, responder, "POST", "/api/v1/incidents", title="DB slow", severity="SEV3"
    )

    def acknowledge() -> None:
        _api(base_url, responder, "POST", "/api/v1/incidents/INC-1/acknowledge")

    events = _events_until(base_url, viewer, acknowledge, last_id=created["id"])
    assert events[-1:] == [{"topic": "incident", "id": created["id"]}]


def test_restricted_incidents_reach_only_those_who_may_see_them(
    base_url: str, make_person: MakePerson
) -> None:
    insider = make_person("sec", Role.responder)
    outsider = make_person("out", Role.responder)
    secret = _api(
        base_url, insider, "POST", "/api/v1/incidents", title="Leak", severity="SEV1",
        type="security",
    )  # fmt: skip
    public = _api(base_url, insider, "POST", "/api/v1/incidents", title="Slow", severity="SEV3")

    def change_both() -> None:
        _api(base_url, insider, "POST", f"/api/v1/incidents/{secret['reference']}/acknowledge")
        _api(base_url, insider, "POST", f"/api/v1/incidents/{public['reference']}/acknowledge")

    outside = _events_until(base_url, outsider, change_both, last_id=public["id"])
    assert [e["id"] for e in outside] == [public["id"]]

    def change_secret() -> None:
        _api(base_url, insider, "POST", f"/api/v1/incidents/{secret['reference']}/mitigate")

    inside = _events_until(base_url, insider, change_secret, last_id=secret["id"])
    assert [e["id"] for e in inside] == [secret["id"]]


def test_the_stream_needs_a_login(base_url: str) -> None:
    assert httpx.get(f"{base_url}/events?seconds=0").status_code == 401


def _publish_then_fail(database: Database) -> None:
    with database.session() as session:
        live.publish_after_commit(session, "alert", {"id": 1})
        raise RuntimeError("rolled back")


def test_a_rolled_back_write_publishes_nothing(database: Database) -> None:
    hub = live.hub_for(database.engine)

    def write_twice() -> None:
        with pytest.raises(RuntimeError):
            _publish_then_fail(database)
        with database.session() as session:
            live.publish_after_commit(session, "alert", {"id": 2})
            live.publish_after_commit(session, "alert", {"id": 2})  # once per transaction

    async def listen() -> list[live.LiveEvent]:
        subscriber = hub.subscribe()
        try:
            if hub.is_postgres:
                assert await asyncio.to_thread(hub.listening.wait, 10)
            await asyncio.to_thread(write_twice)
            first = await asyncio.wait_for(subscriber.queue.get(), 10)
            return [
                first,
                *(subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())),
            ]
        finally:
            hub.unsubscribe(subscriber)

    received = asyncio.run(listen())
    assert [(e.topic, e.data) for e in received] == [("alert", {"id": 2})]
