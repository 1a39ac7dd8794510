"""End to end in real Chromium (Debian's `chromium`, driven by Playwright's Python package) against
a real server and database: run an incident from declaration to closure in the browser, watch
changes made through the API appear without a reload, and check that a viewer cannot write.
Screenshots of the main pages go to artifacts/screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from firehouse.people.models import Role
from tests.conftest import PASSWORD, MakePerson
from tests.web_helpers import serve

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
playwright_sync = pytest.importorskip("playwright.sync_api")
# a live update is an event, a page fetch and a swap; on a loaded CI machine beside another
# worker that can take longer than expect()'s default of 5 s
playwright_sync.expect.set_options(timeout=20_000)

if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:  # pragma: no cover
    pytest.fail("chromium is missing: apt-get install -y chromium (.ci/run does it)")


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield launched
        finally:
            launched.close()


def _log_in(browser: Any, base_url: str, handle: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    # generous: CI machines are shared and a loaded one can take seconds to serve a page
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(30_000)
    page.goto(f"{base_url}/login")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")
    return page


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_run_an_incident_from_declaration_to_closure_in_chromium(
    base_url: str, browser: Any, make_person: MakePerson
) -> None:
    rita = make_person("rita", Role.responder)
    api = httpx.Client(base_url=base_url, headers=rita.headers, timeout=30)
    page = _log_in(browser, base_url, "rita")
    expect = playwright_sync.expect

    page.get_by_role("link", name="Declare an incident").first.click()
    page.get_by_label("Title").fill("Checkout is failing")
    page.locator("input[name=severity][value=SEV2]").check()
    _shot(page, "declare")
    page.get_by_role("button", name="Declare").click()
    page.wait_for_url(f"{base_url}/incidents/INC-1")
    expect(page.locator("#incident-status")).to_have_text("triggered")

    # live: an incident declared through the API appears on the home page without a reload
    page.goto(f"{base_url}/")
    expect(page.locator("body")).to_have_attribute("data-live-connected", "true")
    page.evaluate("window.__notReloaded = true")
    api.post("/api/v1/incidents", json={"title": "Search is slow", "severity": "SEV3"})
    expect(page.locator("#home-incidents")).to_contain_text("Search is slow")
    assert page.evaluate("window.__notReloaded") is True
    _shot(page, "home")

    page.goto(f"{base_url}/incidents/INC-1")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#incident-status")).to_have_text("acknowledged")

    page.get_by_label("Add a note (Markdown)").fill("Rolled back **v42**; errors falling.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#note-preview strong")).to_have_text("v42")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline-entries")).to_contain_text("Rolled back v42")

    # live: a status change made through the API shows on the open incident page
    expect(page.locator("body")).to_have_attribute("data-live-connected", "true")
    page.evaluate("window.__notReloaded = true")
    api.post("/api/v1/incidents/INC-1/mitigate")
    expect(page.locator("#incident-status")).to_have_text("mitigated")
    assert page.evaluate("window.__notReloaded") is True

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#incident-status")).to_have_text("resolved")
    expect(page.locator("#close-why")).to_contain_text("Cannot close yet")
    page.get_by_role("button", name="Close incident").click()
    expect(page.get_by_role("alert")).to_contain_text("checklist item(s) open")
    expect(page.get_by_role("alert")).to_contain_text("Service back within SLO")
    expect(page.locator("#incident-status")).to_have_text("resolved")

    for label in (
        "Service back within SLO",
        "Affected users confirmed",
        "Stakeholders notified",
        "Timeline, containment",
    ):
        page.locator("#checklist li", has_text=label).get_by_role("button", name="Check").click()
        expect(page.locator("#checklist li.done", has_text=label)).to_have_count(1)
    page.get_by_role("button", name="Take Retrospective leader").click()
    expect(page.locator("#close-why")).to_contain_text("ready to close")
    _shot(page, "incident")
    page.get_by_role("button", name="Close incident").click()
    expect(page.locator("#incident-status")).to_have_text("closed")

    page.goto(f"{base_url}/incidents")
    _shot(page, "incidents")
    page.goto(f"{base_url}/profile")
    _shot(page, "profile")
    api.close()


def test_a_page_catches_up_when_its_live_stream_reconnects(
    base_url: str, browser: Any, make_person: MakePerson
) -> None:
    """A change made while the page had no stream (a server restart, a network blip, the
    stream's five-minute end) was sent to nobody; the page shows it once it reconnects."""
    rita = make_person("rita", Role.responder)
    api = httpx.Client(base_url=base_url, headers=rita.headers, timeout=30)
    api.post("/api/v1/incidents", json={"title": "Checkout is failing", "severity": "SEV2"})
    page = _log_in(browser, base_url, "rita")
    streams: list[str] = []

    def stream(route: Any) -> None:
        streams.append(route.request.url)
        if len(streams) == 1:  # the first stream ends at once, as a restarting server's does
            route.fulfill(
                status=200,
                headers={"Content-Type": "text/event-stream"},
                body="retry: 200\n: connected\n\n",
            )
            return
        if len(streams) == 2:  # the change is made before the browser is subscribed again
            api.post("/api/v1/incidents/INC-1/acknowledge").raise_for_status()
        route.continue_()

    page.route("**/events*", stream)
    page.goto(f"{base_url}/incidents/INC-1")
    page.evaluate("window.__notReloaded = true")
    # after a reconnection, up to a second of jitter and a page fetch
    playwright_sync.expect(page.locator("#incident-status")).to_have_text("acknowledged")
    assert page.evaluate("window.__notReloaded") is True
    assert len(streams) >= 2
    api.close()


def test_a_viewer_sees_everything_and_can_change_nothing(
    base_url: str, browser: Any, make_person: MakePerson
) -> None:
    rita = make_person("rita", Role.responder)
    make_person("vera", Role.viewer)
    httpx.post(
        f"{base_url}/api/v1/incidents",
        json={"title": "Queue backlog", "severity": "SEV2"},
        headers=rita.headers,
    )
    page = _log_in(browser, base_url, "vera")
    expect = playwright_sync.expect
    expect(page.locator("#home-incidents")).to_contain_text("Queue backlog")
    expect(page.get_by_role("link", name="Declare an incident")).to_have_count(0)
    page.goto(f"{base_url}/incidents/INC-1")
    expect(page.locator("#incident-status")).to_have_text("triggered")
    expect(page.locator("main form")).to_have_count(0)
    expect(page.locator("main button")).to_have_count(0)
    status = page.evaluate(
        """async () => {
          const body = new URLSearchParams();
          body.set("csrf_token", document.querySelector("[name=csrf_token]").value);
          const r = await fetch("/incidents/INC-1/actions/acknowledge", {method: "POST", body});
          return r.status;
        }"""
    )
    assert status == 403
    page.reload()
    expect(page.locator("#incident-status")).to_have_text("triggered")


def test_admin_pages_in_chromium(base_url: str, browser: Any, make_person: MakePerson) -> None:
    make_person("ada", Role.admin)
    page = _log_in(browser, base_url, "ada")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Audit log").first.click()
    playwright_sync.expect(page.locator("#chain")).to_contain_text("Chain verified")
    _shot(page, "admin_audit")
    page.goto(f"{base_url}/admin/users")
    _shot(page, "admin_users")


def test_remove_a_person_in_chromium(base_url: str, browser: Any, make_person: MakePerson) -> None:
    make_person("ada", Role.admin)
    make_person("bob", Role.responder, teams=("payments",))
    ivan = make_person("ivan", Role.incident_manager)
    layer = {
        "name": "Weekly",
        "rotation": ["ivan"],
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": "2026-03-02",
    }
    made = httpx.post(
        f"{base_url}/api/v1/schedules",
        json={"name": "Payments primary", "timezone": "UTC", "layers": [layer]},
        headers=ivan.headers,
    )
    assert made.status_code == 201, made.text
    expect = playwright_sync.expect
    page = _log_in(browser, base_url, "ada")
    page.goto(f"{base_url}/admin/users")
    page.get_by_role("link", name="Remove… bob").click()
    expect(page.get_by_role("heading", name="Remove this person?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("leaves Payments")
    _shot(page, "admin_remove_person")
    page.get_by_role("button", name="Remove bob").click()
    page.wait_for_url(f"{base_url}/admin/users?removed=bob")
    expect(page.get_by_role("status").filter(has_text="was removed")).to_contain_text(
        "Bob (bob) was removed"
    )
    # still on call: the confirmation says where, and its button cannot be pressed
    page.get_by_role("link", name="Remove… ivan").click()
    expect(page.locator("#remove-blocker")).to_contain_text("Payments primary")
    expect(page.get_by_role("button", name="Remove ivan")).to_be_disabled()
    _shot(page, "admin_remove_person_on_call")


WIDEST = """Array.from(document.querySelectorAll("main *"))
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(-3).map((el) => el.tagName + "." + el.className + "#" + el.id)"""


def test_pages_fit_a_phone_and_start_with_a_skip_link(
    base_url: str, browser: Any, make_person: MakePerson
) -> None:
    rita = make_person("rita", Role.responder)
    httpx.post(
        f"{base_url}/api/v1/incidents",
        json={"title": "Payments are timing out for some card issuers", "severity": "SEV1"},
        headers=rita.headers,
    )
    page = _log_in(browser, base_url, "rita")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/incidents", "/incidents/new", "/incidents/INC-1", "/profile"):
        page.goto(base_url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        wide = page.evaluate(WIDEST)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone: {wide}"
        if path != "/incidents/new":  # that form puts the cursor in its title field
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.textContent")
            assert focused == "Skip to content", path
    page.goto(f"{base_url}/incidents/INC-1")
    _shot(page, "incident_phone")
