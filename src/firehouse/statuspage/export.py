"""The whole public page as static files (HTML, CSS, feeds, JSON), to host a copy anywhere:
the status page must stay up when the infrastructure firehouse runs on does not."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.db import Database
from firehouse.statuspage import render
from firehouse.statuspage import service as status
from firehouse.statuspage.models import StatusPage
from firehouse.statuspage.service.branding import LOGO_TYPES


def _write(path: Path, content: str | bytes) -> None:
    """Atomically: a reader (the static host) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_site(session: Session, directory: Path, *, public_url: str) -> list[Path]:
    """Write every public file under `directory`; returns the files written."""
    view = status.page_view(session)
    row = status.page(session)
    logo_ext = f".{LOGO_TYPES.get(row.logo_type, 'png')}" if row.logo_data else ""
    top = render.Links(root=".", export=True, public_url=public_url, logo_ext=logo_ext)
    nested = render.Links(root="..", export=True, public_url=public_url, logo_ext=logo_ext)
    incidents = status.history_view(session)
    files: dict[str, str | bytes] = {
        "index.html": render.page_html(view, top),
        "history.html": render.history_html(view, incidents, top),
        "status.css": render.css(view.branding),
        "feed.atom": render.atom(view, incidents, top),
        "feed.rss": render.rss(view, incidents, top),
        "api/summary.json": render.summary(view, top),
    }
    if row.logo_data:
        files[f"logo{logo_ext}"] = row.logo_data
    shown = {i.id for i in incidents}
    # incidents still open from before the history window are linked from the page too
    extra = [i for i in view.active if i.id not in shown]
    for incident in [*incidents, *extra]:
        files[f"incidents/{incident.id}.html"] = render.incident_html(view, incident, nested)
    for item in view.maintenance:
        files[f"maintenance/{item.id}.html"] = render.maintenance_html(view, item, nested)
    written = []
    for name, content in files.items():
        path = directory / name
        _write(path, content)
        written.append(path)
    return written


def export_if_due(db: Database, directory: Path, *, public_url: str) -> datetime | None:
    """The engine's step: export when something changed since the last export."""
    with db.session(write=False) as session:
        row = session.get(StatusPage, 1)
        if row is None or row.export_due_at is None:
            return None
        due = row.export_due_at
        export_site(session, directory, public_url=public_url)
    with db.session() as session:
        # clear the flag only if nothing changed while we were writing
        session.execute(
            update(StatusPage)
            .where(StatusPage.id == 1, StatusPage.export_due_at == due)
            .values(export_due_at=None, exported_at=clock.now(session))
        )
    return None
