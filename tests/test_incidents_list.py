"""Listing incidents: sorting and keyset pagination walk every incident exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from tests.conftest import Person, declare

SEVERITIES = ["SEV3", "SEV1", "SEV4", "SEV1", "SEV2", "SEV3", "SEV1", "SEV4", "SEV2"]


@pytest.fixture
def made(client: TestClient, responder: Person, clock: FrozenClock) -> list[dict[str, Any]]:
    incidents = []
    for i, severity in enumerate(SEVERITIES):
        incidents.append(declare(client, responder, title=f"Incident {i}", severity=severity))
        clock.advance(timedelta(minutes=5))
    return incidents


def _walk(client: TestClient, who: Person, **params: Any) -> list[str]:
    refs: list[str] = []
    cursor = None
    for _ in range(20):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = client.get("/api/v1/incidents", params=query, headers=who.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        refs += [i["reference"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return refs
    raise AssertionError("pagination did not end")


def _rank(incident: dict[str, Any]) -> int:
    return int(str(incident["severity"]["key"])[3:])


@pytest.mark.parametrize("limit", [1, 2, 4, 50])
def test_severity_sort_is_most_severe_first_then_newest(
    client: TestClient, responder: Person, made: list[dict[str, Any]], limit: int
) -> None:
    newest_first = list(reversed(made))
    expected = [i["reference"] for i in sorted(newest_first, key=_rank)]
    assert _walk(client, responder, sort="severity", limit=limit) == expected
    least = [i["reference"] for i in sorted(newest_first, key=lambda i: -_rank(i))]
    assert _walk(client, responder, sort="-severity", limit=limit) == least


def test_severity_sort_with_a_filter(
    client: TestClient, responder: Person, made: list[dict[str, Any]]
) -> None:
    r = client.post(f"/api/v1/incidents/{made[1]['reference']}/cancel", headers=responder.headers)
    assert r.status_code == 200
    open_ones = [i for i in reversed(made) if i["reference"] != made[1]["reference"]]
    expected = [i["reference"] for i in sorted(open_ones, key=_rank)]
    assert _walk(client, responder, sort="severity", limit=2, status="triggered") == expected


@pytest.mark.parametrize("sort", ["-declared_at", "declared_at", "number", "-updated_at"])
def test_other_sorts_page_through_everything_once(
    client: TestClient, responder: Person, made: list[dict[str, Any]], sort: str
) -> None:
    refs = [i["reference"] for i in made]
    expected = list(reversed(refs)) if sort.startswith("-") else refs
    assert _walk(client, responder, sort=sort, limit=3) == expected


def test_a_forged_cursor_is_invalid(client: TestClient, responder: Person) -> None:
    for sort in ("severity", "-declared_at"):
        r = client.get(
            "/api/v1/incidents",
            params={"sort": sort, "cursor": "bm90LWEtY3Vyc29y"},
            headers=responder.headers,
        )
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] == "cursor"


def test_text_search_ignores_case_in_title_and_summary(
    client: TestClient, responder: Person
) -> None:
    first = declare(client, responder, title="Checkout DB Errors")["reference"]
    second = declare(client, responder, title="Slow pages", summary="The Primary DB is saturated")[
        "reference"
    ]
    declare(client, responder, title="Unrelated")
    assert _walk(client, responder, q="db") == [second, first]
    assert _walk(client, responder, q="CHECKOUT db") == [first]
    assert _walk(client, responder, q="primary db") == [second]
    assert _walk(client, responder, q=first) == [first]
    assert _walk(client, responder, q="nothing of the sort") == []
