"""docs/cli.md is generated from `--help`; it must match the commands as they are now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from firehouse.cli import reference

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def test_docs_cli_matches_the_help_of_every_command() -> None:
    current = reference.render()
    assert DOCS.read_text() == current, "docs/cli.md is stale: run `make docs-cli`"


def test_the_reference_covers_every_command_and_group() -> None:
    text = reference.render()
    for title in (
        "`firehouse`",
        "`firehouse serve`",
        "`firehouse token create`",
        "`firehouse incident`",
        "`firehouse incident declare`",
        "`firehouse incident assign`",
    ):
        assert f" {title}\n" in text
    assert "Usage: firehouse incident close [OPTIONS]" in text
    assert "\x1b[" not in text  # no terminal colours in a document


def test_the_module_prints_the_reference() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "firehouse.cli.reference"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert printed.stdout == reference.render()
