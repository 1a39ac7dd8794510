"""Responder commands that talk to a running firehouse over HTTP.

The server comes from --url, FIREHOUSE_URL or `url` in ~/.config/firehouse/cli.toml (default
http://127.0.0.1:8000); the API token from FIREHOUSE_TOKEN or `token` in that file."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from firehouse.cli.client import EXIT_USAGE, Api, fail, print_json, resolve_target

EPILOG = (
    "Exit codes: 0 done; 1 the server refused (the reason is printed); 2 bad usage or no token; "
    "3 the server could not be reached."
)
app = typer.Typer(
    help="Work with incidents on a running server (over HTTP, with an API token).",
    no_args_is_help=True,
    epilog=EPILOG,
)
ROLES = (
    "incident_manager",
    "communications_lead",
    "technical_lead",
    "scribe",
    "retrospective_leader",
    "on_call_engineer",
)
ROLE_ALIASES = {
    "im": "incident_manager",
    "commander": "incident_manager",
    "manager": "incident_manager",
    "comms": "communications_lead",
    "tech": "technical_lead",
    "tech_lead": "technical_lead",
    "retro": "retrospective_leader",
    "oncall": "on_call_engineer",
    "on_call": "on_call_engineer",
}

Json = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]
Ref = Annotated[str, typer.Argument(help="The incident, e.g. INC-42 or 42.", show_default=False)]
Reason = Annotated[str, typer.Option("--reason", "-r", help="Why; recorded on the timeline.")]


@app.callback()
def connect(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Server URL; else FIREHOUSE_URL, else `url` in ~/.config/firehouse/cli.toml, "
            "else http://127.0.0.1:8000.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Work with incidents on a running server (over HTTP, with an API token)."""
    ctx.obj = resolve_target(url)


def _api(ctx: typer.Context) -> Api:
    return Api(ctx.obj)


def _path(ref: str, suffix: str = "") -> str:
    return f"/incidents/{quote(ref.strip(), safe='')}{suffix}"


@app.command()
def declare(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What is wrong, in a line.", show_default=False)],
    severity: Annotated[str, typer.Option("--severity", "-s", help="SEV1..SEV4.")] = "SEV3",
    type_: Annotated[
        str, typer.Option("--type", "-t", help="operational, security, performance, deployment.")
    ] = "operational",
    summary: Annotated[str, typer.Option(help="More detail (Markdown).")] = "",
    service: Annotated[
        list[str] | None,
        typer.Option("--service", metavar="SLUG", help="Affected service slug (repeatable)."),
    ] = None,
    team: Annotated[str | None, typer.Option(help="Owning team slug.")] = None,
    manager: Annotated[
        str | None, typer.Option(help="Incident manager's handle; you when omitted.")
    ] = None,
    customer_facing: Annotated[
        bool, typer.Option("--customer-facing", help="Customers notice it.")
    ] = False,
    drill: Annotated[bool, typer.Option("--drill", help="A practice incident.")] = False,
    json: Json = False,
) -> None:
    """Declare an incident; you become its incident manager unless --manager says otherwise."""
    body: dict[str, Any] = {
        "title": title,
        "severity": severity,
        "type": type_,
        "summary": summary,
        "services": service or [],
        "team": team,
        "incident_manager": manager,
        "kind": "drill" if drill else "real",
        "impact": {"customer_facing": customer_facing},
    }
    incident = _api(ctx).call("POST", "/incidents", body=body)
    if json:
        print_json(incident)
        return
    from firehouse.cli import render

    render.done(incident, f"declared ({incident['severity']['key']})")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status", metavar="STATUS", help="triggered, acknowledged, ... (repeatable)."
        ),
    ] = None,
    open_: Annotated[
        bool, typer.Option("--open", help="Only triggered, acknowledged or mitigated.")
    ] = False,
    severity: Annotated[
        list[str] | None,
        typer.Option("--severity", "-s", metavar="SEV", help="SEV1.. (repeatable)."),
    ] = None,
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type", "-t", metavar="TYPE", help="operational, security, ... (repeatable)."
        ),
    ] = None,
    service: Annotated[
        list[str] | None,
        typer.Option("--service", metavar="SLUG", help="Affected service (repeatable)."),
    ] = None,
    team: Annotated[
        list[str] | None, typer.Option("--team", metavar="SLUG", help="Owning team (repeatable).")
    ] = None,
    query: Annotated[
        str | None,
        typer.Option("--query", "-q", metavar="TEXT", help="Text in title or summary, or INC-n."),
    ] = None,
    sort: Annotated[
        str, typer.Option(help="declared_at, updated_at, number or severity; - for descending.")
    ] = "-declared_at",
    limit: Annotated[int, typer.Option(min=1, max=200, help="At most this many.")] = 20,
    json: Json = False,
) -> None:
    """List incidents, newest first."""
    statuses = list(status or [])
    if open_:
        statuses += ["triggered", "acknowledged", "mitigated"]
    page = _api(ctx).call(
        "GET",
        "/incidents",
        params={
            "status": statuses,
            "severity": severity or [],
            "type": type_ or [],
            "service": service or [],
            "team": team or [],
            "q": query,
            "sort": sort,
            "limit": limit,
        },
    )
    if json:
        print_json(page)
        return
    from firehouse.cli import render

    render.incident_table(page["items"], more=bool(page["next_cursor"]), total=page.get("total"))


@app.command()
def show(
    ctx: typer.Context,
    ref: Ref,
    entries: Annotated[
        int, typer.Option("--timeline", min=0, help="Show this many latest timeline entries.")
    ] = 15,
    json: Json = False,
) -> None:
    """Show an incident: fields, milestones, roles, and the latest timeline entries."""
    api = _api(ctx)
    incident = api.call("GET", _path(ref))
    timeline = api.call("GET", _path(ref, "/timeline")) if entries else []
    if json:
        print_json({**incident, "timeline": timeline})
        return
    from firehouse.cli import render

    render.incident_detail(incident, timeline[-entries:] if entries else [])


def _act(ctx: typer.Context, ref: str, action: str, verb: str, reason: str, json: bool) -> None:
    incident = _api(ctx).call("POST", _path(ref, f"/{action}"), body={"reason": reason})
    if json:
        print_json(incident)
        return
    from firehouse.cli import render

    render.done(incident, verb)


@app.command()
def ack(ctx: typer.Context, ref: Ref, reason: Reason = "", json: Json = False) -> None:
    """Acknowledge: someone is on it."""
    _act(ctx, ref, "acknowledge", "acknowledged", reason, json)


@app.command()
def mitigate(ctx: typer.Context, ref: Ref, reason: Reason = "", json: Json = False) -> None:
    """Mark the impact as mitigated (the cause may remain)."""
    _act(ctx, ref, "mitigate", "mitigated", reason, json)


@app.command()
def resolve(ctx: typer.Context, ref: Ref, reason: Reason = "", json: Json = False) -> None:
    """Mark the incident resolved."""
    _act(ctx, ref, "resolve", "resolved", reason, json)


@app.command()
def close(ctx: typer.Context, ref: Ref, reason: Reason = "", json: Json = False) -> None:
    """Close a resolved incident (its incident manager, or a global incident_manager/admin;
    the closure checklist must be complete: open items are listed)."""
    _act(ctx, ref, "close", "closed", reason, json)


@app.command()
def reopen(
    ctx: typer.Context,
    ref: Ref,
    reason: Annotated[
        str, typer.Option("--reason", "-r", help="Why it is reopened (required).")
    ] = "",
    json: Json = False,
) -> None:
    """Reopen a mitigated or resolved incident (back to acknowledged), with a reason."""
    if not reason.strip():
        fail("say why with --reason", EXIT_USAGE)
    _act(ctx, ref, "reopen", "reopened", reason, json)


@app.command()
def cancel(ctx: typer.Context, ref: Ref, reason: Reason = "", json: Json = False) -> None:
    """Cancel an incident declared by mistake."""
    _act(ctx, ref, "cancel", "canceled", reason, json)


@app.command()
def note(
    ctx: typer.Context,
    ref: Ref,
    text: Annotated[str, typer.Argument(help="The note, in Markdown.", show_default=False)],
    pin: Annotated[bool, typer.Option("--pin", help="Pin it for the postmortem.")] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help="When it happened, with a zone: 2026-03-01T09:30:00Z (backdate)."
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Add a note to the timeline."""
    body: dict[str, Any] = {"body": text, "pinned": pin}
    if at:
        body["occurred_at"] = at
    entry = _api(ctx).call("POST", _path(ref, "/timeline"), body=body)
    if json:
        print_json(entry)
        return
    typer.echo(f"{entry['incident']}: note added" + (" (pinned)" if pin else ""))


@app.command()
def assign(
    ctx: typer.Context,
    ref: Ref,
    role: Annotated[
        str,
        typer.Argument(
            help="incident_manager (im), communications_lead (comms), technical_lead (tech), "
            "scribe, retrospective_leader (retro), on_call_engineer (oncall).",
            show_default=False,
        ),
    ],
    handle: Annotated[str, typer.Argument(help="Who takes the role.", show_default=False)],
    json: Json = False,
) -> None:
    """Give a role on the incident to someone (ends the previous holder's stint)."""
    key = role.strip().lower().replace("-", "_")
    key = ROLE_ALIASES.get(key, key)
    if key not in ROLES:
        fail(f"unknown role {role!r}; one of {', '.join(ROLES)}", EXIT_USAGE)
    roles = _api(ctx).call("PUT", _path(ref, f"/roles/{key}"), body={"user": handle})
    if json:
        print_json(roles)
        return
    typer.echo(f"{ref}: {key.replace('_', ' ')} is now {handle}")
