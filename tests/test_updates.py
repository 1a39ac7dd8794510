"""Internal stakeholder updates: written from a template by the communications lead, sent to
the chosen audiences through the outbox (a real SMTP server), on the timeline; the cadence
reminders with the clock fast-forwarded; follows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from firehouse.app import create_app
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.people.models import Role
from firehouse.settings import Settings
from firehouse.updates import service as updates
from tests.conftest import MakePerson, Person, declare
from tests.status_helpers import SmtpServer, mail_settings, make_engine, start_smtp, text_of


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.controller.stop()


@pytest.fixture
def configured(settings: Settings, smtp: SmtpServer) -> Settings:
    return mail_settings(settings, smtp.port)


@pytest.fixture
def mail_client(configured: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(configured, database=database)) as c:
        yield c


@pytest.fixture
def engine(database: Database, configured: Settings) -> Engine:
    return make_engine(database, configured)


@pytest.fixture
def crew(mail_client: TestClient, make_person: MakePerson, manager: Person) -> dict[str, Person]:
    people = {
        "owner": make_person("olga", Role.responder),
        "comms": make_person("cora", Role.responder),
        "bob": make_person("bob", Role.responder, teams=("payments",)),
        "pat": make_person("pat", Role.viewer, teams=("payments",)),
    }
    r = mail_client.post(
        "/api/v1/stakeholder-lists",
        json={
            "slug": "executives",
            "name": "Executives",
            "targets": [{"channel": "email", "target": "ceo@example.com"}],
        },
        headers=manager.headers,
    )
    assert r.status_code == 201, r.text
    return people


def _incident(client: TestClient, crew: dict[str, Person], **fields: object) -> str:
    incident = declare(client, crew["owner"], title="Checkout is failing", **fields)
    ref = str(incident["reference"])
    r = client.put(
        f"/api/v1/incidents/{ref}/roles/communications_lead",
        json={"user": "cora"},
        headers=crew["owner"].headers,
    )
    assert r.status_code == 200, r.text
    return ref


UPDATE = {
    "template": "initial",
    "impact": "5% of card payments fail",
    "current_actions": "Rolling back release 2231",
    "audiences": ["executives", "team:payments"],
}


def test_the_comms_lead_sends_an_update_to_the_chosen_audiences(
    mail_client: TestClient, engine: Engine, smtp: SmtpServer, crew: dict[str, Person]
) -> None:
    ref = _incident(mail_client, crew)
    r = mail_client.post(
        f"/api/v1/incidents/{ref}/updates", json=UPDATE, headers=crew["comms"].headers
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["recipients"] == 3  # the CEO, and the two members of payments
    assert sent["next_update_at"] == "2026-03-02T10:00:00Z"  # SEV2: every 60 minutes
    engine.run_until_idle()
    for address in ("ceo@example.com", "bob@example.com", "pat@example.com"):
        [mail] = smtp.mailbox.to(address)
        assert mail["Subject"] == f"{ref} [SEV2] Checkout is failing: we are responding"
        body = text_of(mail)
        assert "Impact: 5% of card payments fail" in body
        assert "What we are doing: Rolling back release 2231" in body
        assert "Next update: by 2026-03-02 10:00 UTC" in body
    assert smtp.mailbox.to("olga@example.com") == []
    timeline = mail_client.get(
        f"/api/v1/incidents/{ref}/timeline", headers=crew["owner"].headers
    ).json()
    entries = timeline["items"] if isinstance(timeline, dict) else timeline
    [entry] = [e for e in entries if e["kind"] == "stakeholder_update"]
    assert "executives, team:payments" in entry["body"]
    assert "5% of card payments fail" in entry["body"]
    listed = mail_client.get(f"/api/v1/incidents/{ref}/updates", headers=crew["bob"].headers).json()
    assert [u["id"] for u in listed] == [sent["id"]]


def test_only_the_comms_lead_or_incident_manager_sends_updates(
    mail_client: TestClient, crew: dict[str, Person], manager: Person
) -> None:
    ref = _incident(mail_client, crew)
    r = mail_client.post(
        f"/api/v1/incidents/{ref}/updates", json=UPDATE, headers=crew["bob"].headers
    )
    assert r.status_code == 403
    for who in (crew["owner"], manager):
        r = mail_client.post(f"/api/v1/incidents/{ref}/updates", json=UPDATE, headers=who.headers)
        assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"audiences": ["list:nobody"]}, "audiences.0"),
        ({"audiences": ["everyone"]}, "audiences.0"),
        ({"template": "poem"}, "template"),
        ({"current_actions": ""}, "current_actions"),
        ({"next_update_at": "2026-03-02T08:00:00Z"}, "next_update_at"),
    ],
)
def test_a_bad_update_is_422_naming_the_field_and_sends_nothing(
    mail_client: TestClient, crew: dict[str, Person], change: dict[str, object], field: str
) -> None:
    ref = _incident(mail_client, crew)
    r = mail_client.post(
        f"/api/v1/incidents/{ref}/updates", json={**UPDATE, **change}, headers=crew["comms"].headers
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == field
    assert (
        mail_client.get(f"/api/v1/incidents/{ref}/updates", headers=crew["comms"].headers).json()
        == []
    )


def test_an_overdue_update_reminds_the_comms_lead_then_the_incident_manager(
    mail_client: TestClient,
    engine: Engine,
    smtp: SmtpServer,
    crew: dict[str, Person],
    clock: FrozenClock,
) -> None:
    ref = _incident(mail_client, crew)
    engine.run_until_idle()
    clock.advance(timedelta(minutes=59))
    engine.run_until_idle()
    assert smtp.mailbox.to("cora@example.com") == []
    overdue = mail_client.get("/api/v1/updates/overdue", headers=crew["bob"].headers).json()
    assert overdue == []

    clock.advance(timedelta(minutes=2))  # SEV2 cadence: an update was due at 60 minutes
    engine.run_until_idle()
    [reminder] = smtp.mailbox.to("cora@example.com")
    assert reminder["Subject"] == f"{ref}: a stakeholder update is due"
    assert "communications lead" in text_of(reminder)
    assert smtp.mailbox.to("olga@example.com") == []
    overdue = mail_client.get("/api/v1/updates/overdue", headers=crew["bob"].headers).json()
    assert [(o["reference"], o["minutes_overdue"]) for o in overdue] == [(ref, 1)]

    clock.advance(timedelta(minutes=10))  # still nothing sent: the incident manager hears
    engine.run_until_idle()
    [escalated] = smtp.mailbox.to("olga@example.com")
    assert "incident manager" in text_of(escalated)
    assert len(smtp.mailbox.to("cora@example.com")) == 1

    r = mail_client.post(
        f"/api/v1/incidents/{ref}/updates", json=UPDATE, headers=crew["comms"].headers
    )
    assert r.status_code == 201
    assert mail_client.get("/api/v1/updates/overdue", headers=crew["bob"].headers).json() == []
    clock.advance(timedelta(minutes=30))
    engine.run_until_idle()
    assert len(smtp.mailbox.to("cora@example.com")) == 1
    clock.advance(timedelta(minutes=31))  # the next one is due 60 minutes after the update
    engine.run_until_idle()
    assert len(smtp.mailbox.to("cora@example.com")) == 2


def test_without_a_comms_lead_the_incident_manager_is_reminded(
    mail_client: TestClient,
    engine: Engine,
    smtp: SmtpServer,
    crew: dict[str, Person],
    clock: FrozenClock,
) -> None:
    declare(mail_client, crew["owner"], title="Search is slow", severity="SEV1")
    engine.run_until_idle()
    clock.advance(timedelta(minutes=31))
    engine.run_until_idle()
    assert len(smtp.mailbox.to("olga@example.com")) == 1


def test_overdue_updates_respect_visibility(
    database: Database, mail_client: TestClient, crew: dict[str, Person], clock: FrozenClock
) -> None:
    declare(mail_client, crew["owner"], title="Leaked keys", type="security")
    clock.advance(timedelta(hours=3))
    with database.session() as session:
        from firehouse.actor import Actor

        outsider = Actor(user_id=crew["bob"].id, handle="bob", role=Role.responder)
        owner = Actor(user_id=crew["owner"].id, handle="olga", role=Role.responder)
        assert updates.overdue_updates(session, outsider) == []
        assert [o.title for o in updates.overdue_updates(session, owner)] == ["Leaked keys"]


def test_followers_hear_about_changes(
    mail_client: TestClient,
    engine: Engine,
    smtp: SmtpServer,
    crew: dict[str, Person],
    manager: Person,
) -> None:
    r = mail_client.post(
        "/api/v1/services", json={"slug": "checkout", "name": "Checkout"}, headers=manager.headers
    )
    assert r.status_code == 201, r.text
    follow = mail_client.post(
        "/api/v1/me/follows",
        json={"type": "service", "target": "checkout"},
        headers=crew["pat"].headers,
    )
    assert follow.status_code == 201, follow.text
    assert follow.json()["target"] == "checkout"
    bad = mail_client.post(
        "/api/v1/me/follows", json={"type": "team", "target": "nope"}, headers=crew["pat"].headers
    )
    assert bad.status_code == 422
    engine.run_until_idle()  # the follow job starts reading from here
    incident = declare(
        mail_client, crew["owner"], title="Checkout is failing", services=["checkout"]
    )
    engine.run_until_idle()
    [mail] = smtp.mailbox.to("pat@example.com")
    assert f"{incident['reference']} Checkout is failing" in mail["Subject"]
    assert "declared" in text_of(mail)
    # an incident on another service: nothing
    declare(mail_client, crew["owner"], title="Search is slow")
    engine.run_until_idle()
    assert len(smtp.mailbox.to("pat@example.com")) == 1
    # unfollow: nothing more
    mail_client.delete(f"/api/v1/me/follows/{follow.json()['id']}", headers=crew["pat"].headers)
    mail_client.post(
        f"/api/v1/incidents/{incident['reference']}/acknowledge", headers=crew["owner"].headers
    )
    engine.run_until_idle()
    assert len(smtp.mailbox.to("pat@example.com")) == 1
