"""Storm protection: past a threshold of new alerts a minute on one integration, one "alert
storm" incident takes every new alert and holds pages until a person releases it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firehouse.actor import Actor, require_writer
from firehouse.alerts.models import Alert, Integration
from firehouse.alerts.service import grouping
from firehouse.audit import service as audit
from firehouse.errors import Conflict, NotFound
from firehouse.incidents import service as incidents
from firehouse.incidents.models import Incident
from firehouse.incidents.service.lifecycle import Declaration
from firehouse.incidents.service.timeline import append_entry


class StormState:
    """Per batch and integration: how many alerts opened in the last minute, and the storm."""

    def __init__(self, session: Session, integration: Integration, now: datetime) -> None:
        self.integration = integration
        self.threshold = integration.storm_threshold
        self.recent = 0
        self.incident: Incident | None = None
        if self.threshold:
            self.recent = int(
                session.scalar(
                    select(func.count())
                    .select_from(Alert)
                    .where(
                        Alert.integration_id == integration.id,
                        Alert.first_seen_at > now - timedelta(minutes=1),
                    )
                )
                or 0
            )
            self.incident = grouping.open_incident_of(session, integration.storm_incident_id)

    def on_new_alert(
        self, session: Session, *, severity: str, seen_at: datetime
    ) -> Incident | None:
        """Count one new alert; the storm incident when it should take the alert."""
        self.recent += 1
        if self.incident is not None:
            return self.incident
        if not self.threshold or self.recent <= self.threshold:
            return None
        name = self.integration.name
        self.incident = incidents.declare(
            session,
            actor=grouping.alerts_actor(name),
            spec=Declaration(
                title=f"Alert storm on {name}",
                severity=severity,
                summary=(
                    f"More than {self.threshold} new alerts a minute arrived from {name}. "
                    "New alerts join this incident and nobody is paged for them until a "
                    "person releases the storm."
                ),
                detected_at=seen_at,
            ),
        )
        self.integration.storm_incident_id = self.incident.id
        grouping.page(
            session,
            incident_id=self.incident.id,
            policy_id=None,
            urgency="high",
            reason=f"alert storm on {name}",
        )
        return self.incident


def release_storm(session: Session, *, actor: Actor, integration_id: int) -> Integration:
    """A person has looked: pages resume for new alerts of this integration."""
    require_writer(actor)
    integration = session.scalar(
        select(Integration).where(Integration.id == integration_id).with_for_update()
    )
    if integration is None:
        raise NotFound(f"no integration {integration_id}")
    if integration.storm_incident_id is None:
        raise Conflict(f"{integration.name} has no alert storm held")
    held = integration.storm_incident_id
    integration.storm_incident_id = None
    incident = grouping.open_incident_of(session, held)
    if incident is not None:
        append_entry(
            session,
            incident,
            actor=actor,
            kind="storm_released",
            body=f"Storm released by {actor.handle}: new alerts page again.",
        )
    audit.record(
        session,
        actor=actor,
        action="integration.release_storm",
        target_type="integration",
        target_id=integration.id,
        before={"storm_incident_id": held},
        after={"storm_incident_id": None},
    )
    return integration
