"""Access rules for postmortems, retrospectives, action items and search."""

from __future__ import annotations

from typing import Any

from tests.access_rules import RESPONDER, SIGNED_IN, Call, DomainTable
from tests.conftest import declare

PM = "/api/v1/incidents/{ref}/postmortem"
ON = "/api/v1/incidents/{pm_ref}/postmortem"


def _setup(world: Any) -> None:
    admin = world.callers["admin"]
    client = world.client
    incident = declare(client, admin, title="Ledger deploy broke payments")
    fresh = declare(client, admin, title="Another one")
    ref = str(incident["reference"])
    r = client.post(f"/api/v1/incidents/{ref}/postmortem", json={}, headers=admin.headers)
    assert r.status_code == 201, r.text
    for caller in ("responder", "incident_manager", "admin"):
        handle = world.callers[caller].handle
        r = client.put(
            f"/api/v1/incidents/{ref}/postmortem/reviewers/{handle}", headers=admin.headers
        )
        assert r.status_code == 200, r.text
    action = client.post(
        f"/api/v1/incidents/{ref}/actions",
        json={"title": "Add a ledger canary", "category": "observability"},
        headers=admin.headers,
    )
    assert action.status_code == 201, action.text
    world.values.update(
        {"pm_ref": ref, "pm_new": str(fresh["reference"]), "action_id": str(action.json()["id"])}
    )


def _on(rule: str, suffix: str = "", **kwargs: Any) -> Call:
    return Call(rule, path=ON + suffix, **kwargs)


TABLE = DomainTable(
    expected={
        ("GET", "/api/v1/postmortem-templates"): Call(SIGNED_IN),
        ("GET", "/api/v1/postmortems"): Call(SIGNED_IN),
        ("POST", PM): Call(RESPONDER, path="/api/v1/incidents/{pm_new}/postmortem", json={}),
        ("GET", PM): _on(SIGNED_IN),
        ("PATCH", PM): _on(RESPONDER, json={"owner": "{handle}"}),
        ("PUT", PM + "/sections/{key}"): _on(
            RESPONDER, "/sections/summary", json={"body": "The deploy broke it."}
        ),
        ("POST", PM + "/regenerate"): _on(RESPONDER, "/regenerate"),
        ("PUT", PM + "/reviewers/{handle}"): _on(RESPONDER, "/reviewers/{spare}"),
        ("DELETE", PM + "/reviewers/{handle}"): _on(RESPONDER, "/reviewers/{spare}"),
        ("POST", PM + "/submit"): _on(RESPONDER, "/submit"),
        ("POST", PM + "/approve"): _on(RESPONDER, "/approve"),
        ("POST", PM + "/publish"): _on(RESPONDER, "/publish"),
        ("GET", PM + "/revisions"): _on(SIGNED_IN, "/revisions"),
        ("PUT", PM + "/retrospective"): _on(
            RESPONDER, "/retrospective", json={"notes": "Blameless.", "decisions": ["Canary"]}
        ),
        ("PUT", PM + "/customer-review"): _on(
            RESPONDER, "/customer-review", json={"text": "We are sorry."}
        ),
        ("POST", PM + "/customer-review/approve"): _on(RESPONDER, "/customer-review/approve"),
        ("GET", PM + "/export.md"): _on(SIGNED_IN, "/export.md"),
        ("GET", PM + "/export.html"): _on(SIGNED_IN, "/export.html"),
        ("GET", PM + "/customer-review/export.md"): _on(SIGNED_IN, "/customer-review/export.md"),
        ("GET", PM + "/customer-review/export.html"): _on(
            SIGNED_IN, "/customer-review/export.html"
        ),
        ("POST", "/api/v1/incidents/{ref}/actions"): Call(
            RESPONDER, json={"title": "Alert on ledger lag", "category": "observability"}
        ),
        ("GET", "/api/v1/incidents/{ref}/actions"): Call(SIGNED_IN),
        ("GET", "/api/v1/actions"): Call(SIGNED_IN, path="/api/v1/actions?owner=me&overdue=true"),
        ("GET", "/api/v1/actions/{action_id}"): Call(SIGNED_IN),
        ("PATCH", "/api/v1/actions/{action_id}"): Call(RESPONDER, json={"status": "in_progress"}),
        ("GET", "/api/v1/search"): Call(SIGNED_IN, path="/api/v1/search?q=ledger"),
        # pages
        ("GET", "/postmortems"): Call(SIGNED_IN, path="/postmortems?q=ledger&overdue=true"),
        ("GET", "/actions"): Call(SIGNED_IN, path="/actions?view=team"),
        ("GET", "/incidents/{ref}/postmortem"): Call(
            SIGNED_IN, path="/incidents/{pm_ref}/postmortem"
        ),
        ("POST", "/incidents/{ref}/postmortem"): Call(
            RESPONDER, path="/incidents/{pm_new}/postmortem", form={"template": "full_rca"}
        ),
        ("POST", "/incidents/{ref}/postmortem/sections/{key}"): Call(
            RESPONDER, path="/incidents/{pm_ref}/postmortem/sections/summary", form={"body": "x"}
        ),
        ("POST", "/incidents/{ref}/postmortem/do/{step}"): Call(
            RESPONDER, path="/incidents/{pm_ref}/postmortem/do/regenerate"
        ),
        ("POST", "/incidents/{ref}/postmortem/people"): Call(
            RESPONDER, path="/incidents/{pm_ref}/postmortem/people", form={"reviewer": "{spare}"}
        ),
        ("POST", "/incidents/{ref}/postmortem/retrospective"): Call(
            RESPONDER, path="/incidents/{pm_ref}/postmortem/retrospective", form={"notes": "ok"}
        ),
        ("POST", "/incidents/{ref}/postmortem/customer-review"): Call(
            RESPONDER, path="/incidents/{pm_ref}/postmortem/customer-review", form={"text": "ok"}
        ),
        ("POST", "/incidents/{ref}/postmortem/actions"): Call(
            RESPONDER,
            path="/incidents/{pm_ref}/postmortem/actions",
            form={"title": "Canary", "category": "observability"},
        ),
        ("POST", "/actions/{action_id}"): Call(RESPONDER, form={"status": "in_progress"}),
    },
    setup=_setup,
)
