"""Alertmanager-style label matchers: `name=value`, `name!=value`, `name=~regex`, `name!~regex`.

Regexes are anchored, as in Alertmanager. A missing label matches as the empty string.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from firehouse.errors import Invalid

_MATCHER = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = _compiled(self.value).fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'

    def to_alertmanager(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.op in ("=~", "!~"),
            "isEqual": self.op in ("=", "=~"),
        }


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def parse_matcher(text: str, *, field: str = "matchers") -> Matcher:
    found = _MATCHER.match(text)
    if found is None:
        raise Invalid(f"not a matcher: {text!r} (use name=value, !=, =~ or !~)", field=field)
    name, op, value = found.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"')
    if op in ("=~", "!~"):
        try:
            _compiled(value)
        except re.error as exc:
            raise Invalid(f"bad regex in {text!r}: {exc}", field=field) from None
    return Matcher(name, op, value)


def parse_matchers(texts: list[str], *, field: str = "matchers") -> list[Matcher]:
    return [parse_matcher(t, field=f"{field}.{i}") for i, t in enumerate(texts)]


def from_alertmanager(raw: dict[str, Any], *, field: str = "matchers") -> Matcher:
    """A matcher in the JSON shape of Alertmanager's silences API."""
    name = raw.get("name")
    value = raw.get("value")
    if not isinstance(name, str) or not name or not isinstance(value, str):
        raise Invalid("a matcher needs a name and a value", field=field)
    regex = bool(raw.get("isRegex", False))
    equal = bool(raw.get("isEqual", True))
    op = ("=~" if equal else "!~") if regex else ("=" if equal else "!=")
    return parse_matcher(f'{name}{op}"{value}"', field=field)


def all_match(matchers: list[Matcher], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
