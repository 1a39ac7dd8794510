"""Print the whole CLI reference in Markdown, from the `--help` of every command and group:
`python -m firehouse.cli.reference > docs/cli.md` (`make docs-cli`). A test checks the file
matches, so the reference cannot drift from the commands."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

import typer
import typer.main
from typer import rich_utils

from firehouse.cli import app

WIDTH = 100
HEADER = """# CLI reference

Generated from `--help` by `python -m firehouse.cli.reference` (`make docs-cli`); do not edit
by hand. A test fails when a command changes and this page is not regenerated.

`firehouse` has two kinds of commands: admin commands (`serve`, `db`, `user`, `token`, `audit`,
`demo`, ...) work directly on the database named by `FIREHOUSE_DATABASE_URL`, no server needed;
`firehouse incident ...` talks to a running server over HTTP with an API token
(`FIREHOUSE_URL` and `FIREHOUSE_TOKEN`, or `url` and `token` in
`~/.config/firehouse/cli.toml`).
"""


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    yield path
    if hasattr(command, "list_commands"):  # a group
        context = typer.Context(command)
        for name in sorted(command.list_commands(context)):
            sub = command.get_command(context, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, (*path, name))


def _help(root: Any, path: tuple[str, ...]) -> str:
    """The exact text `firehouse <path> --help` prints, at a fixed width and without colour."""
    buffer = io.StringIO()
    with _plain_rich(), contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
        root.main([*path, "--help"], prog_name="firehouse", standalone_mode=True)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n")


@contextlib.contextmanager
def _plain_rich() -> Iterator[None]:
    saved = (rich_utils.MAX_WIDTH, rich_utils.COLOR_SYSTEM, rich_utils.FORCE_TERMINAL)
    rich_utils.MAX_WIDTH, rich_utils.COLOR_SYSTEM, rich_utils.FORCE_TERMINAL = WIDTH, None, False
    try:
        yield
    finally:
        rich_utils.MAX_WIDTH, rich_utils.COLOR_SYSTEM, rich_utils.FORCE_TERMINAL = saved


def render(cli: typer.Typer = app) -> str:
    root = typer.main.get_command(cli)
    sections = [HEADER]
    for path in _walk(root, ()):
        title = " ".join(("firehouse", *path))
        sections.append(
            f"{'#' * min(len(path) + 2, 4)} `{title}`\n\n```\n{_help(root, path)}\n```\n"
        )
    return "\n".join(sections)


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
