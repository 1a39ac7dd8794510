"""What every sender format is parsed into, and the cached view of an integration."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import orjson

from firehouse.alerts.service.fingerprint import content_hash

Action = Literal["trigger", "acknowledge", "resolve"]
RAW_LIMIT = 16 * 1024  # bytes of the sender's payload kept with each alert


def capped(raw: Any) -> Any:
    """The sender's payload, kept when small enough; else a note of its size."""
    try:
        size = len(orjson.dumps(raw, default=str))
    except TypeError:  # integers past 64 bits, which orjson refuses
        size = len(json.dumps(raw, separators=(",", ":"), default=str).encode())
    if size <= RAW_LIMIT:
        return raw
    return {"truncated": True, "bytes": size}


@dataclass(slots=True)
class AlertInput:
    """One alert event from any sender, normalised. Never changed once built (not frozen:
    a frozen dataclass costs a few microseconds more to build, and a storm builds many)."""

    fingerprint: str
    action: Action
    summary: str = ""
    sender_severity: str = ""
    source: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    starts_at: datetime | None = None
    generator_url: str = ""
    sender_group_key: str = ""
    raw: Any = None  # capped when stored: exact repeats never pay for measuring it
    _digest: str = field(default="", init=False, repr=False, compare=False)

    def content(self) -> str:
        """Hash of what a person would see change; repeats with the same hash are no news.
        Computed once: the request path and the writer both ask."""
        if not self._digest:
            self._digest = self._content_hash()
        return self._digest

    def redelivered(self, *, action: Action, sender_group_key: str, raw: Any) -> AlertInput:
        """This alert as delivered again: the same content, with these; its digest is kept
        when the action is the same (the group key and payload are not part of it)."""
        again = AlertInput(
            self.fingerprint,
            action,
            self.summary,
            self.sender_severity,
            self.source,
            self.labels,
            self.annotations,
            self.links,
            self.starts_at,
            self.generator_url,
            sender_group_key,
            raw,
        )
        if action == self.action:
            again._digest = self._digest
        return again

    def _content_hash(self) -> str:
        return content_hash(
            self.action,
            self.summary,
            self.sender_severity,
            self.source,
            self.labels,
            self.annotations,
            self.links,
            self.generator_url,
        )


@dataclass(frozen=True)
class IntegrationInfo:
    """An integration as the request path needs it (cached: no database read per request)."""

    id: int
    name: str
    type: str
    team_id: int | None
    service_id: int | None
    severity_map: dict[str, str]
    default_severity: str
    rate_limit_per_minute: int | None
    storm_threshold: int | None

    def severity_for(self, sender_severity: str) -> str:
        if not sender_severity:
            return self.default_severity
        return (
            self.severity_map.get(sender_severity)
            or self.severity_map.get(sender_severity.lower())
            or DEFAULT_SEVERITY_MAP.get(sender_severity.lower())
            or self.default_severity
        )


DEFAULT_SEVERITY_MAP = {
    "critical": "SEV2",
    "page": "SEV2",
    "error": "SEV3",
    "high": "SEV3",
    "warning": "SEV4",
    "info": "SEV4",
    "low": "SEV4",
    "p1": "SEV1",
    "p2": "SEV2",
    "p3": "SEV3",
    "p4": "SEV4",
    "p5": "SEV4",
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one input: the alert it landed on, and its status after."""

    fingerprint: str
    alert_id: int | None
    status: str | None
    content_hash: str
    open: bool
