"""Readable terminal output for the responder CLI (rich tables). Imported only when printing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STATUS_STYLE = {
    "triggered": "bold red",
    "acknowledged": "yellow",
    "mitigated": "cyan",
    "resolved": "green",
    "closed": "dim",
    "canceled": "dim",
    "merged": "dim",
}
MILESTONES = ("detected", "declared", "acknowledged", "mitigated", "resolved", "closed", "canceled")


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def when(value: str | None) -> str:
    if not value:
        return "-"
    moment = datetime.fromisoformat(value)
    return moment.strftime("%Y-%m-%d %H:%M") + ("Z" if moment.utcoffset() is not None else "")


def _status(value: str) -> str:
    return f"[{STATUS_STYLE.get(value, '')}]{value}[/]"


def _manager(incident: dict[str, Any]) -> str:
    for holder in incident.get("roles", []):
        if holder["role"] == "incident_manager":
            return str(holder["user"]["handle"])
    return "-"


def incident_table(items: list[dict[str, Any]], *, more: bool, total: int | None) -> None:
    out = console()
    if not items:
        out.print("No incidents match.")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("REF", "SEV", "STATUS", "TITLE", "MANAGER", "DECLARED"):
        table.add_column(name, no_wrap=name != "TITLE", overflow="fold")
    for i in items:
        table.add_row(
            i["reference"],
            i["severity"]["key"],
            _status(i["status"]),
            escape(i["title"]) + (" [dim](drill)[/]" if i.get("kind") == "drill" else ""),
            _manager(i),
            when(i["milestones"]["declared_at"]),
        )
    out.print(table)
    shown = f"{len(items)} shown" + (f" of {total}" if total is not None else "")
    if more:
        shown += "; there are more (raise --limit or filter)"
    out.print(f"[dim]{shown}[/]")


def incident_detail(incident: dict[str, Any], timeline: list[dict[str, Any]]) -> None:
    out = console()
    i = incident
    out.print(f"[bold]{i['reference']}[/]  {escape(i['title'])}")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("status", _status(i["status"]))
    facts.add_row("severity", f"{i['severity']['key']} ({i['severity']['name']})")
    facts.add_row("type", i["type"]["key"] + (" (restricted)" if i["type"]["restricted"] else ""))
    facts.add_row("kind", i["kind"])
    if i.get("team"):
        facts.add_row("team", i["team"])
    if i.get("services"):
        facts.add_row("services", ", ".join(i["services"]))
    impact = i["impact"]
    facts.add_row(
        "impact",
        ("customer-facing" if impact["customer_facing"] else "internal")
        + (f", {impact['users_affected']} users" if impact["users_affected"] is not None else ""),
    )
    if i.get("merged_into"):
        facts.add_row("merged into", i["merged_into"])
    for name in MILESTONES:
        value = i["milestones"].get(f"{name}_at")
        if value:
            facts.add_row(name, when(value))
    for holder in i.get("roles", []):
        facts.add_row(holder["role"].replace("_", " "), holder["user"]["handle"])
    for name, link in sorted(i.get("links", {}).items()):
        facts.add_row(name, escape(link))
    facts.add_row("next", ", ".join(i["allowed_actions"]) or "-")
    out.print(facts)
    if i.get("summary"):
        out.print()
        out.print(i["summary"], markup=False)
    if timeline:
        out.print()
        table = Table(box=None, pad_edge=False, header_style="bold", title_justify="left")
        table.add_column("WHEN", no_wrap=True)
        table.add_column("WHO", no_wrap=True)
        table.add_column("WHAT", overflow="fold")
        for entry in timeline:
            author = entry["author"]["handle"] if entry.get("author") else "firehouse"
            body = escape(entry["body"])
            table.add_row(
                when(entry["occurred_at"]), author, ("* " if entry["pinned"] else "") + body
            )
        out.print(table)


def done(incident: dict[str, Any], verb: str) -> None:
    console().print(
        f"{incident['reference']} {verb}: now {_status(incident['status'])}"
        f"  [dim](next: {', '.join(incident['allowed_actions']) or 'nothing'})[/]"
    )
