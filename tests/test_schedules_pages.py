"""The on-call page: who is on call, the timeline, and overrides made from it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import MakePerson, Person


def make_schedule(client: TestClient, who: Person) -> dict[str, Any]:
    body = {
        "name": "Payments",
        "team": "payments",
        "timezone": "America/New_York",
        "layers": [
            {
                "name": "Weekly",
                "rotation": ["alice", "bob"],
                "shift_length": 1,
                "shift_unit": "weeks",
                "handoff_time": "09:00",
                "start_date": "2026-02-23",
            },
            {
                "name": "Office hours",
                "rotation": ["carol"],
                "shift_length": 1,
                "shift_unit": "days",
                "start_date": "2026-02-23",
                "restrictions": {"windows": [{"start": "10:00", "end": "16:00"}]},
            },
        ],
    }
    response = client.post("/api/v1/schedules", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_page_shows_who_is_on_call_and_the_timeline(
    client: TestClient, manager: Person, make_person: MakePerson
) -> None:
    for handle in ("alice", "bob", "carol"):
        make_person(handle, teams=("payments",))
    make_schedule(client, manager)
    page = client.get("/oncall", headers=manager.headers)
    assert page.status_code == 200
    html = page.text
    # 09:00 UTC on Monday 2 March is 04:00 in New York: still alice's first week
    assert "Alice" in who_is_on_call(html)
    assert "Bob" not in who_is_on_call(html)
    assert "Office hours" in html
    assert html.count("<rect") >= 14 * 2  # carol's office hours every day, and the final row
    # the viewer's zone is UTC: 15:00 is 10:00 in New York (office hours), 22:00 is 17:00
    office = client.get("/oncall", params={"at": "2026-03-02T15:00"}, headers=manager.headers)
    assert "Carol" in who_is_on_call(office.text)
    evening = client.get("/oncall", params={"at": "2026-03-02T22:00"}, headers=manager.headers)
    assert "Bob" in who_is_on_call(evening.text)


def who_is_on_call(html: str) -> str:
    return html.split('id="who-is-on-call"')[1].split("</table>")[0]


def test_an_override_from_the_page_lands_and_a_bad_one_says_why(
    client: TestClient, manager: Person, responder: Person, make_person: MakePerson
) -> None:
    for handle in ("alice", "bob", "carol"):
        make_person(handle, teams=("payments",))
    sid = make_schedule(client, manager)["id"]
    picked = client.get(
        "/oncall",
        params={"schedule": sid, "start": "2026-03-03T18:00", "end": "2026-03-03T22:00"},
        headers=responder.headers,
    )
    assert 'value="2026-03-03T18:00"' in picked.text
    made = client.post(
        f"/oncall/{sid}/overrides",
        data={"user": "rita", "start": "2026-03-03T18:00", "end": "2026-03-03T22:00"},
        headers=responder.headers,
        follow_redirects=False,
    )
    assert made.status_code == 303
    final = client.get(
        f"/api/v1/schedules/{sid}/final",
        params={"start": "2026-03-03T23:00:00Z", "end": "2026-03-04T03:00:00Z"},
        headers=responder.headers,
    ).json()["shifts"]
    # 18:00-22:00 in New York (EST) is 23:00-03:00 UTC
    assert [[u["handle"] for u in s["users"]] for s in final] == [["rita"]]
    bad = client.post(
        f"/oncall/{sid}/overrides",
        data={"user": "rita", "start": "2026-03-04T18:00", "end": "2026-03-04T17:00"},
        headers=responder.headers,
    )
    assert bad.status_code == 422
    assert "must end after it starts" in bad.text
