"""The `firehouse` command. Heavy imports happen inside commands: responders type these under
stress, so `firehouse incident list` must start fast."""

from __future__ import annotations

import typer

from firehouse.cli import admin, demo, incident, integration, status, worker

app = typer.Typer(
    name="firehouse",
    help="Self-hosted incident management.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
admin.register(app)
demo.register(app)
worker.register(app)
app.add_typer(incident.app, name="incident")
app.add_typer(integration.app, name="integration")
app.add_typer(status.app, name="status")


def main() -> None:
    app()
