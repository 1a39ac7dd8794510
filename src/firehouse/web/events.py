"""`GET /events`: Server-Sent Events for the signed-in browser. Each event is only
`{"topic": ..., ...data}`; the page re-fetches what changed through the normal routes, so the
stream itself never carries anything the viewer could not load. Events about an incident are
sent only to subscribers who may see that incident."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from firehouse.actor import Actor
from firehouse.api.deps import CurrentPrincipal, database
from firehouse.db import Database
from firehouse.incidents.models import Incident
from firehouse.incidents.service import visible_to
from firehouse.web import live

router = APIRouter(include_in_schema=False)
HEARTBEAT_SECONDS = 15.0
# the browser reconnects by itself; a bounded stream re-checks the login every few minutes
STREAM_SECONDS = 300.0


def may_see(db: Database, actor: Actor, item: live.LiveEvent) -> bool:
    """Whether `actor` may receive `item` (a restricted incident's events go to few people)."""
    if item.incident_id is None or item.restricted is False:
        return True
    with db.session(write=False) as session:
        found = session.scalar(
            select(Incident.id).where(Incident.id == item.incident_id, visible_to(actor))
        )
    return found is not None


def _frame(item: live.LiveEvent) -> str:
    body = json.dumps({"topic": item.topic, **item.data}, separators=(",", ":"), default=str)
    return f"event: {item.topic}\ndata: {body}\n\n"


@router.get("/events")
async def events(
    request: Request,
    principal: CurrentPrincipal,
    seconds: Annotated[float, Query(ge=0, le=STREAM_SECONDS)] = STREAM_SECONDS,
) -> StreamingResponse:
    """`seconds` ends the stream sooner (scripts and tests); browsers reconnect by themselves."""
    db = database(request)
    actor = principal.actor
    hub = live.hub_for(db.engine)
    subscriber = hub.subscribe()

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        try:
            if hub.is_postgres:  # events sent before LISTEN is in place would be missed
                await asyncio.to_thread(hub.listening.wait, 5.0)
            yield "retry: 3000\n: connected\n\n"
            while (left := deadline - loop.time()) > 0:
                if await request.is_disconnected():
                    break
                try:
                    wait = min(HEARTBEAT_SECONDS, left)
                    item = await asyncio.wait_for(subscriber.queue.get(), wait)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                if await run_in_threadpool(may_see, db, actor, item):
                    yield _frame(item)
        finally:
            hub.unsubscribe(subscriber)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
