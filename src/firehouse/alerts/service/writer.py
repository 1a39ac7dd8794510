"""The intake runtime: integration cache, rate limits, the open-alert cache that answers
exact repeats without touching the database, and the group-commit writer.

One writer thread per process takes every pending request off a queue and hands them all to
the committer, which applies them in one transaction (a savepoint each, so one bad request sinks
only itself) and commits once; only then is each request's future resolved: a 2xx always means
committed, and concurrent requests share one fsync. The committer runs in this thread, or in the
intake writer process (`writer_process`) so that its work does not take this process's GIL from
the event loop; that one is pipelined (the next batch is sent while it applies one, at most
`pipeline_depth` in flight, settled in the order they were sent). Exact repeats of open alerts
are counted in memory and written in batches; if the alert was resolved meanwhile (by a person,
or another instance), the flush replays the repeat as a trigger, so no state change is lost.
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
from typing import Protocol, runtime_checkable

from sqlalchemy.exc import OperationalError

from firehouse.alerts.service import integrations
from firehouse.alerts.service.committer import Committer, Repeat, Replayed, Result, Submission
from firehouse.alerts.service.inputs import AlertInput, IntegrationInfo, Outcome
from firehouse.db import Database

log = logging.getLogger("firehouse.alerts")

Key = tuple[int, str]
MAX_CACHE = 500_000


class CommitterLike(Protocol):
    def apply(self, submissions: list[Submission]) -> list[Result]: ...

    def write_repeats(self, pending: list[Repeat]) -> Replayed: ...

    def close(self) -> None: ...


@runtime_checkable
class Pipelined(Protocol):
    """A committer that takes the next batch while it still applies one (`WriterProcess`):
    batches are applied, and their futures settled, in the order they were sent."""

    def apply_async(self, submissions: list[Submission]) -> Future[list[Result]]: ...


class RetryBatch(Exception):
    """The whole batch could not be written this time (a lock timeout, say): try it again."""


@dataclass
class _Request:
    info: IntegrationInfo
    inputs: list[AlertInput]
    future: Future[list[Outcome]]


# An open alert as the last commit left it: (content digest, alert id, status). A plain tuple
# of plain values, as its key is: the garbage collector stops tracking such tuples, and this
# cache holds up to MAX_CACHE of them (as objects they were 22,000 of the 76,000 objects each
# full collection walked during the batch benchmark).
_Cached = tuple[str, int | None, str]


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
        committer: CommitterLike | None = None,
        max_batch_alerts: int = 5000,
        flush_interval: float = 1.0,
        key_ttl: float = 5.0,
        pipeline_depth: int = 2,
    ) -> None:
        self.db = db
        self.committer: CommitterLike = committer or Committer(db)
        self._pipelined = self.committer if isinstance(self.committer, Pipelined) else None
        # batches sent and not yet settled; one more than one keeps a writer process busy
        self.pipeline_depth = pipeline_depth if self._pipelined is not None else 1
        self._in_flight = threading.BoundedSemaphore(self.pipeline_depth)
        self.max_batch_alerts = max_batch_alerts
        self.flush_interval = flush_interval
        self.key_ttl = key_ttl
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[IntegrationInfo, float]] = {}
        self._buckets: dict[int, _Bucket] = {}
        self._open: dict[Key, _Cached] = {}
        self._repeats: dict[Key, Repeat] = {}
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._last_flush = time.monotonic()

    # -- lifecycle

    def start(self) -> None:
        if self._thread is None:
            # the writer thread holds the GIL in stretches; hand it back to the event loop
            # more often, so repeats answered from memory are not kept waiting
            sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
            self._thread = threading.Thread(target=self._run, name="alert-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None
        try:
            self.flush_repeats()
        finally:
            self.committer.close()

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

    def submit(
        self, info: IntegrationInfo, inputs: list[AlertInput]
    ) -> tuple[list[Outcome], Future[list[Outcome]] | None]:
        """Answer exact repeats from memory, at once; queue the rest for the writer. Returns the
        repeats' outcomes and, when anything was queued, a future of the others' (set once they
        are committed)."""
        repeats, rest = self._split(info, inputs)
        if not rest:
            return repeats, None
        future: Future[list[Outcome]] = Future()
        request = _Request(info, rest, future)
        if self._thread is None:  # no writer thread: this caller sends its own batch
            self._process([request])
        else:
            self._queue.put(request)
        return repeats, future

    def apply(self, info: IntegrationInfo, inputs: list[AlertInput]) -> list[Outcome]:
        repeats, pending = self.submit(info, inputs)
        return repeats if pending is None else repeats + pending.result(timeout=60)

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
                or hit[0] != d
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
                    self._repeats[key] = Repeat(info, item, digest, 1, now)
                else:
                    pending.count += 1
                    pending.last_seen = now
                repeats.append(Outcome(item.fingerprint, cached[1], cached[2], digest, True))
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
                self._drain()
                return
            self._in_flight.acquire()  # then take what is queued: it all joins this batch
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
            self._dispatch(items)
            if stop:
                self._drain()
                return
            if time.monotonic() - self._last_flush >= self.flush_interval:
                self._flush_safely()

    def _drain(self) -> None:
        """Wait until every batch sent is settled."""
        for _ in range(self.pipeline_depth):
            self._in_flight.acquire()
        for _ in range(self.pipeline_depth):
            self._in_flight.release()

    def _process(self, items: list[_Request]) -> None:
        """Send a batch once the pipeline has a place for it."""
        self._in_flight.acquire()
        self._dispatch(items)

    def _dispatch(
        self, items: list[_Request], submissions: list[Submission] | None = None, attempt: int = 0
    ) -> None:
        """Send one batch (holding a place in the pipeline, given back when it is settled)."""
        if submissions is None:
            submissions = [Submission(i.info, i.inputs, self._take_repeats(i)) for i in items]
        sent = submissions
        if self._pipelined is not None:
            future = self._pipelined.apply_async(sent)
            future.add_done_callback(
                lambda done: self._settle(items, sent, attempt, done.exception() or done.result())
            )
            return
        try:
            results: list[Result] | BaseException = self.committer.apply(sent)
        except Exception as exc:
            results = exc
        self._settle(items, sent, attempt, results)

    def _settle(
        self,
        items: list[_Request],
        submissions: list[Submission],
        attempt: int,
        results: list[Result] | BaseException,
    ) -> None:
        """A batch's results (in the order batches were sent): resolve each request's future,
        or send the batch again when the database was busy (a lock timeout, say)."""
        if isinstance(results, OperationalError | RetryBatch) and attempt < 2:
            self._dispatch(items, submissions, attempt + 1)  # keeps its place in the pipeline
            return
        try:
            if isinstance(results, BaseException):
                if not isinstance(results, OperationalError | RetryBatch):
                    log.error("alert batch failed", exc_info=results)
                self._fail(items, submissions, results)
                return
            for item, sub, result in zip(items, submissions, results, strict=True):
                if isinstance(result, BaseException):
                    self._restore_repeats(sub.repeats)
                    item.future.set_exception(result)
                    continue
                self._remember(item.info, result)
                item.future.set_result(result)
        finally:
            self._in_flight.release()

    def _fail(
        self, items: list[_Request], submissions: list[Submission], exc: BaseException
    ) -> None:
        for item, sub in zip(items, submissions, strict=True):
            self._restore_repeats(sub.repeats)
            item.future.set_exception(exc)

    def _take_repeats(self, item: _Request) -> list[Repeat]:
        """Repeats counted in memory for fingerprints this request changes: written first."""
        keys = {(item.info.id, i.fingerprint) for i in item.inputs}
        with self._lock:
            return [self._repeats.pop(k) for k in keys if k in self._repeats]

    def _restore_repeats(self, pending: list[Repeat]) -> None:
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
                    self._open[key] = (o.content_hash, o.alert_id, o.status)
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
        try:
            replayed = self.committer.write_repeats(pending)
        except BaseException:
            self._restore_repeats(pending)
            raise
        for info, outcomes in replayed:
            self._remember(info, outcomes)
