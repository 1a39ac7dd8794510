"""`firehouse integration create|list` on the test's database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from firehouse.alerts import service as alerts
from firehouse.cli import app as cli
from firehouse.db import Database


def test_create_prints_only_a_working_key(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIREHOUSE_DATABASE_URL", database.url)
    monkeypatch.setenv("FIREHOUSE_ADMIN_PASSWORD", "correct-horse-battery-staple")
    runner = CliRunner()
    result = runner.invoke(cli, ["integration", "create", "--type", "pagerduty", "--name", "pd"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert len(key) == 32
    assert "\n" not in key
    with database.session(write=False) as session:
        found = alerts.authenticate(session, key)
        assert found is not None
        assert found.name == "pd"
        assert found.type.value == "pagerduty"
    listed = runner.invoke(cli, ["integration", "list"])
    assert listed.exit_code == 0
    assert "pagerduty\tpd\t" in listed.stdout
    assert key not in listed.stdout


def test_create_refuses_an_unknown_type_or_team(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIREHOUSE_DATABASE_URL", database.url)
    runner = CliRunner()
    result = runner.invoke(cli, ["integration", "create", "--type", "nagios", "--name", "n"])
    assert result.exit_code == 1
    assert result.stdout == ""
    result = runner.invoke(
        cli, ["integration", "create", "--type", "generic", "--name", "n", "--team", "ghosts"]
    )
    assert result.exit_code == 1
    assert "ghosts" in result.stderr
