"""Access rules for the web UI's pages and form posts (incidents, admin, profile, live events)."""

from __future__ import annotations

from typing import Any

from firehouse.people.models import Role
from tests.access_rules import (
    ADMIN_READ,
    ADMIN_WRITE,
    OWN_WRITE,
    RESPONDER,
    SIGNED_IN,
    Call,
    DomainTable,
)
from tests.conftest import PASSWORD


def _setup(world: Any) -> None:
    world.make_person("departing", Role.responder)  # in no rotation or policy: removable
    world.values["departing"] = "departing"


TABLE = DomainTable(
    expected={
        ("GET", "/events"): Call(SIGNED_IN, path="/events?seconds=0"),
        ("POST", "/preview"): Call(SIGNED_IN, form={"body": "**bold**"}),
        # incidents
        ("GET", "/incidents"): Call(SIGNED_IN),
        ("GET", "/incidents/new"): Call(RESPONDER),
        ("POST", "/incidents"): Call(RESPONDER, form={"title": "Disk full", "severity": "SEV3"}),
        ("GET", "/incidents/{ref}"): Call(SIGNED_IN),
        ("POST", "/incidents/{ref}/actions/{action}"): Call(
            RESPONDER, path="/incidents/{ref}/actions/acknowledge"
        ),
        ("POST", "/incidents/{ref}/roles"): Call(
            RESPONDER, form={"role": "scribe", "user": "{handle}"}
        ),
        ("POST", "/incidents/{ref}/checklist/{item}"): Call(RESPONDER),
        ("POST", "/incidents/{ref}/notes"): Call(RESPONDER, form={"body": "Rolled back."}),
        ("POST", "/incidents/{ref}/timeline/pin"): Call(RESPONDER, form={"pin": "{entry_id}"}),
        ("POST", "/incidents/{ref}/participants"): Call(RESPONDER),
        ("POST", "/incidents/{ref}/edit"): Call(RESPONDER, form={"severity": "SEV1"}),
        # admin
        ("GET", "/admin"): Call(ADMIN_READ),
        ("GET", "/admin/users"): Call(ADMIN_READ),
        ("POST", "/admin/users"): Call(
            ADMIN_WRITE,
            form={"handle": "newbie", "name": "New Bie", "email": "newbie@example.com"},
        ),
        ("POST", "/admin/users/{handle}"): Call(
            ADMIN_WRITE, form={"role": "responder", "active": "true"}
        ),
        ("GET", "/admin/users/{handle}/remove"): Call(ADMIN_READ),
        ("POST", "/admin/users/{handle}/remove"): Call(
            ADMIN_WRITE, path="/admin/users/{departing}/remove"
        ),
        ("POST", "/admin/teams"): Call(ADMIN_WRITE, form={"slug": "edge", "name": "Edge"}),
        ("POST", "/admin/teams/{slug}/members"): Call(ADMIN_WRITE, form={"user": "{spare}"}),
        ("GET", "/admin/services"): Call(ADMIN_READ),
        ("POST", "/admin/services"): Call(ADMIN_WRITE, form={"slug": "search", "name": "Search"}),
        ("GET", "/admin/severities"): Call(ADMIN_READ),
        ("POST", "/admin/severities/{key}"): Call(
            ADMIN_WRITE,
            form={
                "description": "Minor.",
                "ack_within_minutes": "60",
                "update_every_minutes": "120",
            },
        ),
        ("GET", "/admin/audit"): Call(ADMIN_READ),
        # profile
        ("GET", "/profile"): Call(SIGNED_IN),
        ("POST", "/profile"): Call(
            OWN_WRITE, form={"name": "Renamed", "timezone": "Europe/Berlin"}
        ),
        ("POST", "/profile/password"): Call(
            OWN_WRITE, form={"current": PASSWORD, "new": "a-brand-new-password"}
        ),
        ("POST", "/profile/tokens"): Call(OWN_WRITE, form={"name": "laptop"}),
        ("POST", "/profile/tokens/{token_id}/revoke"): Call(OWN_WRITE),
    },
    setup=_setup,
)
