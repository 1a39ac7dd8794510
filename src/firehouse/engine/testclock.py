"""A clock for tests of a running process (FIREHOUSE_TEST_CLOCK_FILE); never for production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


class FileOffsetClock:
    """Tests only (FIREHOUSE_TEST_CLOCK_FILE): the real time plus the seconds in a file, read at
    every call, so a test can fast-forward a running worker without sleeping."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def now(self) -> datetime:
        try:
            offset = float(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=offset)
