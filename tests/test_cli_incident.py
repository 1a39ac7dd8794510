"""`firehouse incident ...` against a live server: uvicorn on a free loopback port, serving the
test's real database, called through the CLI as a responder would."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner, Result

from firehouse.auth.models import TokenScope
from firehouse.cli import app as cli
from firehouse.people.models import Role
from tests.conftest import MakePerson, Person

CLOSURE_ITEMS = ("slo_restored", "users_unaffected", "stakeholders_notified", "documented")


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, ws="none", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(500):
        if server.started:
            break
        thread.join(0.01)
    assert server.started, "the server did not start"
    yield url
    server.should_exit = True
    thread.join(10)
    sock.close()


class Cli:
    """Runs `firehouse incident ...` with FIREHOUSE_URL/FIREHOUSE_TOKEN and no config file."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.env: dict[str, str | None] = {
            "FIREHOUSE_URL": url,
            "FIREHOUSE_TOKEN": None,
            "FIREHOUSE_CLI_CONFIG": None,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        }

    def __call__(self, who: Person | None, *args: str, **env: str | None) -> Result:
        token = {"FIREHOUSE_TOKEN": who.token} if who else {}
        return CliRunner().invoke(cli, ["incident", *args], env={**self.env, **token, **env})

    def json(self, who: Person, *args: str) -> Any:
        result = self(who, *args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def run(live_url: str, tmp_path: Path) -> Cli:
    return Cli(live_url, tmp_path)


def _check_all(url: str, who: Person, ref: str) -> None:
    for item in CLOSURE_ITEMS:
        r = httpx.put(f"{url}/api/v1/incidents/{ref}/checklist/{item}", headers=who.headers)
        assert r.status_code == 200, r.text


def test_a_responder_runs_an_incident_from_the_terminal(
    run: Cli, responder: Person, manager: Person
) -> None:
    declared = run(responder, "declare", "Checkout is failing", "--severity", "SEV2")
    assert declared.exit_code == 0, declared.output
    assert "INC-1 declared (SEV2): now triggered" in declared.stdout

    listed = run(responder, "list")
    assert listed.exit_code == 0, listed.output
    assert "INC-1" in listed.stdout
    assert "Checkout is failing" in listed.stdout
    assert "triggered" in listed.stdout
    assert "rita" in listed.stdout  # the declarer is the incident manager

    for command, status in [("ack", "acknowledged"), ("mitigate", "mitigated")]:
        result = run(responder, command, "INC-1")
        assert result.exit_code == 0, result.output
        assert f"now {status}" in result.stdout
    resolved = run(responder, "resolve", "1")
    assert "now resolved" in resolved.stdout

    refused = run(responder, "close", "INC-1")
    assert refused.exit_code == 1
    assert "5 checklist item(s) open" in refused.stderr
    for item in (*CLOSURE_ITEMS, "postmortem_owner"):
        assert f"open: {item}" in refused.stderr

    _check_all(run.url, responder, "INC-1")
    assert run(responder, "assign", "INC-1", "retro", "ivan").exit_code == 0
    closed = run(responder, "close", "INC-1")
    assert closed.exit_code == 0, closed.output
    assert "now closed" in closed.stdout
    shown = run.json(manager, "show", "INC-1")
    assert shown["status"] == "closed"
    assert shown["milestones"]["closed_at"] is not None


def test_show_prints_fields_roles_and_the_timeline(run: Cli, responder: Person) -> None:
    run(responder, "declare", "Search [beta] is slow", "-s", "SEV3", "--customer-facing")
    run(responder, "note", "INC-1", "Rolled back **v2.3**", "--pin")
    shown = run(responder, "show", "INC-1")
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "Search [beta] is slow" in out  # user text is not read as markup
    assert "SEV3 (Medium)" in out
    assert "customer-facing" in out
    assert "incident manager" in out
    assert "rita" in out
    assert "* Rolled back **v2.3**" in out  # pinned
    assert "acknowledge, cancel, merge" in out  # what can be done next


def test_every_read_answers_json(run: Cli, responder: Person) -> None:
    run(responder, "declare", "Queue backlog", "-s", "SEV4")
    run(responder, "declare", "Login errors", "-s", "SEV1")
    page = run.json(responder, "list", "--severity", "SEV1")
    assert [i["title"] for i in page["items"]] == ["Login errors"]
    assert page["next_cursor"] is None
    shown = run.json(responder, "show", "INC-1")
    assert shown["reference"] == "INC-1"
    assert [e["kind"] for e in shown["timeline"]] == ["declared", "role_change"]
    acked = run.json(responder, "ack", "INC-2")
    assert acked["status"] == "acknowledged"
    everything = run.json(responder, "list", "--open", "--limit", "1")
    assert len(everything["items"]) == 1
    assert everything["next_cursor"] is not None


def test_list_filters_by_status_and_text(run: Cli, responder: Person) -> None:
    run(responder, "declare", "Payments down", "-s", "SEV1")
    run(responder, "declare", "Slow dashboards", "-s", "SEV3")
    run(responder, "ack", "INC-2")
    acked = run.json(responder, "list", "--status", "acknowledged")
    assert [i["reference"] for i in acked["items"]] == ["INC-2"]
    found = run.json(responder, "list", "-q", "payments")
    assert [i["reference"] for i in found["items"]] == ["INC-1"]
    one = run(responder, "list", "--limit", "1")
    assert "INC-2" in one.stdout
    assert "INC-1 " not in one.stdout
    assert "1 shown; there are more" in one.stdout
    empty = run(responder, "list", "-q", "nothing like this")
    assert empty.exit_code == 0
    assert "No incidents match." in empty.stdout


def test_a_forbidden_transition_says_what_is_allowed(run: Cli, responder: Person) -> None:
    run(responder, "declare", "Disk full", "-s", "SEV3")
    result = run(responder, "mitigate", "INC-1")
    assert result.exit_code == 1
    assert "INC-1 is triggered; it cannot mitigate" in result.stderr
    assert "allowed now: acknowledge, cancel, merge" in result.stderr


def test_reopen_needs_a_reason(run: Cli, responder: Person) -> None:
    run(responder, "declare", "Flapping", "-s", "SEV3")
    run(responder, "ack", "INC-1")
    run(responder, "resolve", "INC-1")
    bare = run(responder, "reopen", "INC-1")
    assert bare.exit_code == 2
    assert "--reason" in bare.stderr
    reopened = run.json(responder, "reopen", "INC-1", "--reason", "errors are back")
    assert reopened["status"] == "acknowledged"
    timeline = run.json(responder, "show", "INC-1")["timeline"]
    assert "errors are back" in timeline[-1]["body"]


def test_notes_can_be_backdated_and_pinned(run: Cli, responder: Person) -> None:
    run(responder, "declare", "Packet loss", "-s", "SEV2")
    added = run(responder, "note", "1", "Saw loss at 08:30", "--at", "2026-03-02T08:30:00Z")
    assert added.exit_code == 0, added.output
    assert "INC-1: note added" in added.stdout
    (note,) = [e for e in run.json(responder, "show", "INC-1")["timeline"] if e["kind"] == "note"]
    assert note["occurred_at"].startswith("2026-03-02T08:30:00")
    assert note["body"] == "Saw loss at 08:30"
    future = run(responder, "note", "1", "later", "--at", "2030-01-01T00:00:00Z")
    assert future.exit_code == 1
    assert "cannot happen in the future" in future.stderr


def test_assign_gives_a_role_by_name_or_alias(
    run: Cli, responder: Person, make_person: MakePerson
) -> None:
    make_person("cora")
    make_person("tom")
    run(responder, "declare", "DNS errors", "-s", "SEV2")
    assigned = run(responder, "assign", "INC-1", "comms", "cora")
    assert assigned.exit_code == 0, assigned.output
    assert "communications lead is now cora" in assigned.stdout
    roles = run.json(responder, "assign", "INC-1", "technical-lead", "tom")
    current = {h["role"]: h["user"]["handle"] for h in roles["current"]}
    assert current == {
        "incident_manager": "rita",
        "communications_lead": "cora",
        "technical_lead": "tom",
    }
    unknown = run(responder, "assign", "INC-1", "captain", "tom")
    assert unknown.exit_code == 2
    assert "unknown role 'captain'" in unknown.stderr
    nobody = run(responder, "assign", "INC-1", "scribe", "ghost")
    assert nobody.exit_code == 1
    assert "ghost" in nobody.stderr


def test_restricted_incidents_stay_hidden_from_outsiders(run: Cli, make_person: MakePerson) -> None:
    insider = make_person("sam", teams=("security",))
    outsider = make_person("otto")
    run(insider, "declare", "Leaked credentials", "-t", "security", "--team", "security")
    assert len(run.json(insider, "list")["items"]) == 1
    assert run.json(outsider, "list")["items"] == []
    hidden = run(outsider, "show", "INC-1")
    assert hidden.exit_code == 1
    assert "no incident INC-1" in hidden.stderr


def test_credentials_and_connection_errors_are_clear(
    run: Cli, make_person: MakePerson, tmp_path: Path
) -> None:
    reader = make_person("rhea", Role.viewer, scope=TokenScope.read)
    missing = run(None, "list")
    assert missing.exit_code == 2
    assert "no API token" in missing.stderr
    assert "FIREHOUSE_TOKEN" in missing.stderr
    wrong = run(None, "list", FIREHOUSE_TOKEN="fh_not_a_real_token")
    assert wrong.exit_code == 1
    assert "token" in wrong.stderr
    read_only = run(reader, "declare", "Nope")
    assert read_only.exit_code == 1
    assert "read-only" in read_only.stderr
    unknown = run(reader, "show", "INC-404")
    assert unknown.exit_code == 1
    assert "no incident INC-404" in unknown.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    unreachable = run(reader, "list", FIREHOUSE_URL=dead)
    assert unreachable.exit_code == 3
    assert f"cannot reach firehouse at {dead}" in unreachable.stderr


def test_the_config_file_gives_url_and_token_and_url_flag_wins(
    run: Cli, responder: Person, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "firehouse" / "cli.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'url = "{run.url}"\ntoken = "{responder.token}"\n')
    run(responder, "declare", "From config", "-s", "SEV4")
    plain = run(None, "list", FIREHOUSE_URL=None)
    assert plain.exit_code == 0, plain.output
    assert "From config" in plain.stdout
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    overridden = CliRunner().invoke(
        cli, ["incident", "--url", dead, "list"], env={**run.env, "FIREHOUSE_URL": None}
    )
    assert overridden.exit_code == 3
    assert dead in overridden.stderr
    config.write_text("url = [broken\n")
    broken = run(None, "list", FIREHOUSE_URL=None)
    assert broken.exit_code == 2
    assert "cannot read" in broken.stderr


def test_the_installed_command_talks_to_the_server(live_url: str, responder: Person) -> None:
    env = {"FIREHOUSE_URL": live_url, "FIREHOUSE_TOKEN": responder.token, "PATH": "/usr/bin"}
    declared = subprocess.run(
        [sys.executable, "-m", "firehouse", "incident", "declare", "Real process", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert declared.returncode == 0, declared.stderr
    assert json.loads(declared.stdout)["reference"] == "INC-1"
    listed = subprocess.run(
        [sys.executable, "-m", "firehouse", "incident", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "Real process" in listed.stdout


def test_starting_the_cli_loads_no_server_or_http_stack() -> None:
    """`firehouse incident list` stays fast because the web, database and HTTP libraries are
    imported only by the commands that need them."""
    probe = (
        "import sys, firehouse.cli; "
        "print(' '.join(m for m in ('sqlalchemy', 'fastapi', 'httpx', 'uvicorn', 'rich', "
        "'firehouse.app', 'firehouse.db') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert loaded.stdout.strip() == ""
