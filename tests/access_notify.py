"""Access rules for contact methods, notification rules, team channels, the delivery log and
the one-click links in pages (public: the signed token is the credential)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from firehouse.notify import links
from tests.access_rules import (
    ADMIN_READ,
    ADMIN_WRITE,
    MANAGER,
    OWN_WRITE,
    PUBLIC,
    SIGNED_IN,
    Call,
    DomainTable,
)

EMAIL = {"kind": "email", "address": "pager@example.com"}


def setup(world: Any) -> None:
    admin = world.callers["admin"]
    method = world.client.post(
        "/api/v1/users/tess/contact-methods",
        json={"kind": "email", "address": "tess.pager@example.com"},
        headers=admin.headers,
    )
    assert method.status_code == 201, method.text
    rule = world.client.post(
        "/api/v1/users/tess/notification-rules",
        json={"contact_method_id": method.json()["id"], "urgency": "high"},
        headers=admin.headers,
    )
    assert rule.status_code == 201, rule.text
    channel = world.client.post(
        "/api/v1/teams/payments/channels",
        json={"channel": "webhook", "target": "http://127.0.0.1:9/hook"},
        headers=admin.headers,
    )
    assert channel.status_code == 201, channel.text
    world.values["method_id"] = str(method.json()["id"])
    world.values["rule_id"] = str(rule.json()["id"])
    world.values["channel_id"] = str(channel.json()["id"])
    with world.database.session() as session:
        from sqlalchemy import select

        from firehouse import clock
        from firehouse.incidents.models import Incident
        from firehouse.people import service as people

        number = int(world.values["ref"].split("-")[1])
        incident_id = session.scalar(select(Incident.id).where(Incident.number == number))
        assert incident_id is not None
        world.values["token"] = links.make_token(
            links.link_secret(session, None),
            incident_id=incident_id,
            action="acknowledge",
            user_id=people.find_user(session, "tess").id,
            now=clock.now(session),
            lifetime=timedelta(hours=1),
        )


TABLE = DomainTable(
    expected={
        ("GET", "/api/v1/me/contact-methods"): Call(SIGNED_IN),
        ("POST", "/api/v1/me/contact-methods"): Call(OWN_WRITE, json=EMAIL),
        ("PATCH", "/api/v1/me/contact-methods/{method_id}"): Call(
            OWN_WRITE, json={"label": "Pager"}
        ),
        ("POST", "/api/v1/me/contact-methods/{method_id}/test"): Call(OWN_WRITE),
        ("GET", "/api/v1/me/notification-rules"): Call(SIGNED_IN),
        ("POST", "/api/v1/me/notification-rules"): Call(
            OWN_WRITE, json={"contact_method_id": "{method_id}", "urgency": "low"}
        ),
        ("DELETE", "/api/v1/me/notification-rules/{rule_id}"): Call(OWN_WRITE),
        ("DELETE", "/api/v1/me/contact-methods/{method_id}"): Call(OWN_WRITE),
        ("GET", "/api/v1/me/notifications"): Call(SIGNED_IN),
        ("GET", "/api/v1/users/{handle}/contact-methods"): Call(ADMIN_READ),
        ("POST", "/api/v1/users/{handle}/contact-methods"): Call(ADMIN_WRITE, json=EMAIL),
        ("GET", "/api/v1/users/{handle}/notification-rules"): Call(ADMIN_READ),
        ("POST", "/api/v1/users/{handle}/notification-rules"): Call(
            ADMIN_WRITE,
            json={"contact_method_id": "{method_id}", "urgency": "low", "delay_minutes": 5},
        ),
        ("GET", "/api/v1/teams/{slug}/channels"): Call(SIGNED_IN),
        ("POST", "/api/v1/teams/{slug}/channels"): Call(
            MANAGER, json={"channel": "email", "target": "payments@example.com"}
        ),
        ("DELETE", "/api/v1/teams/{slug}/channels/{channel_id}"): Call(MANAGER),
        ("GET", "/api/v1/incidents/{ref}/deliveries"): Call(SIGNED_IN),
        ("GET", "/profile/notifications"): Call(SIGNED_IN),
        ("POST", "/profile/notifications/methods"): Call(
            OWN_WRITE, form={"kind": "email", "address": "me.pager@example.com"}
        ),
        ("POST", "/profile/notifications/methods/{method_id}/test"): Call(OWN_WRITE),
        ("POST", "/profile/notifications/rules"): Call(
            OWN_WRITE, form={"contact_method_id": "{method_id}", "urgency": "low"}
        ),
        ("POST", "/profile/notifications/rules/{rule_id}/delete"): Call(OWN_WRITE),
        ("POST", "/profile/notifications/methods/{method_id}"): Call(
            OWN_WRITE, form={"address": "me.pager@example.com", "label": "Pager"}
        ),
        ("POST", "/profile/notifications/methods/{method_id}/delete"): Call(OWN_WRITE),
        ("GET", "/admin/users/{handle}/notifications"): Call(ADMIN_READ),
        ("POST", "/admin/users/{handle}/notifications/methods"): Call(
            ADMIN_WRITE, form={"kind": "email", "address": "tess.phone@example.com"}
        ),
        ("POST", "/admin/users/{handle}/notifications/methods/{method_id}"): Call(
            ADMIN_WRITE,
            form={"address": "tess.pager@example.com", "label": "Pager", "enabled": "true"},
        ),
        ("POST", "/admin/users/{handle}/notifications/methods/{method_id}/test"): Call(ADMIN_WRITE),
        ("POST", "/admin/users/{handle}/notifications/rules"): Call(
            ADMIN_WRITE,
            form={"contact_method_id": "{method_id}", "urgency": "low", "delay_minutes": "7"},
        ),
        ("POST", "/admin/users/{handle}/notifications/rules/{rule_id}/delete"): Call(ADMIN_WRITE),
        ("POST", "/admin/users/{handle}/notifications/methods/{method_id}/delete"): Call(
            ADMIN_WRITE
        ),
        ("GET", "/a/{token}"): Call(PUBLIC),
        ("POST", "/a/{token}"): Call(PUBLIC),
    },
    setup=setup,
)
