"""Access rules for on-call schedules, overrides, who-is-on-call and the iCal feeds."""

from __future__ import annotations

from typing import Any

from tests.access_rules import MANAGER, OWN_WRITE, PUBLIC, RESPONDER, SIGNED_IN, Call, DomainTable

S = "/api/v1/schedules/{schedule_id}"
LAYER = {
    "name": "Follow the sun",
    "rotation": ["tess"],
    "shift_length": 12,
    "shift_unit": "hours",
    "handoff_time": "08:00",
    "start_date": "2026-03-01",
}
OVERRIDE = {"user": "sam", "start": "2026-03-03T09:00:00Z", "end": "2026-03-03T12:00:00Z"}


def _setup(world: Any) -> None:
    admin = world.callers["admin"]
    client = world.client

    def post(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = client.post(path, json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    schedule = post(
        "/api/v1/schedules",
        {"name": "Payments", "team": "payments", "timezone": "Europe/London", "layers": [LAYER]},
    )
    spare = post("/api/v1/schedules", {"name": "Spare", "timezone": "UTC"})
    sid = schedule["id"]
    layers = post(f"/api/v1/schedules/{sid}/layers", {**LAYER, "name": "Spare layer"})["layers"]
    override = post(f"/api/v1/schedules/{sid}/overrides", OVERRIDE)
    world.values.update(
        {
            "schedule_id": str(sid),
            "layer_id": str(layers[0]["id"]),
            "spare_schedule": str(spare["id"]),
            "spare_layer": str(layers[1]["id"]),
            "override_id": str(override["id"]),
            "schedule_feed": post(f"/api/v1/schedules/{sid}/feed")["token"],
            "person_feed": post("/api/v1/me/oncall-feed")["token"],
        }
    )


TABLE = DomainTable(
    expected={
        ("GET", "/api/v1/schedules"): Call(SIGNED_IN),
        ("POST", "/api/v1/schedules"): Call(
            MANAGER, json={"name": "Search", "timezone": "Asia/Kolkata", "layers": [LAYER]}
        ),
        ("GET", S): Call(SIGNED_IN),
        ("PATCH", S): Call(MANAGER, json={"description": "Pays the bills."}),
        ("POST", S + "/layers"): Call(MANAGER, json={**LAYER, "name": "Nights"}),
        ("PATCH", S + "/layers/{layer_id}"): Call(MANAGER, json={"shift_length": 8}),
        ("GET", S + "/overrides"): Call(SIGNED_IN),
        ("POST", S + "/overrides"): Call(
            RESPONDER,
            json={"user": "tess", "start": "2026-03-04T09:00:00Z", "end": "2026-03-04T10:00:00Z"},
        ),
        ("GET", S + "/final"): Call(SIGNED_IN),
        ("GET", S + "/gaps"): Call(SIGNED_IN),
        ("GET", S + "/oncall"): Call(SIGNED_IN),
        ("GET", S + "/history"): Call(SIGNED_IN),
        ("GET", "/api/v1/oncall"): Call(SIGNED_IN),
        ("POST", S + "/feed"): Call(OWN_WRITE),
        ("POST", "/api/v1/me/oncall-feed"): Call(OWN_WRITE),
        ("GET", "/ical/schedules/{token}.ics"): Call(
            PUBLIC, path="/ical/schedules/{schedule_feed}.ics"
        ),
        ("GET", "/ical/people/{token}.ics"): Call(PUBLIC, path="/ical/people/{person_feed}.ics"),
        ("GET", "/oncall"): Call(SIGNED_IN),
        ("POST", "/oncall/{schedule_id}/overrides"): Call(
            RESPONDER, form={"user": "tess", "start": "2026-03-05T09:00", "end": "2026-03-05T10:00"}
        ),
        ("DELETE", S + "/overrides/{override_id}"): Call(RESPONDER),
        ("DELETE", S + "/layers/{layer_id}"): Call(
            MANAGER, path="/api/v1/schedules/{schedule_id}/layers/{spare_layer}"
        ),
        ("DELETE", S): Call(MANAGER, path="/api/v1/schedules/{spare_schedule}"),
    },
    setup=_setup,
)
