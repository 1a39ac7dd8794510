"""End to end with real peers: Prometheus sends to firehouse as one of its Alertmanagers, and a
real Alertmanager sends its webhook to firehouse. The alert appears with Alertmanager's own
fingerprint and resolves when the rule stops firing. Real time, bounded by timeouts."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from firehouse.actor import Actor
from firehouse.alerts import service as alerts
from firehouse.alerts.models import Alert
from firehouse.app import create_app
from firehouse.db import Database
from firehouse.settings import Settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("prometheus") and shutil.which("prometheus-alertmanager")),
        reason="needs the Debian packages prometheus and prometheus-alertmanager",
    ),
]

FIRING = """groups:
- name: e2e
  rules:
  - alert: FirehouseEndToEnd
    expr: vector(1)
    labels: {severity: critical, service: e2e}
    annotations: {summary: "The end-to-end rule fires"}
"""
QUIET = FIRING.replace("vector(1)", "vector(1) > 2")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], Any], timeout: float = 45) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def live_firehouse(database: Database, settings: Settings) -> Iterator[tuple[str, Database]]:
    """firehouse on a loopback port, on the test's database but with the real clock."""
    real = Database(database.url, pool_size=4)
    app = create_app(settings, database=real)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for("firehouse", lambda: server.started, timeout=30)
    yield f"127.0.0.1:{port}", real
    server.should_exit = True
    thread.join(timeout=30)
    real.dispose()


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)


def _alerts(db: Database, integration_id: int) -> list[Alert]:
    from sqlalchemy import select

    with db.session(write=False) as session:
        return list(
            session.scalars(select(Alert).where(Alert.integration_id == integration_id)).all()
        )


def test_prometheus_and_alertmanager_deliver_to_firehouse(
    live_firehouse: tuple[str, Database], tmp_path: Path
) -> None:
    address, db = live_firehouse
    with db.session() as session:
        direct = alerts.create_integration(
            session, actor=Actor.system("test"), name="prometheus", type="alertmanager"
        )
        webhook = alerts.create_integration(
            session, actor=Actor.system("test"), name="alertmanager", type="alertmanager"
        )
        direct_id, webhook_id = direct.integration.id, webhook.integration.id
    am_port, prom_port = _port(), _port()
    rules = tmp_path / "rules.yml"
    rules.write_text(FIRING)
    (tmp_path / "alertmanager.yml").write_text(
        f"""route:
  receiver: firehouse
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: firehouse
  webhook_configs:
  - url: http://{address}/integrations/{webhook.key}/alertmanager
    send_resolved: true
"""
    )
    (tmp_path / "prometheus.yml").write_text(
        f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [{rules}]
alerting:
  alertmanagers:
  - api_version: v2
    authorization: {{type: Bearer, credentials: {direct.key}}}
    static_configs: [{{targets: ["{address}"]}}]
  - api_version: v2
    static_configs: [{{targets: ["127.0.0.1:{am_port}"]}}]
"""
    )
    log = tmp_path / "peers.log"
    manager = _start(
        [
            "prometheus-alertmanager",
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
        ],
        log,
    )
    prometheus = _start(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prom-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--web.enable-lifecycle",
            "--rules.alert.resend-delay=1s",
        ],
        log,
    )
    try:
        am_alerts = wait_for(
            "Alertmanager to receive the alert",
            lambda: _get(f"http://127.0.0.1:{am_port}/api/v2/alerts"),
        )
        fingerprint = am_alerts[0]["fingerprint"]
        direct_alerts = wait_for("firehouse, from Prometheus", lambda: _alerts(db, direct_id))
        webhook_alerts = wait_for("firehouse, from Alertmanager", lambda: _alerts(db, webhook_id))
        assert [a.fingerprint for a in direct_alerts] == [fingerprint]
        assert [a.fingerprint for a in webhook_alerts] == [fingerprint]
        assert direct_alerts[0].labels["alertname"] == "FirehouseEndToEnd"
        assert direct_alerts[0].status.value == "triggered"

        rules.write_text(QUIET)
        httpx.post(f"http://127.0.0.1:{prom_port}/-/reload", timeout=5).raise_for_status()
        wait_for(
            "the direct alert to resolve",
            lambda: [a.status.value for a in _alerts(db, direct_id)] == ["resolved"],
        )
        wait_for(
            "the webhook alert to resolve",
            lambda: [a.status.value for a in _alerts(db, webhook_id)] == ["resolved"],
        )
    finally:
        for process in (prometheus, manager):
            process.terminate()
        for process in (prometheus, manager):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _get(url: str) -> Any:
    try:
        response = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None
