"""The endpoints senders post to, each answering in the shape its senders expect:
Alertmanager (webhook and `/api/v2/alerts`), PagerDuty Events v2 and v1, Opsgenie, Grafana,
firehouse's generic JSON, change events and heartbeat pings. Authenticated by the
integration key, never by a user; a rejected request stores nothing."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from firehouse.alerts.formats import (
    FormatError,
    alertmanager,
    generic,
    grafana,
    load_json,
    opsgenie,
    pagerduty,
    text,
    timestamp,
)
from firehouse.alerts.service import changes, heartbeats
from firehouse.alerts.service.inputs import Action, AlertInput, IntegrationInfo, Outcome
from firehouse.alerts.service.writer import CommitterLike, Intake
from firehouse.db import Database
from firehouse.errors import AppError
from firehouse.settings import Settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    committer: CommitterLike | None = None
    if settings.intake_writer == "process":
        from firehouse.alerts.service.writer_process import WriterProcess

        committer = WriterProcess(settings, app.state.db)
    intake = Intake(app.state.db, committer=committer)
    intake.start()
    app.state.alert_intake = intake
    try:
        yield
    finally:
        await run_in_threadpool(intake.close)


router = APIRouter(lifespan=lifespan, include_in_schema=False)


class Reject(Exception):
    def __init__(
        self, status: int, message: str, *, field: str | None = None, retry_after: int = 0
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


def intake_of(request: Request) -> Intake:
    intake: Intake | None = getattr(request.app.state, "alert_intake", None)
    if intake is None:  # served without its lifespan: no writer thread, apply in the caller
        intake = request.app.state.alert_intake = Intake(request.app.state.db)
    return intake


async def integration_for(request: Request, key: str, *, status: int = 404) -> IntegrationInfo:
    intake = intake_of(request)
    found = intake.cached_integration(key) or await run_in_threadpool(
        intake.integration_for_key, key
    )
    if found is None:
        raise Reject(status, "unknown integration key")
    return found


async def parse_body(request: Request, parse: Callable[[Any], Any]) -> Any:
    body = await request.body()
    try:
        return parse(load_json(body))
    except FormatError as exc:
        raise Reject(400, exc.message, field=exc.field) from None


async def store(request: Request, info: IntegrationInfo, inputs: list[AlertInput]) -> list[Outcome]:
    intake = intake_of(request)
    wait = intake.retry_after(info, len(inputs))
    if wait:
        raise Reject(429, "this integration's rate limit is exceeded", retry_after=wait)
    if not inputs:
        return []
    try:
        repeats, pending = intake.submit(info, inputs)
        if pending is None:  # exact repeats only: answered at once, no hop through the loop
            return repeats
        return repeats + await asyncio.wrap_future(pending)
    except AppError as exc:
        raise Reject(400, exc.message, field=getattr(exc, "field", None)) from None
    except Exception:
        raise Reject(503, "the alerts could not be stored; retry") from None


def now_of(request: Request) -> Any:
    db: Database = request.app.state.db
    return db.clock.now()


def firehouse_error(rej: Reject) -> Response:
    details = [{"field": rej.field, "message": rej.message}] if rej.field else None
    codes = {400: "bad_request", 401: "unauthorized", 404: "not_found", 429: "rate_limited"}
    message = f"{rej.field}: {rej.message}" if rej.field else rej.message
    body = {
        "error": {
            "code": codes.get(rej.status, "unavailable"),
            "message": message,
            "details": details,
        }
    }
    return JSONResponse(body, status_code=rej.status, headers=rej.headers)


def bearer_or_basic(request: Request) -> str:
    """The integration key from `Authorization: Bearer KEY`, basic auth (the password, or the
    user when there is no password), or the `key` query parameter."""
    if request.scope.get("query_string"):
        query = request.query_params.get("key")
        if query:
            return query
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credential.strip()
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(credential.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return ""
        return password or user
    return ""


# -- Alertmanager, Grafana and generic: the key is in the URL


@router.post("/integrations/{key}/alertmanager")
async def alertmanager_webhook(request: Request, key: str) -> Response:
    try:
        inputs = await parse_body(
            request, lambda b: alertmanager.parse_webhook(b, now=now_of(request))
        )
        info = await integration_for(request, key)
        outcomes = await store(request, info, inputs)
    except Reject as rej:
        return firehouse_error(rej)
    return JSONResponse({"status": "success", "alerts": len(outcomes)})


@router.post("/integrations/{key}/grafana")
async def grafana_webhook(request: Request, key: str) -> Response:
    try:
        inputs = await parse_body(request, lambda b: grafana.parse(b, now=now_of(request)))
        info = await integration_for(request, key)
        outcomes = await store(request, info, inputs)
    except Reject as rej:
        return firehouse_error(rej)
    return JSONResponse({"status": "success", "alerts": len(outcomes)})


@router.post("/integrations/{key}/generic")
async def generic_alerts(request: Request, key: str) -> Response:
    try:
        inputs = await parse_body(request, generic.parse)
        info = await integration_for(request, key)
        outcomes = await store(request, info, inputs)
    except Reject as rej:
        return firehouse_error(rej)
    return JSONResponse(
        {
            "status": "accepted",
            "alerts": [
                {"dedup_key": o.fingerprint, "id": o.alert_id, "status": o.status} for o in outcomes
            ],
        },
        status_code=202,
    )


@router.post("/api/v2/alerts")
async def alertmanager_api(request: Request) -> Response:
    """Prometheus lists firehouse as an Alertmanager; go-swagger's error shape."""
    try:
        inputs = await parse_body(
            request, lambda b: alertmanager.parse_api_alerts(b, now=now_of(request))
        )
        info = await integration_for(request, bearer_or_basic(request), status=401)
        await store(request, info, inputs)
    except Reject as rej:
        message = f"{rej.field}: {rej.message}" if rej.field else rej.message
        headers = rej.headers
        if rej.status == 401:
            headers = {**headers, "WWW-Authenticate": 'Bearer, Basic realm="firehouse"'}
        return JSONResponse(
            {"code": rej.status, "message": message}, status_code=rej.status, headers=headers
        )
    return Response(status_code=200)


# -- PagerDuty


def pagerduty_error(rej: Reject) -> Response:
    if rej.status == 400:
        body: dict[str, Any] = {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": [f"{rej.field}: {rej.message}" if rej.field else rej.message],
        }
    elif rej.status == 429:
        body = {
            "status": "throttle exceeded",
            "message": "Requests for this service are arriving too quickly. Please retry later.",
        }
    elif rej.status == 404:
        body = {"status": "invalid routing key", "message": "Routing key is not recognised"}
    else:
        body = {"status": "error", "message": rej.message}
    return JSONResponse(body, status_code=rej.status, headers=rej.headers)


@router.post("/v2/enqueue")
async def pagerduty_v2(request: Request) -> Response:
    try:
        event = await parse_body(request, pagerduty.parse_v2)
        info = await integration_for(request, event.routing_key)
        await store(request, info, [event.alert])
    except Reject as rej:
        return pagerduty_error(rej)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key},
        status_code=202,
    )


@router.post("/generic/2010-04-15/create_event.json")
async def pagerduty_v1(request: Request) -> Response:
    try:
        event = await parse_body(request, pagerduty.parse_v1)
        info = await integration_for(request, event.routing_key)
        await store(request, info, [event.alert])
    except Reject as rej:
        return pagerduty_error(rej)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "incident_key": event.dedup_key},
        status_code=200,
    )


@router.post("/v2/change/enqueue")
async def pagerduty_change(request: Request) -> Response:
    try:
        change = await parse_body(request, pagerduty.parse_change)
        info = await integration_for(request, change.routing_key)
    except Reject as rej:
        return pagerduty_error(rej)
    details = change.details

    def _record(session: Any) -> None:
        changes.record_change(
            session,
            integration=info,
            summary=change.summary,
            service=str(details.get("service", "")),
            version=str(details.get("version", "")),
            who=str(details.get("who", "") or details.get("user", "")),
            link=change.links[0]["href"] if change.links else "",
            description=str(details.get("description", "")),
            source=change.source,
            occurred_at=change.occurred_at,
        )

    await run_in_threadpool(_in_session, request, _record)
    return JSONResponse({"status": "success", "message": "Change event processed"}, status_code=202)


def _in_session(request: Request, work: Callable[[Any], Any]) -> Any:
    db: Database = request.app.state.db
    with db.session() as session:
        return work(session)


# -- Opsgenie


def opsgenie_key(request: Request) -> str:
    query = request.query_params.get("key") or request.query_params.get("apiKey")
    if query:
        return query
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    return credential.strip() if scheme.lower() == "geniekey" else ""


def opsgenie_answer(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"took": 0.0, "requestId": str(uuid.uuid4())}
    body["result" if status < 400 else "message"] = message
    return JSONResponse(body, status_code=status, headers=headers)


@router.post("/v2/alerts")
async def opsgenie_create(request: Request) -> Response:
    try:
        alert = await parse_body(request, opsgenie.parse_create)
        info = await integration_for(request, opsgenie_key(request), status=401)
        await store(request, info, [alert])
    except Reject as rej:
        message = f"{rej.field}: {rej.message}" if rej.field else rej.message
        if rej.status == 401:
            message = "Could not authenticate"
        return opsgenie_answer(rej.status, message, rej.headers)
    return opsgenie_answer(202, "Request will be processed")


async def _opsgenie_action(request: Request, identifier: str, action: Action) -> Response:
    kind = request.query_params.get("identifierType", "id")
    try:
        if kind not in ("id", "alias", "tiny"):
            raise Reject(400, "identifierType must be id, alias or tiny", field="identifierType")
        body = await request.body()
        if body.strip():
            try:
                load_json(body)
            except FormatError as exc:
                raise Reject(400, exc.message, field=exc.field) from None
        info = await integration_for(request, opsgenie_key(request), status=401)
        fingerprint = identifier
        if kind != "alias":
            fingerprint = await run_in_threadpool(_fingerprint_of, request, info, identifier)
        await store(request, info, [AlertInput(fingerprint=fingerprint, action=action)])
    except Reject as rej:
        message = "Could not authenticate" if rej.status == 401 else rej.message
        return opsgenie_answer(rej.status, message, rej.headers)
    return opsgenie_answer(202, "Request will be processed")


def _fingerprint_of(request: Request, info: IntegrationInfo, identifier: str) -> str:
    from firehouse.alerts.models import Alert

    if not identifier.isdigit():
        raise Reject(404, "Alert does not exist")
    db: Database = request.app.state.db
    with db.session(write=False) as session:
        alert = session.get(Alert, int(identifier))
        if alert is None or alert.integration_id != info.id:
            raise Reject(404, "Alert does not exist")
        return alert.fingerprint


@router.post("/v2/alerts/{identifier}/acknowledge")
async def opsgenie_acknowledge(request: Request, identifier: str) -> Response:
    return await _opsgenie_action(request, identifier, "acknowledge")


@router.post("/v2/alerts/{identifier}/close")
async def opsgenie_close(request: Request, identifier: str) -> Response:
    return await _opsgenie_action(request, identifier, "resolve")


# -- changes and heartbeats, in firehouse's shape


@router.post("/integrations/{key}/changes")
async def generic_change(request: Request, key: str) -> Response:
    def _parse(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise FormatError("body", "must be an object")
        return {
            "summary": text(body.get("summary"), "summary", required=True, limit=1024),
            "service": text(body.get("service"), "service", limit=200),
            "version": text(body.get("version"), "version", limit=200),
            "who": text(body.get("who"), "who", limit=200),
            "link": text(body.get("link"), "link", limit=1024),
            "description": text(body.get("description"), "description"),
            "source": text(body.get("source"), "source", limit=255),
            "occurred_at": timestamp(body.get("time"), "time"),
        }

    try:
        fields = await parse_body(request, _parse)
        info = await integration_for(request, key)
    except Reject as rej:
        return firehouse_error(rej)
    event = await run_in_threadpool(
        _in_session, request, lambda s: changes.record_change(s, integration=info, **fields).id
    )
    return JSONResponse({"status": "accepted", "id": event}, status_code=202)


@router.post("/integrations/{key}/heartbeats/{name}")
async def heartbeat_ping(request: Request, key: str, name: str) -> Response:
    try:
        info = await integration_for(request, key)
    except Reject as rej:
        return firehouse_error(rej)

    def _ping(session: Any) -> dict[str, Any]:
        beat = heartbeats.ping(session, integration=info, name=name)
        return {"status": "ok", "next_due_at": beat.next_due_at.isoformat()}

    try:
        result = await run_in_threadpool(_in_session, request, _ping)
    except AppError as exc:
        return firehouse_error(Reject(exc.status_code, exc.message))
    return JSONResponse(result)
