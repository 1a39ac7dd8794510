"""The public page as data: everything the HTML, the feeds, the JSON API and the static export
show, built only from what a person published (never from internal incident fields)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from firehouse import clock, markdown
from firehouse.statuspage.models import (
    Component,
    ComponentStatus,
    Maintenance,
    MaintenanceStatus,
    PublicIncident,
    PublicStatus,
    StatusPage,
)
from firehouse.statuspage.service import components as components_service
from firehouse.statuspage.service import maintenance as maintenance_service
from firehouse.statuspage.service import publish
from firehouse.statuspage.service.common import page
from firehouse.statuspage.service.uptime import (
    BY_WEIGHT,
    HISTORY_DAYS,
    History,
    bar_text,
    day_names,
    history,
)

RECENT_DAYS = 14
# a published text does not change, and every fresh render shows two weeks of them again
_markdown = functools.lru_cache(maxsize=512)(markdown.render)
# a bar's markup up to its day's name: operational, most of the 4,500 bars, needs no class
# (the stylesheet's default colour), the others a short one
BAR_CLASS = {
    None: "none",
    ComponentStatus.under_maintenance: "maint",
    ComponentStatus.degraded_performance: "degraded",
    ComponentStatus.partial_outage: "partial",
    ComponentStatus.major_outage: "major",
}
BAR_OPEN = {
    weight: f'<li class="{BAR_CLASS[status]}" title="' if status in BAR_CLASS else '<li title="'
    for weight, status in BY_WEIGHT.items()
}
BAR_TEXT = {weight: f": {bar_text(weight, 0)}" for weight in BY_WEIGHT}
OVERALL = {
    ComponentStatus.operational: "All systems operational",
    ComponentStatus.under_maintenance: "Maintenance in progress",
    ComponentStatus.degraded_performance: "Degraded performance",
    ComponentStatus.partial_outage: "Partial outage",
    ComponentStatus.major_outage: "Major outage",
}


@dataclass(frozen=True)
class ComponentView:
    id: int
    name: str
    description: str
    status: ComponentStatus
    history: History

    @property
    def bars_html(self) -> Markup:
        """The 90 bars as list items, built here: 4,500 of them through the template engine
        would be most of the page's render time. Day names and labels are ISO dates and fixed
        texts, so there is nothing to escape."""
        h = self.history
        names = day_names(h.first_day, len(h.worst))
        return Markup(  # noqa: S704 (ISO dates, fixed labels and numbers only)
            "".join(
                f'{BAR_OPEN[weight]}{name}{BAR_TEXT[weight]}, {minutes} min down"></li>'
                if minutes
                else f'{BAR_OPEN[weight]}{name}{BAR_TEXT[weight]}"></li>'
                for name, weight, minutes in zip(names, h.worst, h.down_minutes, strict=True)
            )
        )


@dataclass(frozen=True)
class GroupView:
    id: int | None
    name: str
    status: ComponentStatus
    components: list[ComponentView]


@dataclass(frozen=True)
class UpdateView:
    id: int
    status: PublicStatus
    body: str
    body_html: Markup
    published_at: datetime


@dataclass(frozen=True)
class IncidentView:
    id: int
    title: str
    status: PublicStatus
    started_at: datetime
    resolved_at: datetime | None
    updated_at: datetime
    components: list[str]
    updates: list[UpdateView]  # newest first


@dataclass(frozen=True)
class MaintenanceView:
    id: int
    title: str
    body: str
    body_html: Markup
    status: MaintenanceStatus
    starts_at: datetime
    ends_at: datetime
    updated_at: datetime
    components: list[str]


@dataclass(frozen=True)
class Branding:
    name: str
    about: str
    logo: str | None  # a URL, or "logo" when uploaded (served beside the page)
    logo_type: str
    color_accent: str
    color_background: str
    color_text: str
    footer_links: list[dict[str, str]]


@dataclass(frozen=True)
class PageView:
    branding: Branding
    status: ComponentStatus
    headline: str
    groups: list[GroupView]
    active: list[IncidentView]
    maintenance: list[MaintenanceView]  # scheduled or in progress
    recent: list[IncidentView]  # resolved in the last RECENT_DAYS days
    history_days: int
    generated_at: datetime
    changed_at: datetime


def branding(session: Session) -> Branding:
    return _branding(page(session))


def _branding(row: StatusPage) -> Branding:
    logo = "logo" if row.logo_data else (row.logo_url or None)
    return Branding(
        name=row.name,
        about=row.about,
        logo=logo,
        logo_type=row.logo_type,
        color_accent=row.color_accent,
        color_background=row.color_background,
        color_text=row.color_text,
        footer_links=list(row.footer_links or []),
    )


def _worst(statuses: list[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=lambda s: s.weight, default=ComponentStatus.operational)


def _names(session: Session) -> dict[int, str]:
    return {c.id: c.name for c in components_service.list_components(session)}


def incident_views(
    session: Session, rows: list[PublicIncident], *, names: dict[int, str] | None = None
) -> list[IncidentView]:
    """`names`: the components' names, when the caller has them already."""
    updates = publish.updates_of(session, [r.id for r in rows])
    names = _names(session) if names is None else names
    return [
        IncidentView(
            id=r.id,
            title=r.title,
            status=r.status,
            started_at=r.started_at,
            resolved_at=r.resolved_at,
            updated_at=r.updated_at,
            components=[names[i] for i in r.component_ids if i in names],
            updates=[
                UpdateView(
                    id=u.id,
                    status=u.status,
                    body=u.body,
                    body_html=Markup(_markdown(u.body)),  # noqa: S704 (sanitized)
                    published_at=u.published_at,
                )
                for u in updates[r.id]
            ],
        )
        for r in rows
    ]


def maintenance_views(
    session: Session, rows: list[Maintenance], *, names: dict[int, str] | None = None
) -> list[MaintenanceView]:
    names = _names(session) if names is None else names
    return [
        MaintenanceView(
            id=m.id,
            title=m.title,
            body=m.body,
            body_html=Markup(_markdown(m.body)),  # noqa: S704 (sanitized)
            status=m.status,
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            updated_at=m.updated_at,
            components=[names[i] for i in m.component_ids if i in names],
        )
        for m in rows
    ]


def page_view(session: Session) -> PageView:
    now = clock.now(session)
    row = page(session)
    components = components_service.list_components(session)
    names = {c.id: c.name for c in components}
    groups = components_service.list_groups(session)
    histories = history(session, components, now=now)

    def view(c: Component) -> ComponentView:
        return ComponentView(c.id, c.name, c.description, c.status, histories[c.id])

    group_views = []
    for group in groups:
        members = [view(c) for c in components if c.group_id == group.id]
        if members:
            group_views.append(
                GroupView(group.id, group.name, _worst([m.status for m in members]), members)
            )
    loose = [view(c) for c in components if c.group_id is None]
    if loose:
        group_views.append(GroupView(None, "", _worst([c.status for c in loose]), loose))
    status = _worst([c.status for c in components])
    active_rows = publish.list_public_incidents(session, open_only=True)
    recent_rows = [
        r
        for r in publish.list_public_incidents(session, since=now - timedelta(days=RECENT_DAYS))
        if r.status == PublicStatus.resolved
    ]
    incidents = incident_views(session, active_rows + recent_rows, names=names)
    active, recent = incidents[: len(active_rows)], incidents[len(active_rows) :]
    upcoming = maintenance_service.list_maintenances(session, since=now, upcoming_only=True)
    headline = OVERALL[status]
    if active and status == ComponentStatus.operational:
        headline = "We are looking into an issue"
    return PageView(
        branding=_branding(row),
        status=status,
        headline=headline,
        groups=group_views,
        active=active,
        maintenance=maintenance_views(session, upcoming, names=names),
        recent=recent,
        history_days=HISTORY_DAYS,
        generated_at=now,
        changed_at=row.changed_at,
    )


def history_view(session: Session, *, days: int = HISTORY_DAYS) -> list[IncidentView]:
    """Incidents of the last `days` days, and any still open however old, newest first."""
    since = clock.now(session) - timedelta(days=days)
    rows = {r.id: r for r in publish.list_public_incidents(session, since=since, limit=500)}
    for row in publish.list_public_incidents(session, open_only=True):
        rows.setdefault(row.id, row)
    ordered = sorted(rows.values(), key=lambda r: (r.started_at, r.id), reverse=True)
    return incident_views(session, ordered)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def incident_json(i: IncidentView, *, url: str) -> dict[str, Any]:
    return {
        "id": i.id,
        "title": i.title,
        "status": i.status.value,
        "started_at": _iso(i.started_at),
        "resolved_at": _iso(i.resolved_at),
        "updated_at": _iso(i.updated_at),
        "components": i.components,
        "url": url,
        "updates": [
            {
                "id": u.id,
                "status": u.status.value,
                "body": u.body,
                "published_at": _iso(u.published_at),
            }
            for u in i.updates
        ],
    }


def summary_json(view: PageView, *, base: str) -> dict[str, Any]:
    """The page as JSON (also what the static export writes as api/summary.json)."""
    return {
        "page": {
            "name": view.branding.name,
            "url": base or "/",
            "updated_at": _iso(view.changed_at),
        },
        "status": {"indicator": view.status.value, "description": view.headline},
        "components": [
            {
                "id": c.id,
                "name": c.name,
                "description": c.description,
                "group": g.name or None,
                "status": c.status.value,
                "uptime_90d": None if c.history.uptime is None else round(c.history.uptime, 3),
            }
            for g in view.groups
            for c in g.components
        ],
        "incidents": [incident_json(i, url=f"{base}/incidents/{i.id}") for i in view.active],
        "recent_incidents": [incident_json(i, url=f"{base}/incidents/{i.id}") for i in view.recent],
        "scheduled_maintenances": [
            {
                "id": m.id,
                "title": m.title,
                "body": m.body,
                "status": m.status.value,
                "starts_at": _iso(m.starts_at),
                "ends_at": _iso(m.ends_at),
                "components": m.components,
            }
            for m in view.maintenance
        ],
        "generated_at": _iso(view.generated_at),
    }
