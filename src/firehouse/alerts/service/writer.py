"""The intake runtime: integration cache, rate limits, the open-alert cache that answers
exact repeats without touching the database, and the group-commit writer.

One writer thread per process takes every pending request off a queue, applies them all in one
transaction (a savepoint each, so one bad request sinks only itself), commits once, and only
then resolves each request's future: a 2xx always means committed, and concurrent requests
share one fsync. Exact repeats of open alerts are counted in memory and written in batches; if
the alert was resolved meanwhile (by a person, or another instance), the flush replays the
repeat as a trigger, so no state change is lost.
"""

from __future__ import annotations

import logging
import math
import queue
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.util import identity_key

from firehouse.alerts.models import Alert
from firehouse.alerts.service import integrations
from firehouse.alerts.service.inputs import AlertInput, IntegrationInfo, Outcome
from firehouse.alerts.service.intake import ALERTS, Batch, apply_inputs
from firehouse.db import Database

log = logging.getLogger("firehouse.alerts")

Key = tuple[int, str]
MAX_CACHE = 500_000


@dataclass
class _Request:
    info: IntegrationInfo
    inputs: list[AlertInput]
    future: Future[list[Outcome]]


@dataclass
class _Repeat:
    info: IntegrationInfo
    item: AlertInput
    digest: str
    count: int
    last_seen: datetime


@dataclass
class _Cached:
    digest: str
    alert_id: int | None
    status: str


class _Bucket:
    def __init__(self, per_minute: int, now: float) -> None:
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.rate = per_minute / 60.0
        self.at = now

    def take(self, n: int, now: float) -> int:
        """0 when taken, else the seconds to wait."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        need = min(float(n), self.capacity)
        if self.tokens >= need:
            self.tokens -= need
            return 0
        return max(1, math.ceil((need - self.tokens) / self.rate))


class Intake:
    def __init__(
        self,
        db: Database,
        *,
        max_batch_alerts: int = 5000,
        flush_interval: float = 1.0,
        key_ttl: float = 5.0,
    ) -> None:
        self.db = db
        self.max_batch_alerts = max_batch_alerts
        self.flush_interval = flush_interval
        self.key_ttl = key_ttl
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[IntegrationInfo, float]] = {}
        self._buckets: dict[int, _Bucket] = {}
        self._open: dict[Key, _Cached] = {}
        self._repeats: dict[Key, _Repeat] = {}
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._last_flush = time.monotonic()

    # -- lifecycle

    def start(self) -> None:
        if self._thread is None:
            # the writer thread holds the GIL in long stretches; hand it back to the event
            # loop more often, so repeats answered from memory are not kept waiting
            sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
            self._thread = threading.Thread(target=self._run, name="alert-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None
        self.flush_repeats()

    # -- the request path

    def cached_integration(self, key: str) -> IntegrationInfo | None:
        with self._lock:
            hit = self._keys.get(key)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def integration_for_key(self, key: str) -> IntegrationInfo | None:
        """Cached for a few seconds; a revocation through this process applies at once."""
        now = time.monotonic()
        with self._lock:
            hit = self._keys.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        with self.db.session(write=False) as session:
            found = integrations.authenticate(session, key)
            result = integrations.info(found) if found is not None else None
        if result is not None:
            with self._lock:
                if len(self._keys) > 10_000:
                    self._keys.clear()
                self._keys[key] = (result, now + self.key_ttl)
        return result

    def forget_integration(self, integration_id: int) -> None:
        with self._lock:
            for key in [k for k, v in self._keys.items() if v[0].id == integration_id]:
                del self._keys[key]
            self._buckets.pop(integration_id, None)

    def retry_after(self, info: IntegrationInfo, count: int) -> int:
        """0 when the integration's rate limit lets `count` alerts in now, else seconds."""
        if not info.rate_limit_per_minute:
            return 0
        now = self.db.clock.now().timestamp()
        with self._lock:
            bucket = self._buckets.get(info.id)
            if bucket is None or bucket.capacity != info.rate_limit_per_minute:
                bucket = self._buckets[info.id] = _Bucket(info.rate_limit_per_minute, now)
            return bucket.take(count, now)

    def submit(self, info: IntegrationInfo, inputs: list[AlertInput]) -> Future[list[Outcome]]:
        """Answer exact repeats from memory; queue the rest for the writer."""
        repeats, rest = self._split(info, inputs)
        if not rest:
            done: Future[list[Outcome]] = Future()
            done.set_result(repeats)
            return done
        future: Future[list[Outcome]] = Future()
        inner: Future[list[Outcome]] = Future()
        self._queue.put(_Request(info, rest, inner))
        if self._thread is None:
            pending = self._queue.get()
            assert pending is not None
            self._process([pending])

        def _merge(f: Future[list[Outcome]]) -> None:
            exc = f.exception()
            if exc is not None:
                future.set_exception(exc)
            else:
                future.set_result(repeats + f.result())

        inner.add_done_callback(_merge)
        return future

    def apply(self, info: IntegrationInfo, inputs: list[AlertInput]) -> list[Outcome]:
        return self.submit(info, inputs).result(timeout=60)

    def _split(
        self, info: IntegrationInfo, inputs: list[AlertInput]
    ) -> tuple[list[Outcome], list[AlertInput]]:
        digests = [i.content() for i in inputs]
        now = self.db.clock.now()
        with self._lock:
            cold = {
                i.fingerprint
                for i, d in zip(inputs, digests, strict=True)
                if i.action != "trigger"
                or (hit := self._open.get((info.id, i.fingerprint))) is None
                or hit.digest != d
            }
            repeats: list[Outcome] = []
            rest: list[AlertInput] = []
            for item, digest in zip(inputs, digests, strict=True):
                if item.fingerprint in cold:
                    rest.append(item)
                    self._open.pop((info.id, item.fingerprint), None)
                    continue
                key = (info.id, item.fingerprint)
                cached = self._open[key]
                pending = self._repeats.get(key)
                if pending is None or pending.digest != digest:
                    self._repeats[key] = _Repeat(info, item, digest, 1, now)
                else:
                    pending.count += 1
                    pending.last_seen = now
                repeats.append(
                    Outcome(item.fingerprint, cached.alert_id, cached.status, digest, True)
                )
        return repeats, rest

    # -- the writer

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.flush_interval)
            except queue.Empty:
                self._flush_safely()
                continue
            if first is None:
                return
            items = [first]
            size = len(first.inputs)
            stop = False
            while size < self.max_batch_alerts:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                items.append(more)
                size += len(more.inputs)
            self._process(items)
            if stop:
                return
            if time.monotonic() - self._last_flush >= self.flush_interval:
                self._flush_safely()

    def _process(self, items: list[_Request]) -> None:
        for attempt in range(3):
            try:
                results = self._apply_batch(items)
                break
            except OperationalError as exc:  # lock timeout or deadlock: try the batch again
                if attempt == 2:
                    for item in items:
                        item.future.set_exception(exc)
                    return
            except Exception as exc:
                log.exception("alert batch failed")
                for item in items:
                    item.future.set_exception(exc)
                return
        for item, result in zip(items, results, strict=True):
            if isinstance(result, BaseException):
                item.future.set_exception(result)
                continue
            self._remember(item.info, result)
            item.future.set_result(result)

    def _apply_batch(self, items: list[_Request]) -> list[list[Outcome] | BaseException]:
        try:
            return self._apply_together(items)
        except OperationalError:
            raise
        except Exception:  # some request is bad: again, each in its own savepoint
            return self._apply_apart(items)

    def _apply_together(self, items: list[_Request]) -> list[list[Outcome] | BaseException]:
        """Every request of one integration as one list of inputs, in arrival order: a few
        statements per batch instead of a few per request. Each statement hands the GIL to
        the event loop and waits to get it back, which is what bounds the writer."""
        by_integration: dict[int, list[int]] = {}
        for n, item in enumerate(items):
            by_integration.setdefault(item.info.id, []).append(n)
        results: list[list[Outcome] | BaseException] = [[] for _ in items]
        taken = self._take_repeats(items)
        try:
            with self.db.session() as session:
                batch = Batch.start(session)
                self._write_repeats(batch, taken, replay=False)
                for members in by_integration.values():
                    inputs = [i for n in members for i in items[n].inputs]
                    outcomes = apply_inputs(batch, items[members[0]].info, inputs)
                    start = 0
                    for n in members:
                        end = start + len(items[n].inputs)
                        results[n] = outcomes[start:end]
                        start = end
                batch.finish()
        except BaseException:
            self._restore_repeats(taken)
            raise
        return results

    def _apply_apart(self, items: list[_Request]) -> list[list[Outcome] | BaseException]:
        results: list[list[Outcome] | BaseException] = []
        written: list[_Repeat] = []
        try:
            with self.db.session() as session:
                batch = Batch.start(session)
                for item in items:
                    self._apply_one(batch, item, results, written)
                batch.finish()
        except BaseException:
            self._restore_repeats(written)
            raise
        return results

    def _apply_one(
        self,
        batch: Batch,
        item: _Request,
        results: list[list[Outcome] | BaseException],
        written: list[_Repeat],
    ) -> None:
        joined = {k: len(v) for k, v in batch.joined.items()}
        taken = self._take_repeats([item])
        try:
            with batch.session.begin_nested():
                self._write_repeats(batch, taken, replay=False)
                results.append(apply_inputs(batch, item.info, item.inputs))
            written += taken
        except OperationalError:
            self._restore_repeats(taken)
            raise
        except Exception as exc:
            self._restore_repeats(taken)
            log.exception("alert request failed")
            for k in list(batch.joined):
                del batch.joined[k][joined.get(k, 0) :]
            batch.groups.clear()
            batch.storms.clear()
            results.append(exc)

    def _take_repeats(self, items: list[_Request]) -> list[_Repeat]:
        """Repeats counted in memory for fingerprints these requests change: written first."""
        keys = {(item.info.id, i.fingerprint) for item in items for i in item.inputs}
        with self._lock:
            return [self._repeats.pop(k) for k in keys if k in self._repeats]

    def _restore_repeats(self, pending: list[_Repeat]) -> None:
        """Their transaction did not commit: count them again (newer content wins)."""
        with self._lock:
            for rep in pending:
                key = (rep.info.id, rep.item.fingerprint)
                now = self._repeats.setdefault(key, rep)
                if now is not rep and now.digest == rep.digest:
                    now.count += rep.count

    def _remember(self, info: IntegrationInfo, outcomes: Iterable[Outcome]) -> None:
        with self._lock:
            if len(self._open) > MAX_CACHE:
                self._open.clear()
            for o in outcomes:
                key = (info.id, o.fingerprint)
                if o.open and o.status in ("triggered", "acknowledged"):
                    self._open[key] = _Cached(o.content_hash, o.alert_id, o.status)
                else:
                    self._open.pop(key, None)

    def forget_alert(self, integration_id: int, fingerprint: str) -> None:
        """A person changed the alert: the next delivery must go to the database."""
        with self._lock:
            self._open.pop((integration_id, fingerprint), None)

    def _flush_safely(self) -> None:
        try:
            self.flush_repeats()
        except Exception:
            log.exception("writing alert repeats failed")

    def flush_repeats(self) -> None:
        """Write counted repeats; replay those whose alert is no longer open as it was."""
        with self._lock:
            pending = list(self._repeats.values())
            self._repeats.clear()
        self._last_flush = time.monotonic()
        if not pending:
            return
        with self.db.session() as session:
            batch = Batch.start(session)
            self._write_repeats(batch, pending, replay=True)
            batch.finish()

    def _write_repeats(self, batch: Batch, pending: list[_Repeat], *, replay: bool) -> None:
        """Two statements per integration, however many repeats: find which alerts are still
        open with the same content, then add the counts to those in one executemany."""
        session = batch.session
        by_integration: dict[int, list[_Repeat]] = {}
        for rep in pending:
            by_integration.setdefault(rep.info.id, []).append(rep)
        for integration_id, reps in by_integration.items():
            for start in range(0, len(reps), 500):
                chunk = reps[start : start + 500]
                current = {
                    fp: (alert_id, digest)
                    for alert_id, fp, digest in session.execute(
                        select(Alert.id, Alert.fingerprint, Alert.content_hash).where(
                            Alert.integration_id == integration_id,
                            Alert.fingerprint.in_([r.item.fingerprint for r in chunk]),
                            Alert.resolved_at.is_(None),
                        )
                    ).all()
                }
                updates = []
                stale = []
                for rep in chunk:
                    found = current.get(rep.item.fingerprint)
                    if found is not None and found[1] == rep.digest:
                        updates.append(
                            {"alert_id": found[0], "n": rep.count, "seen": rep.last_seen}
                        )
                    else:
                        stale.append(rep)
                if updates:
                    session.execute(
                        update(ALERTS)
                        .where(ALERTS.c.id == bindparam("alert_id"))
                        .values(
                            repeat_count=ALERTS.c.repeat_count + bindparam("n"),
                            last_seen_at=bindparam("seen"),
                        ),
                        updates,
                    )
                    for row in updates:
                        loaded = session.identity_map.get(identity_key(Alert, row["alert_id"]))
                        if loaded is not None:
                            session.expire(loaded, ["repeat_count", "last_seen_at"])
                if replay:
                    for rep in stale:
                        self._remember(rep.info, apply_inputs(batch, rep.info, [rep.item]))
