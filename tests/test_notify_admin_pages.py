"""Admins manage other people's contact methods and notification rules in the web UI: add,
edit, turn off, test (a real SMTP server receives it), remove; every change in the audit log
under the admin's name; forms need the CSRF token; nobody else gets the pages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from firehouse.audit.models import AuditRecord
from firehouse.db import Database
from firehouse.engine import Engine
from firehouse.notify.models import ContactMethod, NotificationRule
from tests.conftest import Person
from tests.paging_fixtures import engine, paging_settings, smtp  # noqa: F401
from tests.paging_peers import SmtpServer
from tests.web_helpers import csrf_of, login

RITA = "/admin/users/rita/notifications"


def _methods(database: Database, user_id: int) -> list[ContactMethod]:
    with database.session(write=False) as session:
        return list(
            session.scalars(select(ContactMethod).where(ContactMethod.user_id == user_id)).all()
        )


def test_an_admin_adds_edits_tests_and_removes_someone_elses_contact_method(
    client: TestClient,
    database: Database,
    admin: Person,
    responder: Person,
    engine: Engine,  # noqa: F811
    smtp: SmtpServer,  # noqa: F811
) -> None:
    csrf = login(client, "ada")
    added = client.post(
        f"{RITA}/methods",
        data={
            "kind": "email",
            "address": "rita.phone@example.com",
            "label": "phone",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(RITA)
    assert page.status_code == 200
    assert "rita.phone@example.com" in page.text
    assert "Notifications of Rita" in page.text
    [method] = _methods(database, responder.id)

    edited = client.post(
        f"{RITA}/methods/{method.id}",
        data={
            "address": "rita.pager@example.com",
            "label": "pager",
            "enabled": "true",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    rule = client.post(
        f"{RITA}/rules",
        data={
            "contact_method_id": str(method.id),
            "urgency": "high",
            "delay_minutes": "2",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert rule.status_code == 303
    tested = client.post(
        f"{RITA}/methods/{method.id}/test", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert tested.status_code == 303
    engine.run_until_idle()
    assert len(smtp.to("rita.pager@example.com")) == 1
    page = client.get(RITA).text
    assert "pager" in page
    assert "2 min" in page

    turned_off = client.post(
        f"{RITA}/methods/{method.id}",
        data={"address": "rita.pager@example.com", "label": "pager", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert turned_off.status_code == 303
    assert [m.enabled for m in _methods(database, responder.id)] == [False]

    with database.session(write=False) as session:
        rule_id = session.scalar(
            select(NotificationRule.id).where(NotificationRule.user_id == responder.id)
        )
    assert (
        client.post(
            f"{RITA}/rules/{rule_id}/delete", data={"csrf_token": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    removed = client.post(
        f"{RITA}/methods/{method.id}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert _methods(database, responder.id) == []

    with database.session(write=False) as session:
        actions = [
            (r.action, r.actor_id)
            for r in session.scalars(
                select(AuditRecord)
                .where(
                    AuditRecord.action.like("contact_method.%")
                    | AuditRecord.action.like("notification_rule.%")
                )
                .order_by(AuditRecord.seq)
            )
        ]
    assert actions == [
        ("contact_method.create", admin.id),
        ("contact_method.update", admin.id),
        ("notification_rule.create", admin.id),
        ("contact_method.update", admin.id),
        ("notification_rule.delete", admin.id),
        ("contact_method.delete", admin.id),
    ]


def test_admin_forms_need_the_csrf_token_and_a_bad_address_is_named(
    client: TestClient, database: Database, admin: Person, responder: Person
) -> None:
    login(client, "ada")
    refused = client.post(
        f"{RITA}/methods", data={"kind": "email", "address": "rita.phone@example.com"}
    )
    assert refused.status_code == 403
    assert _methods(database, responder.id) == []
    csrf = csrf_of(client.get(RITA).text)
    bad = client.post(
        f"{RITA}/methods", data={"kind": "email", "address": "nope", "csrf_token": csrf}
    )
    assert bad.status_code == 422
    assert "not an email address" in bad.text
    assert _methods(database, responder.id) == []


def test_only_admins_see_other_peoples_methods_and_ids_stay_with_their_person(
    client: TestClient, database: Database, admin: Person, responder: Person, viewer: Person
) -> None:
    own = client.post(
        "/api/v1/me/contact-methods",
        json={"kind": "email", "address": "vera.pager@example.com"},
        headers=viewer.headers,
    )
    assert own.status_code == 201, own.text
    login(client, "rita")
    assert client.get("/admin/users/vera/notifications").status_code == 403
    csrf = login(client, "ada")
    assert client.get("/admin/users/nobody/notifications").status_code == 404
    # vera's method through rita's page: not found, and untouched
    moved = client.post(
        f"{RITA}/methods/{own.json()['id']}/delete",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert moved.status_code == 404
    assert len(_methods(database, viewer.id)) == 1
    assert 'href="/admin/users/vera/notifications"' in client.get("/admin/users").text
