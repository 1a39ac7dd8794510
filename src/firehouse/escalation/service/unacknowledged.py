"""The home page's "unacknowledged pages" section (see `firehouse.web.home`): escalations still
paging for incidents nobody has acknowledged, with who was paged last and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firehouse.actor import Actor
from firehouse.escalation.models import Escalation, EscalationState
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident, Status, TimelineEntry

HOME_PAGES = 20


def _last_pages(session: Session, incident_ids: list[int]) -> dict[int, TimelineEntry]:
    """The newest escalation step noted on each incident's timeline, by escalation id."""
    found: dict[int, TimelineEntry] = {}
    if not incident_ids:
        return found
    entries = session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id.in_(incident_ids), TimelineEntry.kind == "escalation")
        .order_by(TimelineEntry.id)
    )
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        if data.get("event") == "step" and isinstance(data.get("escalation_id"), int):
            found[data["escalation_id"]] = entry
    return found


def home_rows(session: Session, *, actor: Actor, now: datetime) -> list[Any]:
    """Escalations paging for triggered incidents `actor` may see, oldest page first."""
    from firehouse.web.home import HomeRow  # the web layer's shape; imported late (no cycle)

    pairs = session.execute(
        select(Escalation, Incident)
        .join(Incident, Incident.id == Escalation.incident_id)
        .where(
            Escalation.state == EscalationState.paging,
            Incident.status == Status.triggered,
            incidents.visible_to(actor),
        )
        .order_by(Escalation.started_at, Escalation.id)
        .limit(HOME_PAGES)
    ).all()
    last = _last_pages(session, sorted({i.id for _, i in pairs}))
    rows = []
    for escalation, incident in pairs:
        entry = last.get(escalation.id)
        paged = entry.data.get("paged", []) if entry is not None else []
        who = ", ".join(f"@{h}" for h in paged) if paged else "nobody paged yet"
        rows.append(
            HomeRow(
                title=f"{incident.reference} {incident.title}",
                detail=f"{who} · {escalation.policy_name}",
                href=f"/incidents/{incident.reference}",
                when=entry.recorded_at if entry is not None else escalation.started_at,
                urgent=True,
            )
        )
    return rows
