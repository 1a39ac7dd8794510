"""The delivery job: claim due notifications a batch at a time, send them, record every attempt.

Never twice: a batch of rows is claimed (status `sending`, a lease, the engine's name) and
committed BEFORE anything is sent, with `FOR UPDATE SKIP LOCKED` so two engines never claim the
same row. The emails of a batch go over one reused SMTP connection; the results of the whole
batch are then recorded in one short transaction. Only when an engine dies between sending and
recording do the leases run out and the batch go out again (with the same Message-ID, so mail
clients drop the copies), its attempts then marked `lost` in the delivery log.

High-urgency rows are claimed first, in batches of their own: a page never waits behind more
than the one batch of bulk mail already being sent.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from firehouse.db import Database
from firehouse.incidents.models import Incident, Status
from firehouse.notify import contacts, links
from firehouse.notify import service as notify
from firehouse.notify.models import (
    Channel,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    Urgency,
)
from firehouse.notify.senders import Message, SendError, Senders, SmtpConfig
from firehouse.settings import Settings

log = logging.getLogger("firehouse.notify")

CLOSED_STATUSES = frozenset(
    {Status.mitigated, Status.resolved, Status.closed, Status.canceled, Status.merged}
)
THROTTLE_WINDOW = timedelta(minutes=1)


def _worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Deliverer:
    senders: Senders
    webhook_secret: str | None = None
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(minutes=10)
    fallback_after: int = 3
    give_up_after: timedelta = timedelta(hours=24)
    per_minute: int = 10
    lease: timedelta = timedelta(minutes=2)
    batch: int = 50
    worker: str = field(default_factory=_worker_name)

    @classmethod
    def from_settings(cls, settings: Settings) -> Deliverer:
        smtp = SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
        return cls(
            senders=Senders(smtp=smtp),
            webhook_secret=settings.webhook_secret,
            retry_base=timedelta(seconds=settings.notify_retry_base_seconds),
            retry_max=timedelta(seconds=settings.notify_retry_max_seconds),
            fallback_after=settings.notify_fallback_after,
            give_up_after=timedelta(hours=settings.notify_give_up_hours),
            per_minute=settings.notify_per_minute,
            lease=timedelta(seconds=max(60.0, settings.smtp_timeout_seconds * 4)),
        )

    def run(self, db: Database) -> datetime | None:
        """Send everything due, a batch at a time; return when the next one is due."""
        while True:
            claimed, selected = self._claim_batch(db)
            if claimed:
                self._record(db, claimed, self._send_all(claimed))
            if not selected:
                break
        with db.session(write=False) as session:
            return session.scalar(
                select(func.min(Notification.next_attempt_at)).where(
                    Notification.status.in_((DeliveryStatus.pending, DeliveryStatus.sending))
                )
            )

    def _due_now(self, now: datetime) -> ColumnElement[bool]:
        return Notification.status.in_((DeliveryStatus.pending, DeliveryStatus.sending)) & (
            Notification.next_attempt_at <= now
        )

    def _due(self, db: Database) -> bool:
        with db.session(write=False) as session:
            return (
                session.scalar(
                    select(Notification.id).where(self._due_now(db.clock.now())).limit(1)
                )
                is not None
            )

    def _claim(self, db: Database) -> list[Message]:
        return self._claim_batch(db)[0]

    def _claim_batch(self, db: Database) -> tuple[list[Message], int]:
        """Claim the next batch: high-urgency rows first, bulk only when none is due. Returns
        the messages to send and how many due rows were looked at (0: nothing more is due)."""
        if not self._due(db):  # look before taking the write lock
            return [], 0
        with db.session() as session:
            now = db.clock.now()
            rows: list[Notification] = []
            for urgent in (True, False):
                level = (
                    Notification.urgency == Urgency.high
                    if urgent
                    else Notification.urgency != Urgency.high
                )
                rows = list(
                    session.scalars(
                        select(Notification)
                        .where(self._due_now(now), level)
                        .order_by(Notification.next_attempt_at, Notification.id)
                        .limit(self.batch)
                        .with_for_update(skip_locked=True)
                    ).all()
                )
                if rows:
                    break
            # one query for the statuses of the batch's incidents instead of one a page
            incident_ids = {r.incident_id for r in rows if r.kind == "page" and r.incident_id}
            statuses: dict[int, Status] = {
                incident_id: status
                for incident_id, status in session.execute(
                    select(Incident.id, Incident.status).where(Incident.id.in_(incident_ids))
                )
            }
            taken = [
                (row, attempt)
                for row in rows
                if (attempt := self._claim_one(session, row, now, statuses)) is not None
            ]
            session.flush()  # one round of inserts gives every attempt its id
            return [self._message(session, row, attempt, now) for row, attempt in taken], len(rows)

    def _claim_one(
        self, session: Session, row: Notification, now: datetime, statuses: dict[int, Status]
    ) -> DeliveryAttempt | None:
        if row.status == DeliveryStatus.sending:
            # the engine that claimed it died mid-send: it may or may not have gone out
            for attempt in session.scalars(
                select(DeliveryAttempt).where(
                    DeliveryAttempt.notification_id == row.id,
                    DeliveryAttempt.result == "in_flight",
                )
            ):
                attempt.result = "lost"
                attempt.finished_at = now
                attempt.error = "the engine stopped while sending; sending again"
        if row.kind == "page" and row.incident_id is not None:
            status = statuses.get(row.incident_id)
            if status is None or status in CLOSED_STATUSES:
                row.status = DeliveryStatus.canceled
                row.next_attempt_at = None
                row.last_error = f"incident is {status.value if status else 'gone'}"
                return None
        due_since = row.created_at
        if now - due_since > self.give_up_after and row.attempts > 0:
            row.status = DeliveryStatus.failed
            row.next_attempt_at = None
            return None
        if row.contact_method_id is not None and self._throttled(session, row, now):
            return None
        row.status = DeliveryStatus.sending
        row.attempts += 1
        row.lease_until = now + self.lease
        row.next_attempt_at = row.lease_until
        row.claimed_by = self.worker
        attempt = DeliveryAttempt(
            notification_id=row.id, started_at=now, result="in_flight", worker=self.worker
        )
        session.add(attempt)
        return attempt

    def _message(
        self, session: Session, row: Notification, attempt: DeliveryAttempt, now: datetime
    ) -> Message:
        secret = None
        if row.channel == Channel.webhook:
            secret = (
                row.secret or self.webhook_secret or links.state_secret(session, "webhook_secret")
            )
        return Message(
            id=row.id,
            attempt_id=attempt.id,
            channel=row.channel,
            target=row.target,
            subject=row.subject,
            body_text=row.body_text,
            body_html=row.body_html,
            payload=row.payload,
            secret=secret,
            now=now,
        )

    def _throttled(self, session: Session, row: Notification, now: datetime) -> bool:
        """At most `per_minute` messages through one contact method in any minute: those sent
        in the last minute and those being sent now count."""
        sent = session.scalars(
            select(Notification.sent_at).where(
                Notification.contact_method_id == row.contact_method_id,
                Notification.sent_at > now - THROTTLE_WINDOW,
            )
        ).all()
        sending = session.scalar(
            select(func.count(Notification.id)).where(
                Notification.contact_method_id == row.contact_method_id,
                Notification.status == DeliveryStatus.sending,
                Notification.id != row.id,
            )
        )
        times = sorted([t for t in sent if t is not None] + [now] * int(sending or 0))
        if len(times) < self.per_minute:
            return False
        row.next_attempt_at = times[-self.per_minute] + THROTTLE_WINDOW
        row.last_error = f"throttled: {self.per_minute} messages a minute through this method"
        return True

    def _send_all(self, messages: list[Message]) -> dict[int, str | None]:
        """Each message's error (None: sent). Emails share one SMTP connection."""
        emails = [m for m in messages if m.channel == Channel.email]
        results: dict[int, str | None] = {}
        if emails:
            sent, _connections = self.senders.send_emails(emails)
            results.update(sent)
        for message in messages:
            if message.channel == Channel.email:
                continue
            try:
                self.senders.send(message)
            except SendError as exc:
                results[message.id] = str(exc)
            except Exception as exc:  # a sender bug must not lose the row
                log.exception("notification %s: unexpected error", message.id)
                results[message.id] = f"{type(exc).__name__}: {exc}"
            else:
                results[message.id] = None
        return results

    def _record(
        self, db: Database, messages: list[Message], results: dict[int, str | None]
    ) -> None:
        """The results of a whole batch, in one transaction."""
        with db.session() as session:
            now = db.clock.now()
            ids = [m.id for m in messages]
            rows = {
                row.id: row
                for row in session.scalars(
                    select(Notification)
                    .where(Notification.id.in_(ids))
                    .order_by(Notification.id)
                    .with_for_update()
                )
            }
            attempts = {
                attempt.id: attempt
                for attempt in session.scalars(
                    select(DeliveryAttempt).where(
                        DeliveryAttempt.id.in_([m.attempt_id for m in messages])
                    )
                )
            }
            for message in messages:
                row = rows.get(message.id)
                attempt = attempts.get(message.attempt_id)
                if row is None or attempt is None:
                    continue
                if row.claimed_by != self.worker or row.status != DeliveryStatus.sending:
                    continue  # our lease ran out and someone else took it over
                self._record_one(session, row, attempt, results.get(message.id, "not sent"), now)

    def _record_one(
        self,
        session: Session,
        row: Notification,
        attempt: DeliveryAttempt,
        error: str | None,
        now: datetime,
    ) -> None:
        attempt.finished_at = now
        row.lease_until = None
        row.claimed_by = None
        if error is None:
            attempt.result = "sent"
            row.status = DeliveryStatus.sent
            row.sent_at = now
            row.next_attempt_at = None
            row.last_error = None
            return
        attempt.result = "failed"
        attempt.error = error[:2000]
        row.last_error = error[:2000]
        log.warning("notification %s attempt %s failed: %s", row.id, row.attempts, error)
        if row.attempts >= self.fallback_after and not row.fell_back:
            row.fell_back = True
            self._fall_back(session, row)
        if now - row.created_at > self.give_up_after:
            row.status = DeliveryStatus.failed
            row.next_attempt_at = None
            return
        row.status = DeliveryStatus.pending
        row.next_attempt_at = now + self._backoff(row.attempts)

    def _backoff(self, attempts: int) -> timedelta:
        delay = self.retry_base * int(2 ** min(max(attempts - 1, 0), 30))
        return min(delay, self.retry_max)

    def _fall_back(self, session: Session, row: Notification) -> None:
        """A page that keeps failing also goes to the person's next contact method."""
        if row.kind != "page" or row.user_id is None:
            return
        method = contacts.next_method(session, user_id=row.user_id, after_id=row.contact_method_id)
        if method is None or method.id == row.contact_method_id:
            return
        channel = method.kind.channel
        notify.enqueue(
            session,
            channel=channel.value,
            target=method.address,
            subject=row.subject,
            body_text=row.body_text,
            body_html=row.body_html if channel == Channel.email else None,
            kind=row.kind,
            urgency=row.urgency.value,
            user_id=row.user_id,
            incident_id=row.incident_id,
            dedup_key=f"{row.dedup_key or row.id}:fb{method.id}"[:200],
            payload=row.payload,
            contact_method_id=method.id,
            secret=method.secret,
        )


def pending_count(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count(Notification.id)).where(
                or_(
                    Notification.status == DeliveryStatus.pending,
                    Notification.status == DeliveryStatus.sending,
                )
            )
        )
        or 0
    )
