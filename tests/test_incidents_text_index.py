"""The list's `q` filter runs on a full-text index kept in step with every edit."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Person, declare


def _found(client: TestClient, who: Person, q: str) -> list[str]:
    r = client.get("/api/v1/incidents", params={"q": q}, headers=who.headers)
    assert r.status_code == 200, r.text
    return [item["reference"] for item in r.json()["items"]]


def _retitle(client: TestClient, who: Person, ref: str, **body: Any) -> None:
    r = client.patch(f"/api/v1/incidents/{ref}", json=body, headers=who.headers)
    assert r.status_code == 200, r.text


def test_each_typed_word_matches_the_start_of_a_word(client: TestClient, responder: Person) -> None:
    ref = declare(client, responder, title="Checkout latency", summary="Payments timing out")[
        "reference"
    ]
    assert _found(client, responder, "check") == [ref]
    assert _found(client, responder, "PAY tim") == [ref]
    assert _found(client, responder, "heckout") == []
    assert _found(client, responder, "payments refunds") == []
    assert _found(client, responder, "!!!") == []


def test_an_edited_title_or_summary_is_found_by_its_new_words_only(
    client: TestClient, responder: Person
) -> None:
    ref = str(declare(client, responder, title="Disk full on db-3")["reference"])
    _retitle(client, responder, ref, title="Replication lag", summary="Follower behind")
    assert _found(client, responder, "disk") == []
    assert _found(client, responder, "replication") == [ref]
    assert _found(client, responder, "follower") == [ref]
