"""What every request goes through: health, request ids, the body limit, security headers,
the error shape, the API description, and the settings' documentation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from firehouse.app import create_app
from firehouse.audit.models import AuditRecord
from firehouse.clock import FrozenClock
from firehouse.db import Database
from firehouse.settings import Settings
from tests.conftest import Person

ROOT = Path(__file__).resolve().parents[1]


def assert_error_shape(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def test_healthz_is_public(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def _bare_client(url: str, clock: FrozenClock) -> Iterator[TestClient]:
    db = Database(url, clock=clock)
    settings = Settings(database_url=url, log_format="text", auto_migrate=False)
    try:
        with TestClient(create_app(settings, database=db)) as client:
            yield client
    finally:
        db.dispose()


@pytest.fixture
def unmigrated(tmp_path: Path, clock: FrozenClock) -> Iterator[TestClient]:
    yield from _bare_client(f"sqlite:///{tmp_path / 'empty.db'}", clock)


@pytest.fixture
def unreachable(tmp_path: Path, clock: FrozenClock) -> Iterator[TestClient]:
    yield from _bare_client(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}", clock)


def test_readyz_is_503_while_migrations_are_pending(unmigrated: TestClient) -> None:
    response = unmigrated.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "ok", "migrations": "pending"},
    }
    assert unmigrated.get("/healthz").status_code == 200


def test_readyz_is_503_without_a_database(unreachable: TestClient) -> None:
    response = unreachable.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")


def test_a_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.2_x"


@pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 65, "semi;colon"])
def test_a_request_id_is_made_when_missing_or_unusable(
    client: TestClient, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert first != second


def test_errors_carry_the_request_id_too(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here", headers={"X-Request-ID": "trace-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "trace-404"


def count_records(database: Database) -> int:
    with database.session(write=False) as session:
        return session.scalar(select(func.count(AuditRecord.id))) or 0


def test_a_body_over_the_limit_is_413(
    client: TestClient, responder: Person, settings: Settings, database: Database
) -> None:
    before = count_records(database)
    body = b'{"title": "' + b"x" * settings.max_body_bytes + b'", "severity": "SEV3"}'
    response = client.post(
        "/api/v1/incidents",
        content=body,
        headers={**responder.headers, "Content-Type": "application/json", "X-Request-ID": "big"},
    )
    error = assert_error_shape(response, 413, "payload_too_large")
    assert error["details"] == {"limit": settings.max_body_bytes}
    assert response.headers["X-Request-ID"] == "big"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert count_records(database) == before


def test_a_chunked_body_over_the_limit_is_413(
    client: TestClient, responder: Person, settings: Settings, database: Database
) -> None:
    """No Content-Length to check up front: the limit applies while the body is read."""
    before = count_records(database)

    def chunks() -> Iterator[bytes]:
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = client.post(
        "/api/v1/incidents",
        content=chunks(),
        headers={**responder.headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    error = assert_error_shape(response, 413, "payload_too_large")
    assert error["details"] == {"limit": settings.max_body_bytes}
    assert count_records(database) == before


def test_a_form_over_the_limit_is_413(client: TestClient, settings: Settings) -> None:
    response = client.post(
        "/login", data={"handle": "rita", "password": "x" * (settings.max_body_bytes + 1)}
    )
    assert_error_shape(response, 413, "payload_too_large")


def test_a_body_under_the_limit_is_read(client: TestClient, responder: Person) -> None:
    response = client.post(
        "/api/v1/incidents",
        json={"title": "Big summary", "severity": "SEV3", "summary": "y" * 19_000},
        headers=responder.headers,
    )
    assert response.status_code == 201


def test_an_unknown_route_is_404_in_the_error_shape(client: TestClient, responder: Person) -> None:
    assert_error_shape(client.get("/api/v1/nope", headers=responder.headers), 404, "not_found")
    assert_error_shape(client.get("/nope"), 404, "not_found")


@pytest.mark.parametrize("path", ["/healthz", "/login", "/api/v1/me", "/static/app.css", "/nope"])
def test_security_headers_are_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_need_nothing_the_csp_forbids(client: TestClient, responder: Person) -> None:
    """The CSP blocks inline scripts and styles, so a page using one would be broken."""
    for path in ("/login", "/"):
        html = client.get(path, headers=responder.headers).text
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, path
        assert re.search(r"<style\b", html) is None, path
        assert re.search(r"\sstyle=", html) is None, path
        assert re.search(r"\son[a-z]+=", html) is None, path


def test_the_api_description_needs_a_token(client: TestClient, responder: Person) -> None:
    assert_error_shape(client.get("/api/v1/openapi.json"), 401, "unauthorized")
    response = client.get("/api/v1/openapi.json", headers=responder.headers)
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/incidents" in paths
    assert {"get", "post"} <= set(paths["/api/v1/incidents"])
    assert "/login" not in paths
    assert "/api/v1/openapi.json" not in paths
    # the framework's own unauthenticated documentation routes are off
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_every_kind_of_error_has_the_same_shape(
    client: TestClient, responder: Person, viewer: Person
) -> None:
    h = responder.headers
    assert_error_shape(client.get("/api/v1/me"), 401, "unauthorized")
    assert_error_shape(
        client.get("/api/v1/me", headers={"Authorization": "Bearer fh_wrong"}), 401, "unauthorized"
    )
    assert_error_shape(
        client.post(
            "/api/v1/incidents", json={"title": "x", "severity": "SEV3"}, headers=viewer.headers
        ),
        403,
        "forbidden",
    )
    assert_error_shape(client.get("/api/v1/users/ghost", headers=h), 404, "not_found")
    assert_error_shape(client.get("/api/v1/incidents/INC-999", headers=h), 404, "not_found")
    assert_error_shape(client.put("/api/v1/me", headers=h), 405, "method_not_allowed")
    ref = client.post(
        "/api/v1/incidents", json={"title": "x", "severity": "SEV3"}, headers=h
    ).json()["reference"]
    conflict = assert_error_shape(
        client.post(f"/api/v1/incidents/{ref}/close", headers=h), 409, "conflict"
    )
    assert conflict["details"]["allowed_actions"] == ["acknowledge", "cancel", "merge"]
    invalid = assert_error_shape(
        client.post("/api/v1/incidents", json={"severity": "SEV3"}, headers=h), 422, "invalid"
    )
    assert invalid["details"] == [{"field": "title", "in": "body", "message": "Field required"}]
    service_invalid = assert_error_shape(
        client.post("/api/v1/incidents", json={"title": "x", "severity": "SEV9"}, headers=h),
        422,
        "invalid",
    )
    assert service_invalid["details"][0]["field"] == "severity"
    malformed = client.post(
        "/api/v1/incidents",
        content=b"{not json",
        headers={**h, "Content-Type": "application/json"},
    )
    assert_error_shape(malformed, 422, "invalid")
    assert_error_shape(
        client.get("/api/v1/incidents", params={"limit": "many"}, headers=h), 422, "invalid"
    )


def test_an_unexpected_failure_is_500_in_the_error_shape(app: Any) -> None:
    def explode() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/api/v1/test-explode", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/test-explode", headers={"X-Request-ID": "oops-1"})
    error = assert_error_shape(response, 500, "internal")
    assert error["message"] == "internal error"
    assert "boom" not in response.text
    assert error["details"] == {"request_id": "oops-1"}


def test_every_setting_is_documented() -> None:
    """docs/configuration.md lists every FIREHOUSE_ variable the Settings class reads."""
    doc = ROOT / "docs" / "configuration.md"
    assert doc.exists(), "docs/configuration.md is missing"
    text = doc.read_text(encoding="utf-8")
    prefix = str(Settings.model_config.get("env_prefix", ""))
    assert prefix == "FIREHOUSE_"
    missing = [
        f"{prefix}{name.upper()}"
        for name in Settings.model_fields
        if f"`{prefix}{name.upper()}`" not in text
    ]
    assert missing == [], f"not in docs/configuration.md: {missing}"
