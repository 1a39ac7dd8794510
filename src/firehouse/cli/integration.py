"""`firehouse integration create|list`: alert integrations, directly on the database."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

app = typer.Typer(help="Alert integrations (where monitoring sends alerts).", no_args_is_help=True)


@app.command("create")
def create(
    type: Annotated[
        str, typer.Option("--type", help="alertmanager, pagerduty, opsgenie, grafana or generic.")
    ],
    name: Annotated[str, typer.Option(help="A unique name, e.g. prometheus-prod.")],
    team: Annotated[str | None, typer.Option(help="Slug of the owning team.")] = None,
    service: Annotated[str | None, typer.Option(help="Slug of the service it watches.")] = None,
) -> None:
    """Create an integration and print only its key on stdout (shown once)."""
    from firehouse.actor import Actor
    from firehouse.alerts import service as alerts
    from firehouse.app import make_database, prepare_database
    from firehouse.errors import AppError
    from firehouse.settings import Settings

    settings = Settings()
    db = make_database(settings)
    prepare_database(db, settings)
    try:
        with db.session() as session:
            created = alerts.create_integration(
                session,
                actor=Actor.system("cli"),
                name=name,
                type=type,
                team=team,
                service=service,
            )
            key = created.key
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    sys.stdout.write(key + "\n")


@app.command("list")
def list_() -> None:
    """List integrations: id, type, name, key hint, state."""
    from firehouse.alerts import service as alerts
    from firehouse.app import make_database
    from firehouse.settings import Settings

    db = make_database(Settings())
    try:
        with db.session(write=False) as session:
            rows = [
                f"{i.id}\t{i.type.value}\t{i.name}\t{i.key_hint}...\t"
                + ("revoked" if i.revoked_at else "active")
                for i in alerts.list_integrations(session)
            ]
    finally:
        db.dispose()
    for row in rows:
        typer.echo(row)
