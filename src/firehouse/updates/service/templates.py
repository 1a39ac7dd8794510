"""Stakeholder update templates: the same shape every time, so readers know where to look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from firehouse.incidents.models import Incident


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    subject: str
    intro: str
    needs_actions: bool
    needs_next_update: bool


TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template(
            key="initial",
            name="Initial notification",
            subject="{reference} [{severity}] {title}: we are responding",
            intro="We are responding to an incident.",
            needs_actions=True,
            needs_next_update=True,
        ),
        Template(
            key="update",
            name="Progress update",
            subject="{reference} [{severity}] {title}: update",
            intro="An update on the incident.",
            needs_actions=True,
            needs_next_update=True,
        ),
        Template(
            key="mitigated",
            name="Mitigated",
            subject="{reference} [{severity}] {title}: mitigated",
            intro="The impact has been mitigated; we are watching and fixing the cause.",
            needs_actions=True,
            needs_next_update=True,
        ),
        Template(
            key="resolved",
            name="Resolved",
            subject="{reference} [{severity}] {title}: resolved",
            intro="The incident is resolved.",
            needs_actions=False,
            needs_next_update=False,
        ),
    )
}


@dataclass(frozen=True)
class Fields:
    impact: str
    current_actions: str
    next_update_at: datetime | None


def render(
    template: Template,
    incident: Incident,
    fields: Fields,
    *,
    author: str,
    link: str,
) -> tuple[str, str]:
    """(subject, text) of the update."""
    values = {
        "reference": incident.reference,
        "severity": incident.severity.key,
        "title": incident.title,
    }
    subject = template.subject.format(**values)
    lines = [
        template.intro,
        "",
        f"Incident: {incident.reference} {incident.title}",
        f"Severity: {incident.severity.key} ({incident.severity.name})",
        f"Status: {incident.status.value}",
        "",
        f"Impact: {fields.impact}",
    ]
    if fields.current_actions:
        lines.append(f"What we are doing: {fields.current_actions}")
    if fields.next_update_at is not None:
        lines.append(f"Next update: by {fields.next_update_at:%Y-%m-%d %H:%M} UTC")
    lines += ["", f"From {author}. Details: {link}"]
    return subject, "\n".join(lines)
