"""Restricted incidents (security type): visible only to the owning team, the people on the
incident and admins; to everyone else they do not exist, in lists, counts, search and reads."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from firehouse.people.models import Role
from tests.conftest import MakePerson, Person, declare


@pytest.fixture
def cast(make_person: MakePerson) -> dict[str, Person]:
    return {
        "insider": make_person("sal", teams=("security",)),
        "teammate": make_person("sue", teams=("security",)),
        "outsider": make_person("otto", teams=("payments",)),
        "global manager": make_person("gwen", Role.incident_manager),
        "viewer": make_person("vic", Role.viewer),
        "admin": make_person("adam", Role.admin),
        "helper": make_person("hal"),
        "joiner": make_person("jo"),
    }


def _refs(client: TestClient, who: Person, **params: Any) -> tuple[list[str], int]:
    r = client.get(
        "/api/v1/incidents", params={"total": True, "limit": 200, **params}, headers=who.headers
    )
    assert r.status_code == 200, r.text
    page = r.json()
    return [i["reference"] for i in page["items"]], page["total"]


@pytest.fixture
def leak(client: TestClient, cast: dict[str, Person]) -> str:
    insider = cast["insider"]
    declare(client, insider, title="Public outage of the API", severity="SEV2")
    ref = declare(
        client,
        insider,
        title="Leaked signing key",
        severity="SEV1",
        type="security",
        team="security",
    )["reference"]
    r = client.put(
        f"/api/v1/incidents/{ref}/roles/technical_lead",
        json={"user": "hal"},
        headers=insider.headers,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/incidents/{ref}/participants", json={"user": "jo"}, headers=insider.headers
    )
    assert r.status_code == 201, r.text
    return str(ref)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("insider", True),
        ("teammate", True),
        ("helper", True),
        ("joiner", True),
        ("admin", True),
        ("outsider", False),
        ("global manager", False),
        ("viewer", False),
    ],
)
def test_a_restricted_incident_exists_only_for_those_involved(
    client: TestClient, cast: dict[str, Person], leak: str, who: str, sees: bool
) -> None:
    person = cast[who]
    refs, total = _refs(client, person)
    searched, found = _refs(client, person, q="signing key")
    by_number, _ = _refs(client, person, q=leak)
    sev1, sev1_total = _refs(client, person, severity="SEV1")
    security, _ = _refs(client, person, type="security")
    show = client.get(f"/api/v1/incidents/{leak}", headers=person.headers)
    timeline = client.get(f"/api/v1/incidents/{leak}/timeline", headers=person.headers)
    roles = client.get(f"/api/v1/incidents/{leak}/roles", headers=person.headers)
    checklist = client.get(f"/api/v1/incidents/{leak}/checklist", headers=person.headers)
    if sees:
        assert leak in refs
        assert total == 2
        assert searched == [leak]
        assert found == 1
        assert by_number == [leak]
        assert (sev1, sev1_total) == ([leak], 1)
        assert security == [leak]
        assert show.status_code == 200
        assert show.json()["type"]["restricted"] is True
        assert timeline.status_code == roles.status_code == checklist.status_code == 200
        return
    assert leak not in refs
    assert total == 1
    assert (searched, found) == ([], 0)
    assert by_number == []
    assert (sev1, sev1_total) == ([], 0)
    assert security == []
    for response in (show, timeline, roles, checklist):
        assert response.status_code == 404
        assert response.json()["error"]["message"] == f"no incident {leak}"


def test_outsiders_cannot_act_on_it_either(
    client: TestClient, cast: dict[str, Person], leak: str
) -> None:
    outsider = cast["global manager"]
    survivor = declare(client, outsider, title="Mine", severity="SEV3")["reference"]
    attempts = [
        client.post(f"/api/v1/incidents/{leak}/acknowledge", headers=outsider.headers),
        client.post(
            f"/api/v1/incidents/{leak}/timeline", json={"body": "hi"}, headers=outsider.headers
        ),
        client.patch(f"/api/v1/incidents/{leak}", json={"title": "x"}, headers=outsider.headers),
        client.put(
            f"/api/v1/incidents/{leak}/roles/scribe",
            json={"user": "gwen"},
            headers=outsider.headers,
        ),
        client.post(
            f"/api/v1/incidents/{survivor}/merge", json={"into": leak}, headers=outsider.headers
        ),
    ]
    assert [a.status_code for a in attempts] == [404] * len(attempts)
    insider = cast["insider"]
    shown = client.get(f"/api/v1/incidents/{leak}", headers=insider.headers).json()
    assert shown["title"] == "Leaked signing key"
    assert shown["status"] == "triggered"


def test_retyping_an_incident_as_security_hides_it(
    client: TestClient, cast: dict[str, Person]
) -> None:
    insider, outsider = cast["insider"], cast["outsider"]
    ref = declare(client, insider, title="Odd logins", severity="SEV3", team="security")[
        "reference"
    ]
    assert ref in _refs(client, outsider)[0]
    r = client.patch(f"/api/v1/incidents/{ref}", json={"type": "security"}, headers=insider.headers)
    assert r.status_code == 200, r.text
    assert ref not in _refs(client, outsider)[0]
    assert client.get(f"/api/v1/incidents/{ref}", headers=outsider.headers).status_code == 404
    r = client.patch(
        f"/api/v1/incidents/{ref}", json={"type": "operational"}, headers=insider.headers
    )
    assert r.status_code == 200
    assert ref in _refs(client, outsider)[0]
