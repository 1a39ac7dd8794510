"""Live updates: services publish small events after their transaction commits; every browser
subscribed to `/events` (Server-Sent Events) receives the ones it may see.

- `publish_after_commit(session, topic, data, incident_id=...)` queues an event on the session;
  it goes out only if the transaction commits (a rolled-back write publishes nothing).
- On SQLite the event is handed to this process's hub after commit (one process serves a SQLite
  database). On PostgreSQL it is sent with `pg_notify` inside the transaction (PostgreSQL delivers
  it at commit) and every instance's listener thread hands it to its own hub, so a change made
  through any instance, or the CLI, reaches every browser.
- Changes to incidents (status, fields, timeline, roles, checklist) are published automatically
  by watching the ORM flush, so the incident service needs no calls.
- An event that names an incident is delivered only to subscribers who may see that incident
  (restricted incidents); see `firehouse.web.events`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger("firehouse.live")
CHANNEL = "firehouse_live"
_PENDING = "firehouse_live_pending"
_MAX_QUEUE = 200


@dataclass(frozen=True)
class LiveEvent:
    topic: str
    data: dict[str, Any]
    incident_id: int | None = None
    # False: known public; True or None: check the subscriber may see `incident_id`
    restricted: bool | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"t": self.topic, "d": self.data, "i": self.incident_id, "r": self.restricted},
            separators=(",", ":"),
            default=str,
        )

    @classmethod
    def from_json(cls, payload: str) -> LiveEvent:
        raw = json.loads(payload)
        return cls(topic=raw["t"], data=raw["d"], incident_id=raw["i"], restricted=raw["r"])


@dataclass(eq=False)
class Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[LiveEvent] = field(
        default_factory=lambda: asyncio.Queue(maxsize=_MAX_QUEUE)
    )


class Hub:
    """The subscribers of one database in this process."""

    def __init__(self, url: str, is_postgres: bool) -> None:
        self.url = url
        self.is_postgres = is_postgres
        self._lock = threading.Lock()
        self._subscribers: set[Subscriber] = set()
        self._listener: threading.Thread | None = None
        self.listening = threading.Event()

    def subscribe(self) -> Subscriber:
        sub = Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(sub)
            if self.is_postgres and self._listener is None:
                self._listener = threading.Thread(
                    target=self._listen, name="firehouse-live-listener", daemon=True
                )
                self._listener.start()
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def broadcast(self, item: LiveEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub.queue, item)
            except RuntimeError:  # the subscriber's loop has closed
                self.unsubscribe(sub)

    def _listen(self) -> None:
        """LISTEN on PostgreSQL while anybody is subscribed; reconnect after errors."""
        import psycopg

        dsn = self.url.replace("postgresql+psycopg://", "postgresql://", 1)
        pause = threading.Event()
        while True:
            with self._lock:
                if not self._subscribers:
                    self._listener = None
                    self.listening.clear()
                    return
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while self._subscribers:
                        for note in conn.notifies(timeout=1.0):
                            self.broadcast(LiveEvent.from_json(note.payload))
            except Exception:
                self.listening.clear()
                log.exception("live listener lost its connection; reconnecting")
                pause.wait(2.0)


def _offer(queue: asyncio.Queue[LiveEvent], item: LiveEvent) -> None:
    # a stalled browser misses events; it catches up on its next one
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(item)


_hubs: dict[str, Hub] = {}
_hubs_lock = threading.Lock()
# a process that serves no browser hands its committed events to these (the intake writer
# process, to the serving process that started it)
_forwarders: list[Callable[[LiveEvent], None]] = []


def forward_events(sink: Callable[[LiveEvent], None]) -> None:
    """Hand every event this process commits on SQLite to `sink` as well."""
    _forwarders.append(sink)


def _engine_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def hub_for(engine: Engine) -> Hub:
    key = _engine_key(engine)
    with _hubs_lock:
        hub = _hubs.get(key)
        if hub is None:
            hub = _hubs[key] = Hub(key, is_postgres=engine.dialect.name == "postgresql")
        return hub


def publish_after_commit(
    session: Session,
    topic: str,
    data: dict[str, Any],
    *,
    incident_id: int | None = None,
    restricted: bool | None = None,
) -> None:
    """Queue a live event; it is delivered only if the session's transaction commits.

    `topic` is what pages listen for (`incident`, `alert`, ...); `data` is small JSON (the
    reference of what changed, never secrets). Pass `incident_id` when the event concerns an
    incident, so that it reaches only those who may see it (`restricted=False` skips the check
    when the incident is known to be public).
    """
    pending: dict[tuple[str, str], LiveEvent] = session.info.setdefault(_PENDING, {})
    item = LiveEvent(topic, data, incident_id, restricted)
    key = str(incident_id) if incident_id is not None else json.dumps(data, sort_keys=True)
    earlier = pending.get((topic, key))
    if earlier is not None and earlier.restricted is not None and restricted is None:
        item = earlier  # keep what is known about the incident's visibility
    pending[(topic, key)] = item


def _watch_incidents(session: Session) -> None:
    from firehouse.incidents.models import (
        ChecklistCheck,
        Incident,
        Participation,
        RoleAssignment,
        TimelineEntry,
    )

    touched: dict[int, Incident | None] = {}
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Incident):
            touched[obj.id] = obj
        elif isinstance(obj, TimelineEntry | ChecklistCheck | RoleAssignment | Participation):
            touched.setdefault(obj.incident_id, None)
    for incident_id, incident in touched.items():
        if incident_id is None:
            continue
        publish_after_commit(
            session,
            "incident",
            {"id": incident_id},
            incident_id=incident_id,
            restricted=None if incident is None else bool(incident.restricted),
        )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    _watch_incidents(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # let the flush watcher see the last changes
    pending: dict[tuple[str, str], LiveEvent] = session.info.get(_PENDING, {})
    if not pending:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        for item in pending.values():
            session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": item.to_json()})
        pending.clear()
    else:
        session.info["firehouse_live_engine"] = bind


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: dict[tuple[str, str], LiveEvent] = session.info.pop(_PENDING, {})
    bind = session.info.pop("firehouse_live_engine", None)
    if not pending or bind is None:
        return
    for sink in _forwarders:
        for item in pending.values():
            sink(item)
    key = _engine_key(bind.engine if hasattr(bind, "engine") else bind)
    hub = _hubs.get(key)
    if hub is None:
        return
    for item in pending.values():
        hub.broadcast(item)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop("firehouse_live_engine", None)
