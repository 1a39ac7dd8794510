"""Alert identity exactly as Prometheus computes it, so one alert has one id in both systems.

prometheus/common model/signature.go `labelSetToFingerprint`: FNV-1a 64 over the label names in
sorted order, each name and value followed by the separator byte 0xFF; "%016x" to print it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

FNV_OFFSET_64 = 0xCBF29CE484222325
FNV_PRIME_64 = 0x100000001B3
SEPARATOR = 0xFF
MASK_64 = 0xFFFFFFFFFFFFFFFF


def _fnv_add(value: int, data: bytes) -> int:
    for byte in data:
        value ^= byte
        value = (value * FNV_PRIME_64) & MASK_64
    return value


def label_fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint of a label set, as 16 lowercase hex digits."""
    value = FNV_OFFSET_64
    separator = bytes([SEPARATOR])
    for name in sorted(labels):
        value = _fnv_add(value, name.encode())
        value = _fnv_add(value, separator)
        value = _fnv_add(value, str(labels[name]).encode())
        value = _fnv_add(value, separator)
    return f"{value:016x}"


def content_hash(*parts: Any) -> str:
    """A short stable hash of an alert's content, to tell an exact repeat from a change."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
