"""The database side of alert intake: apply a batch of requests in one transaction (a savepoint
each when one of them is bad, so it sinks only itself), and write the repeats counted in memory.

It keeps nothing between calls, so it can run in the serving process's writer thread or alone in
the intake writer process (`writer_process`), which keeps its work off the serving process's GIL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.util import identity_key

from firehouse.alerts.models import Alert
from firehouse.alerts.service.inputs import AlertInput, IntegrationInfo, Outcome
from firehouse.alerts.service.intake import ALERTS, Batch, apply_inputs
from firehouse.alerts.service.lookup import select_open
from firehouse.db import Database

log = logging.getLogger("firehouse.alerts")


@dataclass
class Repeat:
    """Exact repeats of one open alert, counted in memory since the last write."""

    info: IntegrationInfo
    item: AlertInput
    digest: str
    count: int
    last_seen: datetime


@dataclass
class Submission:
    """One request as the committer sees it: its inputs, and the counted repeats of the
    fingerprints it touches (written first, so a count never lands after a state change)."""

    info: IntegrationInfo
    inputs: list[AlertInput]
    repeats: list[Repeat] = field(default_factory=list)


Result = list[Outcome] | BaseException
Replayed = list[tuple[IntegrationInfo, list[Outcome]]]


class Committer:
    def __init__(self, db: Database) -> None:
        self.db = db

    def close(self) -> None:
        """Nothing to stop."""

    def apply(self, submissions: list[Submission]) -> list[Result]:
        """Outcomes per submission, or the exception that sank it alone. Raises
        OperationalError (a lock timeout or deadlock) when the whole batch should be retried."""
        try:
            return self._apply_together(submissions)
        except OperationalError:
            raise
        except Exception:  # some request is bad: again, each in its own savepoint
            return self._apply_apart(submissions)

    def write_repeats(self, pending: list[Repeat]) -> Replayed:
        """Write counted repeats; replay those whose alert is no longer open as it was. Returns
        the replays' outcomes, for the caller's open-alert cache."""
        with self.db.session() as session:
            batch = Batch.start(session)
            replayed = _write_repeats(batch, pending, replay=True)
            batch.finish()
        return replayed

    def _apply_together(self, submissions: list[Submission]) -> list[Result]:
        """Every request of one integration as one list of inputs, in arrival order: a few
        statements per batch instead of a few per request."""
        by_integration: dict[int, list[int]] = {}
        for n, sub in enumerate(submissions):
            by_integration.setdefault(sub.info.id, []).append(n)
        results: list[Result] = [[] for _ in submissions]
        with self.db.session() as session:
            batch = Batch.start(session)
            _write_repeats(batch, [r for s in submissions for r in s.repeats], replay=False)
            for members in by_integration.values():
                inputs = [i for n in members for i in submissions[n].inputs]
                outcomes = apply_inputs(batch, submissions[members[0]].info, inputs)
                start = 0
                for n in members:
                    end = start + len(submissions[n].inputs)
                    results[n] = outcomes[start:end]
                    start = end
            batch.finish()
        return results

    def _apply_apart(self, submissions: list[Submission]) -> list[Result]:
        with self.db.session() as session:
            batch = Batch.start(session)
            results = [_apply_one(batch, sub) for sub in submissions]
            batch.finish()
        return results


def _apply_one(batch: Batch, sub: Submission) -> Result:
    joined = {k: len(v) for k, v in batch.joined.items()}
    try:
        with batch.session.begin_nested():
            _write_repeats(batch, sub.repeats, replay=False)
            return apply_inputs(batch, sub.info, sub.inputs)
    except OperationalError:
        raise
    except Exception as exc:
        log.exception("alert request failed")
        for k in list(batch.joined):
            del batch.joined[k][joined.get(k, 0) :]
        batch.groups.clear()
        batch.storms.clear()
        return exc


def _write_repeats(batch: Batch, pending: list[Repeat], *, replay: bool) -> Replayed:
    """Two statements per integration, however many repeats: find which alerts are still open
    with the same content, then add the counts to those in one executemany."""
    session = batch.session
    replayed: Replayed = []
    by_integration: dict[int, list[Repeat]] = {}
    for rep in pending:
        by_integration.setdefault(rep.info.id, []).append(rep)
    for integration_id, reps in by_integration.items():
        for start in range(0, len(reps), 500):
            chunk = reps[start : start + 500]
            query, entity = select_open(
                session, integration_id, [r.item.fingerprint for r in chunk]
            )
            columns = (entity.id, entity.fingerprint, entity.content_hash)
            current = {
                fp: (alert_id, digest)
                for alert_id, fp, digest in session.execute(query.with_only_columns(*columns))
            }
            updates = []
            stale = []
            for rep in chunk:
                found = current.get(rep.item.fingerprint)
                if found is not None and found[1] == rep.digest:
                    updates.append({"alert_id": found[0], "n": rep.count, "seen": rep.last_seen})
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
                    replayed.append((rep.info, apply_inputs(batch, rep.info, [rep.item])))
    return replayed
