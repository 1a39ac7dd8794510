"""Access rules for the escalation policy editor pages (`/oncall/policies/{id}`)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import MANAGER, SIGNED_IN, Call, DomainTable


def setup(world: Any) -> None:
    admin = world.callers["admin"]
    made = world.client.post(
        "/api/v1/escalation-policies",
        json={
            "name": "Edited on the page",
            "steps": [
                {"delay_minutes": 5, "targets": [{"type": "user", "user": "tess"}]},
                {"delay_minutes": 10, "targets": [{"type": "user", "user": "sam"}]},
                {"delay_minutes": 15, "targets": [{"type": "team", "team": "payments"}]},
            ],
        },
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    world.values["edited_policy_id"] = str(made.json()["id"])


STEP = {"delay_minutes": "7", "users": "tess, sam"}
BASE = "/oncall/policies/{edited_policy_id}"

TABLE = DomainTable(
    expected={
        ("GET", "/oncall/policies/{policy_id}"): Call(SIGNED_IN, path=BASE),
        ("POST", "/oncall/policies/{policy_id}"): Call(
            MANAGER, path=BASE, form={"name": "Renamed on the page", "repeat": "1"}
        ),
        ("POST", "/oncall/policies/{policy_id}/steps"): Call(
            MANAGER, path=BASE + "/steps", form=STEP
        ),
        ("POST", "/oncall/policies/{policy_id}/steps/{index}"): Call(
            MANAGER, path=BASE + "/steps/0", form=STEP
        ),
        ("POST", "/oncall/policies/{policy_id}/steps/{index}/move"): Call(
            MANAGER, path=BASE + "/steps/1/move", form={"direction": "up"}
        ),
        ("POST", "/oncall/policies/{policy_id}/steps/{index}/delete"): Call(
            MANAGER, path=BASE + "/steps/1/delete"
        ),
    },
    setup=setup,
)
