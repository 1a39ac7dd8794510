"""The severities, incident types and closure checklist firehouse starts with (from the seeds)."""

from __future__ import annotations

from typing import Any

CHECKLIST_BASE: list[dict[str, str]] = [
    {
        "key": "slo_restored",
        "label": "Service back within SLO, confirmed by monitoring",
    },
    {
        "key": "users_unaffected",
        "label": "Affected users confirmed no longer impacted",
    },
    {
        "key": "stakeholders_notified",
        "label": "Stakeholders notified with a summary of actions taken and ongoing work",
    },
    {
        "key": "documented",
        "label": "Timeline, containment, triage decisions and resolution documented",
    },
]
POSTMORTEM_OWNER_ITEM = {
    "key": "postmortem_owner",
    "label": "Postmortem owner (retrospective leader) assigned",
}

SEVERITIES: list[dict[str, Any]] = [
    {
        "key": "SEV1",
        "name": "Critical",
        "rank": 1,
        "color": "#b91c1c",
        "description": (
            "Complete outage or data loss for many customers, a security breach, or a "
            "business-critical function down. All hands; executives informed."
        ),
        "ack_within_minutes": 5,
        "update_every_minutes": 30,
        "postmortem_required": True,
        "postmortem_due_days": 7,
    },
    {
        "key": "SEV2",
        "name": "High",
        "rank": 2,
        "color": "#c2410c",
        "description": (
            "Major degradation of a core function or a full outage for some customers; "
            "no workaround."
        ),
        "ack_within_minutes": 15,
        "update_every_minutes": 60,
        "postmortem_required": True,
        "postmortem_due_days": 7,
    },
    {
        "key": "SEV3",
        "name": "Medium",
        "rank": 3,
        "color": "#a16207",
        "description": "Partial degradation with a workaround, or a non-core function down.",
        "ack_within_minutes": 60,
        "update_every_minutes": 240,
        "postmortem_required": False,
        "postmortem_due_days": 14,
    },
    {
        "key": "SEV4",
        "name": "Low",
        "rank": 4,
        "color": "#4d7c0f",
        "description": "Minor issue, cosmetic defect, or a risk with no customer impact yet.",
        "ack_within_minutes": 240,
        "update_every_minutes": 1440,
        "postmortem_required": False,
        "postmortem_due_days": 30,
    },
]

INCIDENT_TYPES: list[dict[str, Any]] = [
    {
        "key": "operational",
        "name": "Operational",
        "description": "Hardware, infrastructure, capacity or dependency failures.",
        "restricted": False,
    },
    {
        "key": "security",
        "name": "Security",
        "description": "Breaches, malware, identity compromise. Visible only to those involved.",
        "restricted": True,
    },
    {
        "key": "performance",
        "name": "Performance",
        "description": "Latency, throughput or resource exhaustion.",
        "restricted": False,
    },
    {
        "key": "deployment",
        "name": "Deployment",
        "description": "A change or release that went wrong: rollback, fallback, flag or hotfix.",
        "restricted": False,
    },
]


def checklist_for(postmortem_required: bool) -> list[dict[str, str]]:
    items = list(CHECKLIST_BASE)
    if postmortem_required:
        items.append(POSTMORTEM_OWNER_ITEM)
    return items
