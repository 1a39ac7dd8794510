"""`firehouse status export DIR` and the automatic re-export: the whole public page as static
files, served here by a plain http.server and checked as a visitor would."""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from fastapi.testclient import TestClient

from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.people.models import Role
from firehouse.settings import Settings
from tests.conftest import MakePerson, Person, declare
from tests.status_helpers import component, make_engine, publish

SECRET = "Internal: shard 7 of the ledger lost its primary"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def static_host(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "site"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _content(client: TestClient, make_person: MakePerson, manager: Person) -> dict[str, Any]:
    owner = make_person("olga", Role.responder)
    incident = declare(client, owner, title=SECRET, summary=SECRET)
    api = component(client, manager, "API")
    component(client, manager, "Docs")
    return publish(
        client,
        owner,
        title="Payments are failing",
        body="Some card payments fail.",
        incident=str(incident["reference"]),
        components={str(api["id"]): "partial_outage"},
    )


def test_the_cli_exports_a_page_any_static_host_serves(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    settings: Settings,
    static_host: tuple[Path, str],
) -> None:
    made = _content(client, make_person, manager)
    root, url = static_host
    result = subprocess.run(
        [sys.executable, "-m", "firehouse", "status", "export", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"FIREHOUSE_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout

    index = httpx.get(f"{url}/index.html")
    assert index.status_code == 200
    assert "Partial outage" in index.text
    assert "Payments are failing" in index.text
    # every local link and stylesheet of the exported pages resolves on the static host
    css = httpx.get(f"{url}/status.css")
    assert css.status_code == 200
    assert "--sp-accent" in css.text
    page = httpx.get(f"{url}/incidents/{made['id']}.html")
    assert page.status_code == 200
    assert "Some card payments fail." in page.text
    assert 'href="../status.css"' in page.text
    assert httpx.get(f"{url}/history.html").status_code == 200
    summary = httpx.get(f"{url}/api/summary.json").json()
    assert summary["status"]["indicator"] == "partial_outage"
    atom = feedparser.parse(httpx.get(f"{url}/feed.atom").text)
    assert not atom.bozo
    assert atom.entries[0].title == "Payments are failing (investigating)"
    assert not feedparser.parse(httpx.get(f"{url}/feed.rss").text).bozo
    # the static copy subscribes through the live instance
    assert f'href="{settings.public_url()}/status/subscribe"' in index.text
    for path in root.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path


def test_a_change_is_exported_automatically_when_configured(
    client: TestClient,
    make_person: MakePerson,
    manager: Person,
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    static_host: tuple[Path, str],
) -> None:
    root, url = static_host
    engine = make_engine(database, settings.model_copy(update={"status_export_dir": str(root)}))
    made = _content(client, make_person, manager)
    engine.run_until_idle()
    assert "Payments are failing" in httpx.get(f"{url}/index.html").text
    client.post(
        f"/api/v1/statuspage/incidents/{made['id']}/updates",
        json={"status": "resolved", "body": "Payments work again."},
        headers=manager.headers,
    )
    clock.advance(timedelta(seconds=1))
    engine.run_until_idle()
    index = httpx.get(f"{url}/index.html").text
    assert "All systems operational" in index
    assert "Payments work again." in httpx.get(f"{url}/incidents/{made['id']}.html").text
    # nothing changed: the export is not rewritten
    before = (root / "index.html").stat().st_mtime_ns
    clock.advance(timedelta(minutes=5))
    engine.run_until_idle()
    assert (root / "index.html").stat().st_mtime_ns == before
