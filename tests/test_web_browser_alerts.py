"""An alert in real Chromium against a real server: sent through HTTP to a generic
integration, it appears on the open home page without a reload, and is acknowledged from the
alerts page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from firehouse.people.models import Role
from tests.alerts_helpers import make_integration
from tests.conftest import MakePerson
from tests.test_web_browser import _log_in, base_url, browser, playwright_sync  # noqa: F401

pytestmark = pytest.mark.slow


def test_an_alert_appears_live_on_the_home_page_and_is_acknowledged(
    base_url: str,  # noqa: F811
    browser: Any,  # noqa: F811
    make_person: MakePerson,
    database: Any,
) -> None:
    manager = make_person("ivan", Role.incident_manager)
    make_person("rita", Role.responder)
    api = httpx.Client(base_url=base_url, headers=manager.headers, timeout=30)
    # the service is in maintenance, so the alert fires without opening an incident
    assert api.post("/api/v1/services", json={"slug": "db", "name": "Database"}).is_success
    window = {"service": "db", "ends_at": "2026-03-03T12:00:00+00:00"}
    assert api.post("/api/v1/maintenance-windows", json=window).is_success
    _, key = make_integration(database, name="cron", type="generic", service="db")
    expect = playwright_sync.expect

    page = _log_in(browser, base_url, "rita")
    expect(page.locator("#section-alerts")).to_contain_text("Nothing firing outside")
    expect(page.locator("body")).to_have_attribute("data-live-connected", "true")
    page.evaluate("window.__notReloaded = true")
    sent = httpx.post(
        f"{base_url}/integrations/{key}/generic",
        json={"summary": "Nightly backup failed on db-1", "dedup_key": "backup-db-1"},
        timeout=30,
    )
    assert sent.is_success, sent.text
    expect(page.locator("#section-alerts")).to_contain_text("Nightly backup failed on db-1")
    assert page.evaluate("window.__notReloaded") is True

    page.get_by_role("link", name="Alerts", exact=True).click()
    row = page.locator("#alert-list tr", has_text="Nightly backup failed on db-1")
    expect(row).to_contain_text("triggered")
    row.get_by_role("button", name="Acknowledge").click()
    row = page.locator("#alert-list tr", has_text="Nightly backup failed on db-1")
    expect(row).to_contain_text("acknowledged")
    expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
    api.close()
