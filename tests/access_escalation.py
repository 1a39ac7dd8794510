"""Access rules for escalation policies, a service's policy and paging an incident."""

from __future__ import annotations

from typing import Any

from tests.access_rules import MANAGER, RESPONDER, SIGNED_IN, Call, DomainTable

POLICY = {
    "name": "Payments on-call",
    "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "user": "tess"}]}],
}


def setup(world: Any) -> None:
    admin = world.callers["admin"]
    made = world.client.post(
        "/api/v1/services", json={"slug": "checkout", "name": "Checkout"}, headers=admin.headers
    )
    assert made.status_code == 201, made.text
    policy = world.client.post(
        "/api/v1/escalation-policies",
        json={
            **POLICY,
            "name": "Existing",
            "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "user": "tess"}]}],
        },
        headers=admin.headers,
    )
    assert policy.status_code == 201, policy.text
    world.values["policy_id"] = str(policy.json()["id"])
    world.values["service"] = "checkout"


TABLE = DomainTable(
    expected={
        ("GET", "/api/v1/escalation-policies"): Call(SIGNED_IN),
        ("POST", "/api/v1/escalation-policies"): Call(MANAGER, json=POLICY),
        ("GET", "/api/v1/escalation-policies/{policy_id}"): Call(SIGNED_IN),
        ("PUT", "/api/v1/escalation-policies/{policy_id}"): Call(
            MANAGER, json={**POLICY, "name": "Existing"}
        ),
        ("PUT", "/api/v1/services/{slug}/escalation-policy"): Call(
            MANAGER,
            path="/api/v1/services/{service}/escalation-policy",
            json={"policy_id": "{policy_id}"},
        ),
        ("POST", "/api/v1/incidents/{ref}/page"): Call(
            RESPONDER, json={"policy_id": "{policy_id}"}
        ),
        ("GET", "/api/v1/incidents/{ref}/escalations"): Call(SIGNED_IN),
        ("GET", "/oncall/policies"): Call(SIGNED_IN),
        ("POST", "/oncall/policies"): Call(
            MANAGER, form={"name": "From the page", "steps": "5: tess"}
        ),
        ("POST", "/oncall/policies/{policy_id}/delete"): Call(MANAGER),
        ("DELETE", "/api/v1/escalation-policies/{policy_id}"): Call(MANAGER),
    },
    setup=setup,
)
