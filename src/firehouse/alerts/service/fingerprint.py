"""Alert identity exactly as Prometheus computes it, so one alert has one id in both systems.

prometheus/common model/signature.go `labelSetToFingerprint`: FNV-1a 64 over the label names in
sorted order, each name and value followed by the separator byte 0xFF; "%016x" to print it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

FNV_OFFSET_64 = 0xCBF29CE484222325
FNV_PRIME_64 = 0x100000001B3
SEPARATOR = 0xFF
MASK_64 = 0xFFFFFFFFFFFFFFFF


MAX_REMEMBERED = 100_000
_remembered: dict[tuple[tuple[str, Any], ...], str] = {}


def _fnv(data: bytes) -> int:
    value = FNV_OFFSET_64
    for byte in data:
        value = ((value ^ byte) * FNV_PRIME_64) & MASK_64
    return value


def label_fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint of a label set, as 16 lowercase hex digits."""
    key = tuple(sorted(labels.items()))
    found = _remembered.get(key)
    if found is None:
        separator = bytes([SEPARATOR])
        data = b"".join(str(n).encode() + separator + str(v).encode() + separator for n, v in key)
        found = f"{_fnv(data):016x}"
        # the same label sets arrive again and again (every repeat); the byte loop is slow
        if len(_remembered) >= MAX_REMEMBERED:
            _remembered.clear()
        _remembered[key] = found
    return found


def content_hash(*parts: Any) -> str:
    """A short stable hash of an alert's content, to tell an exact repeat from a change.

    The bytes hashed are compact, key-sorted JSON with non-ASCII escaped; orjson writes the
    same bytes for ASCII content several times faster, and anything else takes the slow path."""
    try:
        data = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:  # non-string keys or integers past 64 bits
        data = b""
    if not data or not data.isascii():
        data = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()
