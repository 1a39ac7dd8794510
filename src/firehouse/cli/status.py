"""`firehouse status ...`: the public status page from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The public status page.", no_args_is_help=True)


@app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Where to write the static files.")],
) -> None:
    """Write the whole public status page (HTML, CSS, Atom and RSS feeds, JSON) as static
    files, to host a copy anywhere (object storage, any static web server)."""
    from firehouse.app import make_database
    from firehouse.settings import Settings
    from firehouse.statuspage.export import export_site

    settings = Settings()
    db = make_database(settings)
    try:
        with db.session(write=False) as session:
            written = export_site(session, directory, public_url=f"{settings.public_url()}/status")
    finally:
        db.dispose()
    typer.echo(f"wrote {len(written)} files to {directory}")
