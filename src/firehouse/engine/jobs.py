"""Every background job the engine runs. Domains register theirs here (imported lazily, so
importing the engine stays cheap and free of cycles)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from firehouse.engine import Job
    from firehouse.settings import Settings


def all_jobs(settings: Settings | None = None) -> list[Job]:
    """The jobs of every domain. `settings` configures those that need it (SMTP, links)."""
    from firehouse.alerts import jobs as alerts_jobs
    from firehouse.escalation import jobs as escalation_jobs
    from firehouse.notify import jobs as notify_jobs
    from firehouse.postmortems import jobs as postmortems_jobs
    from firehouse.schedules import jobs as schedules_jobs
    from firehouse.settings import Settings
    from firehouse.statuspage import jobs as statuspage_jobs
    from firehouse.updates import jobs as updates_jobs

    settings = settings or Settings()
    return [
        *alerts_jobs.jobs(),
        *escalation_jobs.jobs(settings),
        *notify_jobs.jobs(settings),
        *postmortems_jobs.jobs(settings),
        *schedules_jobs.jobs(),
        *statuspage_jobs.jobs(settings),
        *updates_jobs.jobs(settings),
    ]
