"""The engine jobs of the outbox: stakeholder messages, then delivery of due notifications."""

from __future__ import annotations

from firehouse.engine import Job
from firehouse.notify.delivery import Deliverer
from firehouse.notify.stakeholders import send_stakeholder_messages
from firehouse.settings import Settings


def jobs(settings: Settings) -> list[Job]:
    deliverer = Deliverer.from_settings(settings)
    base_url = settings.public_url()
    return [
        Job(name="stakeholders", run=lambda db: send_stakeholder_messages(db, base_url)),
        Job(name="delivery", run=deliverer.run),
    ]
