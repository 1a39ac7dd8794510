"""Branding: the page's name, logo, colours and footer links (admins)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from firehouse.actor import Actor, require_writer
from firehouse.audit import service as audit
from firehouse.errors import Invalid
from firehouse.people.models import Role
from firehouse.statuspage.models import StatusPage
from firehouse.statuspage.service.common import page, touch

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
COLORS = ("color_accent", "color_background", "color_text")
LOGO_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
MAX_LOGO_BYTES = 256 * 1024
MAX_LINKS = 10


def _link_url(value: str, *, field: str) -> str:
    url = value.strip()
    parts = urlsplit(url)
    absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    local = url.startswith("/") and not url.startswith("//") and not parts.scheme
    if not (absolute or local) or len(url) > 500 or any(ord(ch) < 0x20 for ch in url):
        raise Invalid("a link is an http(s) URL or a path starting with /", field=field)
    return url


def snapshot(row: StatusPage) -> dict[str, Any]:
    return {
        "name": row.name,
        "about": row.about,
        "logo_url": row.logo_url,
        "logo_uploaded": row.logo_data is not None,
        "color_accent": row.color_accent,
        "color_background": row.color_background,
        "color_text": row.color_text,
        "footer_links": row.footer_links,
    }


def update_branding(session: Session, *, actor: Actor, changes: dict[str, Any]) -> StatusPage:
    require_writer(actor, Role.admin)
    row = page(session, for_update=True)
    before = snapshot(row)
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name or len(name) > 200:
            raise Invalid("a name is 1-200 characters", field="name")
        row.name = name
    if "about" in changes:
        row.about = str(changes["about"] or "").strip()[:2000]
    if "logo_url" in changes:
        value = str(changes["logo_url"] or "").strip()
        row.logo_url = _link_url(value, field="logo_url") if value else ""
    for color in COLORS:
        if color in changes and changes[color] is not None:
            value = str(changes[color]).strip()
            if not COLOR_RE.match(value):
                raise Invalid("a colour is #rrggbb", field=color)
            setattr(row, color, value.lower())
    if "footer_links" in changes:
        links = list(changes["footer_links"] or [])
        if len(links) > MAX_LINKS:
            raise Invalid(f"at most {MAX_LINKS} footer links", field="footer_links")
        clean = []
        for index, link in enumerate(links):
            label = str(link.get("label", "")).strip()
            if not label or len(label) > 100:
                raise Invalid("a link label is 1-100 characters", field=f"footer_links.{index}")
            clean.append(
                {
                    "label": label,
                    "url": _link_url(str(link.get("url", "")), field=f"footer_links.{index}.url"),
                }
            )
        row.footer_links = clean
    audit.record(
        session,
        actor=actor,
        action="statuspage.branding.update",
        target_type="status_page",
        target_id=row.id,
        before=before,
        after=snapshot(row),
    )
    touch(session)
    return row


def set_logo(session: Session, *, actor: Actor, data: bytes, content_type: str) -> StatusPage:
    require_writer(actor, Role.admin)
    if content_type not in LOGO_TYPES:
        raise Invalid(f"a logo is one of {', '.join(LOGO_TYPES)}", field="logo")
    if not data or len(data) > MAX_LOGO_BYTES:
        raise Invalid(f"a logo is 1 byte to {MAX_LOGO_BYTES // 1024} KiB", field="logo")
    row = page(session, for_update=True)
    row.logo_data = data
    row.logo_type = content_type
    audit.record(
        session,
        actor=actor,
        action="statuspage.branding.logo",
        target_type="status_page",
        target_id=row.id,
        after={"content_type": content_type, "bytes": len(data)},
    )
    touch(session)
    return row


def remove_logo(session: Session, *, actor: Actor) -> StatusPage:
    require_writer(actor, Role.admin)
    row = page(session, for_update=True)
    row.logo_data = None
    row.logo_type = ""
    audit.record(
        session,
        actor=actor,
        action="statuspage.branding.logo_remove",
        target_type="status_page",
        target_id=row.id,
    )
    touch(session)
    return row
