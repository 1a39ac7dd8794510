"""Parsers: each sender's JSON into normalised AlertInputs, or a FormatError naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson

from firehouse.alerts.service.inputs import capped

__all__ = ["capped"]

# Alertmanager and Prometheus send this for "no end" (Go's zero time)
GO_ZERO_TIME_YEAR = 1


class FormatError(Exception):
    """The body is not what this sender sends; `field` names where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def load_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass  # the standard parser decides: it also takes NaN and huge integers, and says why not
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError("body", f"malformed JSON: {exc}") from None


def obj(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(field, "must be an object")
    return value


def opt_obj(value: Any, field: str) -> dict[str, Any]:
    return {} if value is None else obj(value, field)


def text(value: Any, field: str, *, required: bool = False, limit: int = 100_000) -> str:
    if value is None:
        if required:
            raise FormatError(field, "is required")
        return ""
    if not isinstance(value, str):
        raise FormatError(field, "must be a string")
    if required and not value.strip():
        raise FormatError(field, "must not be empty")
    if len(value) > limit:
        raise FormatError(field, f"is longer than {limit} characters")
    return value


def labels(value: Any, field: str, *, required: bool = False) -> dict[str, str]:
    if value is None and not required:
        return {}
    found = obj(value, field)
    if {type(v) for v in found.values()} - {str}:  # one pass in C for the common case
        for name, v in found.items():
            if not isinstance(v, str):
                raise FormatError(f"{field}.{name}", "must be a string")
    return dict(found)


def timestamp(value: Any, field: str) -> datetime | None:
    """RFC 3339; None for absent or Go's zero time."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise FormatError(field, "must be an RFC 3339 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FormatError(field, "must be an RFC 3339 time") from None
    if parsed.year <= GO_ZERO_TIME_YEAR:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def links_of(value: Any, field: str) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(field, "must be a list")
    found = []
    for i, link in enumerate(value):
        item = obj(link, f"{field}.{i}")
        href = text(item.get("href"), f"{field}.{i}.href", required=True, limit=2000)
        found.append({"href": href, "text": text(item.get("text"), f"{field}.{i}.text")})
    return found
