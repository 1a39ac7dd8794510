"""Helpers for the incident tests: walk an incident to a status through the API, and count what
a request wrote."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from firehouse.audit.models import AuditRecord
from firehouse.db import Database
from firehouse.incidents.models import TimelineEntry
from tests.conftest import Person, declare

BASE_ITEMS = ("slo_restored", "users_unaffected", "stakeholders_notified", "documented")
# The lifecycle as the issue states it: from each status, the allowed actions and the result.
LIFECYCLE: dict[str, dict[str, str]] = {
    "triggered": {"acknowledge": "acknowledged", "cancel": "canceled", "merge": "merged"},
    "acknowledged": {
        "mitigate": "mitigated",
        "resolve": "resolved",
        "cancel": "canceled",
        "merge": "merged",
    },
    "mitigated": {
        "resolve": "resolved",
        "reopen": "acknowledged",
        "cancel": "canceled",
        "merge": "merged",
    },
    "resolved": {"close": "closed", "reopen": "acknowledged", "merge": "merged"},
    "closed": {},
    "canceled": {},
    "merged": {},
}
ACTIONS = ("acknowledge", "mitigate", "resolve", "close", "reopen", "cancel", "merge")
PATH_TO: dict[str, tuple[str, ...]] = {
    "triggered": (),
    "acknowledged": ("acknowledge",),
    "mitigated": ("acknowledge", "mitigate"),
    "resolved": ("acknowledge", "mitigate", "resolve"),
    "closed": ("acknowledge", "mitigate", "resolve", "close"),
    "canceled": ("cancel",),
    "merged": ("merge",),
}


def act(
    client: TestClient, who: Person, ref: str, action: str, **body: Any
) -> tuple[int, dict[str, Any]]:
    """POST one lifecycle action (merge goes into a fresh incident unless `into` is given)."""
    if action == "merge" and "into" not in body:
        body["into"] = declare(client, who, title="The survivor", severity="SEV3")["reference"]
    if action == "reopen" and "reason" not in body:
        body["reason"] = "it came back"
    r = client.post(f"/api/v1/incidents/{ref}/{action}", json=body or None, headers=who.headers)
    return r.status_code, r.json()


def check_all(client: TestClient, who: Person, ref: str) -> None:
    for item in BASE_ITEMS:
        r = client.put(f"/api/v1/incidents/{ref}/checklist/{item}", headers=who.headers)
        assert r.status_code == 200, r.text


def incident_in(client: TestClient, who: Person, status: str, **fields: Any) -> dict[str, Any]:
    """A SEV3 incident (no postmortem owner needed) walked to `status` through the API."""
    incident = declare(client, who, **{"severity": "SEV3", **fields})
    ref = str(incident["reference"])
    for action in PATH_TO[status]:
        if action == "close":
            check_all(client, who, ref)
        code, body = act(client, who, ref, action)
        assert code == 200, body
        incident = body
    assert incident["status"] == status
    return incident


def written(database: Database) -> tuple[int, int]:
    """How many audit records and timeline entries exist (a rejected request adds none)."""
    with database.session(write=False) as session:
        return (
            session.scalar(select(func.count(AuditRecord.id))) or 0,
            session.scalar(select(func.count(TimelineEntry.id))) or 0,
        )


def audit_of(client: TestClient, admin: Person, ref: str, action: str) -> list[dict[str, Any]]:
    r = client.get(
        "/api/v1/audit",
        params={"target_type": "incident", "target_id": ref, "action": action},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def timeline(client: TestClient, who: Person, ref: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/incidents/{ref}/timeline", params=params, headers=who.headers)
    assert r.status_code == 200, r.text
    entries: list[dict[str, Any]] = r.json()
    return entries
