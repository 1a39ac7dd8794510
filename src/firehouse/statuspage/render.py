"""Turns the public page (PageView) into HTML, CSS, feeds and JSON, for the live page at
/status and for the static export alike. Only these links differ between the two."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from firehouse.statuspage.service.view import (
    Branding,
    IncidentView,
    MaintenanceView,
    PageView,
    summary_json,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
BASE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{logo}; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'{form}"
)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = lambda value, fmt="%b %d, %Y %H:%M UTC": (
        value.strftime(fmt) if value is not None else ""
    )
    env.filters["iso"] = lambda value: value.isoformat() if value is not None else ""
    env.filters["label"] = lambda value: str(getattr(value, "value", value)).replace("_", " ")
    return env


@dataclass(frozen=True)
class Links:
    """Where things are: `/status/...` on the live page, relative files in an export."""

    root: str  # "/status", or "." / ".." in an export
    export: bool
    public_url: str  # absolute URL of the live page, for feeds and the subscribe form
    logo_ext: str = ""

    def home(self) -> str:
        return f"{self.root}/index.html" if self.export else self.root

    def history(self) -> str:
        return f"{self.root}/history.html" if self.export else f"{self.root}/history"

    def incident(self, public_id: int) -> str:
        suffix = ".html" if self.export else ""
        return f"{self.root}/incidents/{public_id}{suffix}"

    def maintenance(self, maintenance_id: int) -> str:
        suffix = ".html" if self.export else ""
        return f"{self.root}/maintenance/{maintenance_id}{suffix}"

    def css(self) -> str:
        return f"{self.root}/status.css"

    def logo(self) -> str:
        return f"{self.root}/logo{self.logo_ext}" if self.export else f"{self.root}/logo"

    def atom(self) -> str:
        return f"{self.root}/feed.atom"

    def rss(self) -> str:
        return f"{self.root}/feed.rss"

    def json(self) -> str:
        return f"{self.root}/api/summary.json"

    def subscribe(self) -> str:
        """The live subscribe form (a static copy posts to the live instance)."""
        return f"{self.public_url}/subscribe" if self.export else f"{self.root}/subscribe"


def logo_src(branding: Branding, links: Links) -> str | None:
    if branding.logo is None:
        return None
    return links.logo() if branding.logo == "logo" else branding.logo


def csp(branding: Branding) -> str:
    """The page's CSP: also allows an external logo's origin (nothing else)."""
    extra = ""
    if branding.logo not in (None, "logo"):
        parts = urlsplit(branding.logo or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            extra = f" {parts.scheme}://{parts.netloc}"
    return BASE_CSP.format(logo=extra, form="")


def _render(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(**context)


def page_html(view: PageView, links: Links) -> str:
    return _render(
        "statuspage/public_index.html",
        {"view": view, "b": view.branding, "links": links, "logo": logo_src(view.branding, links)},
    )


def incident_html(view: PageView, incident: IncidentView, links: Links) -> str:
    return _render(
        "statuspage/public_incident.html",
        {
            "view": view,
            "b": view.branding,
            "links": links,
            "incident": incident,
            "logo": logo_src(view.branding, links),
        },
    )


def maintenance_html(view: PageView, item: MaintenanceView, links: Links) -> str:
    return _render(
        "statuspage/public_maintenance.html",
        {
            "view": view,
            "b": view.branding,
            "links": links,
            "item": item,
            "logo": logo_src(view.branding, links),
        },
    )


def history_html(view: PageView, incidents: list[IncidentView], links: Links) -> str:
    return _render(
        "statuspage/public_history.html",
        {
            "view": view,
            "b": view.branding,
            "links": links,
            "incidents": incidents,
            "logo": logo_src(view.branding, links),
        },
    )


def message_html(
    view: PageView,
    links: Links,
    *,
    title: str,
    message: str,
    form: Any = None,
    components: Any = None,
    errors: Any = None,
    token: str = "",
) -> str:
    return _render(
        "statuspage/public_message.html",
        {
            "view": view,
            "b": view.branding,
            "links": links,
            "title": title,
            "message": message,
            "form": form,
            "components": components,
            "errors": errors or {},
            "token": token,
            "logo": logo_src(view.branding, links),
        },
    )


def css(branding: Branding) -> str:
    return _render("statuspage/status.css", {"b": branding})


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    url: str
    updated: datetime
    published: datetime
    html: str


def feed_entries(view: PageView, incidents: list[IncidentView], links: Links) -> list[FeedEntry]:
    """One entry per public incident and per maintenance, newest change first."""
    entries = []
    for incident in incidents:
        url = f"{links.public_url}/incidents/{incident.id}"
        body = _render("statuspage/feed_entry.html", {"incident": incident, "item": None})
        entries.append(
            FeedEntry(
                id=url,
                title=f"{incident.title} ({incident.status.value})",
                url=url,
                updated=incident.updated_at,
                published=incident.started_at,
                html=body,
            )
        )
    for item in view.maintenance:
        url = f"{links.public_url}/maintenance/{item.id}"
        body = _render("statuspage/feed_entry.html", {"incident": None, "item": item})
        entries.append(
            FeedEntry(
                id=url,
                title=f"Maintenance: {item.title} ({item.status.value.replace('_', ' ')})",
                url=url,
                updated=item.updated_at,
                published=item.starts_at,
                html=body,
            )
        )
    entries.sort(key=lambda e: e.updated, reverse=True)
    return entries[:50]


def atom(view: PageView, incidents: list[IncidentView], links: Links) -> str:
    entries = feed_entries(view, incidents, links)
    return _render(
        "statuspage/feed.atom.xml",
        {"view": view, "b": view.branding, "links": links, "entries": entries},
    )


def rss(view: PageView, incidents: list[IncidentView], links: Links) -> str:
    entries = feed_entries(view, incidents, links)
    return _render(
        "statuspage/feed.rss.xml",
        {"view": view, "b": view.branding, "links": links, "entries": entries},
    )


def summary(view: PageView, links: Links) -> str:
    return json.dumps(summary_json(view, base=links.public_url), indent=2)


class PageCache:
    """Rendered public files, per page version and minute: between two changes only the clock
    moves (today's bar, "updated"), so a visitor rush during an outage renders once a minute.
    Keyed by the page's signing key too, which is unique to its database."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: dict[tuple[Any, ...], str] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], build: Callable[[], str]) -> str:
        with self._lock:
            found = self._items.get(key)
        if found is not None:
            return found
        value = build()
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = value
        return value


CACHE = PageCache()
