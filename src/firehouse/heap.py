"""The garbage collector's settings for long-running processes (`firehouse serve` and its
intake writer process).

Two things cost the default settings tens of ms at a time under alert load:

- full collections walk every tracked object that is not frozen, and a process that has just
  started holds hundreds of thousands (modules, mappers, routes, templates) that live forever;
- collections start every 700 new container objects, and each alert request makes hundreds
  (parsed JSON, inputs, outcomes), so the youngest generation was collected hundreds of times
  a second and the oldest, walking the caches too, every half second or so.

So start-up's objects are frozen out of collection, and collections start every 10,000 new
objects instead of 700: measured during `bench/ingest.py`'s batch load (docs/performance.md),
time in the collector fell from about a fifth of the serving thread's (2.1 s in 9 s, full
collections 1.4 s of it) to about a tenth (0.9 s, one full collection). Memory held by
cyclic garbage between collections stays small (10,000 objects at most in the youngest
generation)."""

from __future__ import annotations

import gc

YOUNGEST_THRESHOLD = 10_000


def freeze_startup_heap() -> None:
    """Keep what start-up built out of the collector's passes and collect less often. Called
    once, before serving. No collection first: the little garbage start-up leaves costs less
    memory than a full pass costs start-up time. Collection resumes if start-up had switched
    it off."""
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_THRESHOLD, middle, oldest)
    gc.enable()
