"""Responder commands that talk to a running firehouse over HTTP."""

from __future__ import annotations

import typer

app = typer.Typer(help="Work with incidents on a running server.", no_args_is_help=True)
