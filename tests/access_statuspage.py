"""Access rules for the public status page, its management API, stakeholder updates, lists
and follows."""

from __future__ import annotations

from typing import Any

from firehouse.actor import Actor
from firehouse.catalog import service as catalog
from firehouse.people.models import Role
from firehouse.statuspage import service as status
from firehouse.statuspage.models import PublicStatus
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
from tests.conftest import declare

SP = "/api/v1/statuspage"
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
    "AAAABJRU5ErkJggg=="
)


def _setup(world: Any) -> None:
    client = world.client
    admin = world.callers["admin"]
    owner = world.make_person("sofia", Role.responder)
    incident = declare(client, owner, title="Status page drill")
    system = Actor.system("test")
    with world.database.session() as session:
        catalog.create_service(session, actor=system, slug="status-api", name="Status API")
        group = status.create_group(session, actor=system, name="Core")
        spare_group = status.create_group(session, actor=system, name="Spare")
        component = status.create_component(session, actor=system, name="API", group_id=group.id)
        spare = status.create_component(session, actor=system, name="Spare component")
        public = status.open_public_incident(
            session,
            actor=system,
            title="Slow API",
            spec=status.Publication(
                status=PublicStatus.investigating, body="Looking.", notify=False
            ),
            base_url="http://testserver",
        )
        subscriber = status.add_webhook(
            session, actor=system, url="http://127.0.0.1:9/hook", component_ids=[]
        )
    from datetime import timedelta

    from firehouse import clock as _clock

    with world.database.session() as session:
        now = _clock.now(session)
        maintenance = status.schedule_maintenance(
            session,
            actor=system,
            title="Database upgrade",
            body="",
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=1),
            component_ids=[],
            notify=False,
            base_url="http://testserver",
        )
    for slug in ("executives", "spare-list"):
        r = client.post(
            "/api/v1/stakeholder-lists",
            json={"slug": slug, "targets": [{"channel": "email", "target": f"{slug}@example.com"}]},
            headers=admin.headers,
        )
        assert r.status_code == 201, r.text
    world.values.update(
        {
            "status_ref": str(incident["reference"]),
            "group_id": str(group.id),
            "spare_group_id": str(spare_group.id),
            "component_id": str(component.id),
            "spare_component_id": str(spare.id),
            "public_id": str(public.id),
            "maintenance_id": str(maintenance.id),
            "subscriber_id": str(subscriber.id),
        }
    )


TABLE = DomainTable(
    expected={
        # the public page: no login
        ("GET", "/status"): Call(PUBLIC),
        ("GET", "/status/status.css"): Call(PUBLIC),
        ("GET", "/status/logo"): Call(PUBLIC),
        ("GET", "/status/history"): Call(PUBLIC),
        ("GET", "/status/incidents/{public_id}"): Call(PUBLIC),
        ("GET", "/status/maintenance/{maintenance_id}"): Call(PUBLIC),
        ("GET", "/status/feed.atom"): Call(PUBLIC),
        ("GET", "/status/feed.rss"): Call(PUBLIC),
        ("GET", "/status/api/summary.json"): Call(PUBLIC),
        ("GET", "/status/subscribe"): Call(PUBLIC),
        ("POST", "/status/subscribe"): Call(PUBLIC, form={"email": "reader@example.com"}),
        ("POST", "/status/api/subscribers"): Call(PUBLIC, json={"email": "api@example.com"}),
        ("GET", "/status/subscribe/confirm"): Call(
            PUBLIC, path="/status/subscribe/confirm?token=1.x"
        ),
        ("GET", "/status/unsubscribe"): Call(PUBLIC, path="/status/unsubscribe?token=1.x"),
        ("POST", "/status/unsubscribe"): Call(PUBLIC, form={"token": "1.x"}),
        # management
        ("GET", f"{SP}/groups"): Call(SIGNED_IN),
        ("POST", f"{SP}/groups"): Call(MANAGER, json={"name": "Edge"}),
        ("PATCH", f"{SP}/groups/{{group_id}}"): Call(MANAGER, json={"position": 3}),
        ("DELETE", f"{SP}/groups/{{group_id}}"): Call(
            MANAGER, path=f"{SP}/groups/{{spare_group_id}}"
        ),
        ("GET", f"{SP}/components"): Call(SIGNED_IN),
        ("POST", f"{SP}/components"): Call(MANAGER, json={"name": "Dashboard"}),
        ("PATCH", f"{SP}/components/{{component_id}}"): Call(
            MANAGER, json={"status": "degraded_performance"}
        ),
        ("DELETE", f"{SP}/components/{{component_id}}"): Call(
            MANAGER, path=f"{SP}/components/{{spare_component_id}}"
        ),
        ("GET", f"{SP}/incidents"): Call(SIGNED_IN),
        ("POST", f"{SP}/incidents"): Call(
            MANAGER,
            json={"title": "Checkout errors", "body": "We are on it.", "incident": "{status_ref}"},
        ),
        ("GET", f"{SP}/incidents/{{public_id}}"): Call(SIGNED_IN),
        ("POST", f"{SP}/incidents/{{public_id}}/updates"): Call(
            MANAGER, json={"status": "identified", "body": "Found it."}
        ),
        ("GET", f"{SP}/maintenance"): Call(SIGNED_IN),
        ("POST", f"{SP}/maintenance"): Call(
            MANAGER,
            json={
                "title": "Network work",
                "starts_at": "2026-03-05T01:00:00Z",
                "ends_at": "2026-03-05T02:00:00Z",
            },
        ),
        ("GET", f"{SP}/maintenance/{{maintenance_id}}"): Call(SIGNED_IN),
        ("PATCH", f"{SP}/maintenance/{{maintenance_id}}"): Call(
            MANAGER, json={"body": "Short blips."}
        ),
        ("GET", f"{SP}/branding"): Call(SIGNED_IN),
        ("PATCH", f"{SP}/branding"): Call(ADMIN_WRITE, json={"name": "Acme status"}),
        ("PUT", f"{SP}/branding/logo"): Call(
            ADMIN_WRITE, json={"content_type": "image/png", "data_base64": PNG}
        ),
        ("DELETE", f"{SP}/branding/logo"): Call(ADMIN_WRITE),
        ("GET", f"{SP}/subscribers"): Call(ADMIN_READ),
        ("POST", f"{SP}/subscribers"): Call(
            ADMIN_WRITE, json={"url": "https://hooks.example.com/x"}
        ),
        ("DELETE", f"{SP}/subscribers/{{subscriber_id}}"): Call(ADMIN_WRITE),
        # management pages
        ("GET", "/statuspage"): Call(SIGNED_IN),
        ("POST", "/statuspage/groups"): Call(MANAGER, form={"name": "Web"}),
        ("POST", "/statuspage/components"): Call(MANAGER, form={"name": "Website"}),
        ("POST", "/statuspage/components/{component_id}"): Call(
            MANAGER, form={"status": "major_outage"}
        ),
        ("POST", "/statuspage/incidents"): Call(
            MANAGER, form={"title": "Login fails", "body": "Looking.", "status": "investigating"}
        ),
        ("POST", "/statuspage/incidents/{public_id}/updates"): Call(
            MANAGER, form={"body": "Found it.", "status": "identified"}
        ),
        ("POST", "/statuspage/maintenance"): Call(
            MANAGER,
            form={
                "title": "Router swap",
                "starts_at": "2026-03-06 01:00",
                "ends_at": "2026-03-06 02:00",
            },
        ),
        ("POST", "/statuspage/maintenance/{maintenance_id}"): Call(
            MANAGER, form={"action": "canceled"}
        ),
        ("GET", "/statuspage/branding"): Call(SIGNED_IN),
        ("POST", "/statuspage/branding"): Call(ADMIN_WRITE, form={"name": "Acme status"}),
        ("POST", "/statuspage/branding/logo"): Call(ADMIN_WRITE, form={"remove": "true"}),
        ("GET", "/statuspage/incident/{ref}"): Call(
            SIGNED_IN, path="/statuspage/incident/{status_ref}"
        ),
        ("POST", "/statuspage/incident/{ref}/updates"): Call(
            MANAGER,
            path="/statuspage/incident/{status_ref}/updates",
            form={
                "impact": "Slow pages.",
                "current_actions": "Scaling.",
                "audiences": "list:executives",
            },
        ),
        # stakeholder updates, lists, follows
        ("GET", "/api/v1/incidents/{ref}/updates"): Call(
            SIGNED_IN, path="/api/v1/incidents/{status_ref}/updates"
        ),
        ("POST", "/api/v1/incidents/{ref}/updates"): Call(
            MANAGER,
            path="/api/v1/incidents/{status_ref}/updates",
            json={
                "impact": "Checkout fails for 5% of users.",
                "current_actions": "Rolling back.",
                "audiences": ["executives"],
            },
        ),
        ("GET", "/api/v1/update-templates"): Call(SIGNED_IN),
        ("GET", "/api/v1/updates/overdue"): Call(SIGNED_IN),
        ("GET", "/api/v1/stakeholder-lists"): Call(SIGNED_IN),
        ("POST", "/api/v1/stakeholder-lists"): Call(MANAGER, json={"slug": "support"}),
        ("PATCH", "/api/v1/stakeholder-lists/{slug}"): Call(
            MANAGER, path="/api/v1/stakeholder-lists/executives", json={"name": "Execs"}
        ),
        ("DELETE", "/api/v1/stakeholder-lists/{slug}"): Call(
            MANAGER, path="/api/v1/stakeholder-lists/spare-list"
        ),
        ("GET", "/api/v1/me/follows"): Call(SIGNED_IN),
        ("POST", "/api/v1/me/follows"): Call(
            OWN_WRITE, json={"type": "service", "target": "status-api"}
        ),
        ("DELETE", "/api/v1/me/follows/{follow_id}"): Call(
            OWN_WRITE, path="/api/v1/me/follows/999999"
        ),
    },
    setup=_setup,
)
