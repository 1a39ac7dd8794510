"""Where the responder CLI finds its server and token, and how it talks to it.

Imports stay light: `firehouse incident list` has to answer in a blink, so requests go through
the standard library's http.client, imported only when a request is made."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 15.0
# Exit codes: 0 done, 1 the server refused (4xx/5xx), 2 bad usage or configuration,
# 3 the server could not be reached.
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


def config_path() -> Path:
    """`$FIREHOUSE_CLI_CONFIG`, else `$XDG_CONFIG_HOME/firehouse/cli.toml`, else
    `~/.config/firehouse/cli.toml`."""
    explicit = os.environ.get("FIREHOUSE_CLI_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "firehouse" / "cli.toml"


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        fail(f"cannot read {path}: {exc}", EXIT_USAGE)


@dataclass(frozen=True)
class Target:
    url: str
    token: str | None
    config: Path


def resolve_target(url: str | None) -> Target:
    """--url, then FIREHOUSE_URL, then the config file, then the default; the token from
    FIREHOUSE_TOKEN, then the config file."""
    path = config_path()
    config = _read_config(path)
    chosen = url or os.environ.get("FIREHOUSE_URL") or config.get("url") or DEFAULT_URL
    token = os.environ.get("FIREHOUSE_TOKEN") or config.get("token") or None
    return Target(url=str(chosen).rstrip("/"), token=str(token) if token else None, config=path)


def _error_message(status: int, body: Any) -> str:
    """One line from the API's error shape, plus what it says can be done instead."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"the server answered {status}"
    message = str(error.get("message") or error.get("code") or status)
    details = error.get("details")
    lines = [message]
    if isinstance(details, dict):
        if "allowed_actions" in details:
            allowed = details["allowed_actions"] or ["none"]
            lines.append(f"allowed now: {', '.join(allowed)}")
        for item in details.get("missing") or []:
            lines.append(f"  open: {item.get('key')}  {item.get('label', '')}".rstrip())
    elif isinstance(details, list):
        for item in details:
            if isinstance(item, dict) and item.get("field") and item.get("message") != message:
                lines.append(f"  {item['field']}: {item.get('message', '')}")
    return "\n".join(lines)


def _send(
    method: str,
    url: str,
    *,
    params: dict[str, Any],
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> tuple[int, bytes]:
    """One request with the standard library: http.client starts in a fraction of the time
    httpx needs, and the CLI makes one or two requests per run."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(f"not an http(s) URL: {url}", EXIT_USAGE)
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    target = parts.path + (f"?{urlencode(params, doseq=True)}" if params else "")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers = {**headers, "Content-Type": "application/json"}
    try:
        connection.request(method, target, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        fail(f"cannot reach firehouse at {url.split('/api/')[0]}: {exc}", EXIT_UNREACHABLE)
    finally:
        connection.close()


class Api:
    """A tiny JSON client over the HTTP API that turns every failure into a clear exit."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        if self.target.token is None:
            fail(
                'no API token: set FIREHOUSE_TOKEN or `token = "..."` in '
                f"{self.target.config} (make one with `firehouse token create --user HANDLE "
                "--scope write` on the server, or in the web UI)",
                EXIT_USAGE,
            )
        status, raw = _send(
            method,
            f"{self.target.url}/api/v1{path}",
            params={k: v for k, v in (params or {}).items() if v not in (None, [], "")},
            body=body,
            headers={
                "Authorization": f"Bearer {self.target.token}",
                "Accept": "application/json",
                **(headers or {}),
            },
        )
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        if status >= 400:
            fail(_error_message(status, payload), EXIT_REFUSED)
        return payload


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
