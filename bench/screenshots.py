"""Take the screenshots in docs/screenshots/ (the README shows home.png) in real Chromium.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]   (or: make screenshots)

Starts firehouse on a temporary SQLite database filled with the demo history (`firehouse demo`),
logs in as the admin in headless Chromium (Debian's `chromium`, driven by Playwright's Python
package; nothing is downloaded) and saves the main pages, light and dark.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from firehouse.actor import Actor
from firehouse.app import create_app, make_database, prepare_database
from firehouse.demo import load_demo
from firehouse.settings import Settings

PASSWORD = secrets.token_urlsafe(16)
CHROMIUM = "/usr/bin/chromium"
PAGES = (
    ("home", "/"),
    ("incidents", "/incidents"),
    ("declare", "/incidents/new"),
    ("admin_audit", "/admin/audit"),
    ("profile", "/profile"),
)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def shoot(base_url: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for scheme in ("light", "dark"):
            page: Any = browser.new_page(
                viewport={"width": 1280, "height": 860}, color_scheme=scheme
            )
            page.goto(f"{base_url}/login")
            page.get_by_label("Handle").fill("admin")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base_url}/")
            shots = list(PAGES)
            first = page.locator("#home-incidents a[href^='/incidents/INC-']").first
            if first.count():
                shots.append(("incident", first.get_attribute("href")))
            for name, path in shots:
                if scheme == "dark" and name not in ("home", "incident"):
                    continue
                page.goto(base_url + path)
                target = out / (name if scheme == "light" else f"{name}_dark")
                page.screenshot(path=f"{target}.png")
                saved.append(target.with_suffix(".png"))
            page.close()
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--incidents", type=int, default=60)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'shots.db'}",
            admin_password=PASSWORD,
            log_level="error",
            auto_migrate=True,
        )
        db = make_database(settings)
        prepare_database(db, settings)
        with db.session() as session:
            load_demo(
                session, actor=Actor.system("demo"), incidents_count=args.incidents, days=30,
                seed=42, force=False,
            )  # fmt: skip
        app = create_app(settings, database=db)
        with serve(app) as base_url:
            for path in shoot(base_url, args.out):
                print(path)
        db.dispose()


if __name__ == "__main__":
    main()
