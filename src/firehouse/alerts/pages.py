"""Alert pages: the list with filters, one alert (labels, annotations, history, "silence this"),
silences and maintenance windows. Integrations and routing rules are in `integration_pages`.
Alerts of incidents the viewer may not see are left out, as the incident itself is."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firehouse import clock
from firehouse.alerts import integration_pages
from firehouse.alerts import service as alerts
from firehouse.alerts.models import AlertStatus
from firehouse.alerts.service import matchers, queries, silences
from firehouse.alerts.service.writer import Intake
from firehouse.api.deps import Principal, UnitOfWork
from firehouse.catalog import service as catalog
from firehouse.errors import AppError, Invalid
from firehouse.incidents import service as incidents
from firehouse.people.models import Role
from firehouse.web.deps import PagePrincipal, attempt, error_page, render

router = APIRouter(include_in_schema=False)
router.include_router(integration_pages.router)
PAGE_SIZE = 100
MAX_SILENCE_HOURS = 24 * 30


def _writer(principal: Principal) -> bool:
    return principal.actor.can_write and principal.actor.has(Role.responder)


def _forget(request: Request, integration_id: int, fingerprint: str) -> None:
    """A person changed the alert: the intake's memory of it must go."""
    intake: Intake | None = getattr(request.app.state, "alert_intake", None)
    if intake is not None:
        intake.forget_alert(integration_id, fingerprint)


@router.get("/alerts", response_class=HTMLResponse)
def alert_list(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    status: Annotated[list[AlertStatus] | None, Query()] = None,
    integration: Annotated[str | None, Query(max_length=20)] = None,
    severity: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    integration_id = int(integration) if integration and integration.isdigit() else None
    flt = queries.AlertFilter(
        status=status or None,
        integration_id=integration_id,
        severity=severity or None,
        text=q.strip() if q and q.strip() else None,
        limit=PAGE_SIZE,
    )
    found = queries.list_alerts(session, flt, actor=principal.actor)
    names = {i.id: i.name for i in alerts.list_integrations(session)}
    return render(
        request,
        "alerts/list.html",
        principal,
        {
            "section": "alerts",
            "items": found,
            "integrations": names,
            "filters": flt,
            "statuses": list(AlertStatus),
            "severities": incidents.list_severities(session),
            "now": clock.now(session),
        },
    )


def _silences_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    problem: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    now = clock.now(session)
    listed = [
        {"silence": s, "state": silences.silence_state(s, now), "matchers": _matcher_texts(s)}
        for s in alerts.list_silences(session)
    ]
    return render(
        request,
        "alerts/silences.html",
        principal,
        {
            "section": "alerts",
            "silences": listed,
            "windows": alerts.list_maintenance(session),
            "services": {s.id: s for s in catalog.list_services(session)},
            "can_write": _writer(principal),
            "values": values or {},
            "problem": problem,
            "now": now,
        },
        status=status,
    )


def _matcher_texts(silence: Any) -> list[str]:
    return [str(matchers.from_alertmanager(m)) for m in silence.matchers]


@router.get("/alerts/silences", response_class=HTMLResponse)
def silence_list(request: Request, session: UnitOfWork, principal: PagePrincipal) -> Response:
    return _silences_page(request, session, principal)


@router.post("/alerts/silences", response_class=HTMLResponse)
def create_silence(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    matchers_text: Annotated[str, Form(alias="matchers", max_length=5000)] = "",
    hours: Annotated[float, Form(gt=0, le=MAX_SILENCE_HOURS)] = 2,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {"matchers": matchers_text, "hours": str(hours), "comment": comment}
    try:
        with attempt(session):
            if not comment.strip():
                raise Invalid("say why you silence these alerts", field="comment")
            lines = [x.strip() for x in matchers_text.splitlines() if x.strip()]
            parsed = matchers.parse_matchers(lines)
            alerts.create_silence(
                session,
                actor=principal.actor,
                matchers=[m.to_alertmanager() for m in parsed],
                starts_at=None,
                ends_at=clock.now(session) + timedelta(hours=hours),
                comment=comment.strip(),
            )
    except AppError as exc:
        return _silences_page(
            request, session, principal, problem=exc.message, status=exc.status_code, values=values
        )
    return RedirectResponse("/alerts/silences", status_code=303)


@router.post("/alerts/silences/{silence_id}/expire", response_class=HTMLResponse)
def expire_silence(
    silence_id: str, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        with attempt(session):
            alerts.expire_silence(session, actor=principal.actor, silence_id=silence_id)
    except AppError as exc:
        return _silences_page(
            request, session, principal, problem=exc.message, status=exc.status_code
        )
    return RedirectResponse("/alerts/silences", status_code=303)


@router.post("/alerts/maintenance", response_class=HTMLResponse)
def create_maintenance(
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    service: Annotated[str, Form(max_length=100)] = "",
    hours: Annotated[float, Form(gt=0, le=MAX_SILENCE_HOURS)] = 2,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        with attempt(session):
            alerts.create_maintenance(
                session,
                actor=principal.actor,
                service=service.strip(),
                starts_at=None,
                ends_at=clock.now(session) + timedelta(hours=hours),
                reason=reason.strip(),
            )
    except AppError as exc:
        values = {"service": service, "reason": reason}
        return _silences_page(
            request, session, principal, problem=exc.message, status=exc.status_code, values=values
        )
    return RedirectResponse("/alerts/silences", status_code=303)


@router.post("/alerts/maintenance/{window_id}/end", response_class=HTMLResponse)
def end_maintenance(
    window_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    try:
        with attempt(session):
            alerts.end_maintenance(session, actor=principal.actor, window_id=window_id)
    except AppError as exc:
        return _silences_page(
            request, session, principal, problem=exc.message, status=exc.status_code
        )
    return RedirectResponse("/alerts/silences", status_code=303)


def _alert_page(
    request: Request,
    session: Session,
    principal: Principal,
    alert_id: int,
    *,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    try:
        alert = queries.get_visible_alert(session, alert_id, actor=principal.actor)
    except AppError as exc:
        return error_page(request, principal, exc, back="/alerts")
    incident = None
    if alert.incident_id is not None:
        incident = incidents.get_incident(session, principal.actor, f"id:{alert.incident_id}")
    prefill = "\n".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    return render(
        request,
        "alerts/detail.html",
        principal,
        {
            "section": "alerts",
            "alert": alert,
            "incident": incident,
            "integration": alerts.get_integration(session, alert.integration_id),
            "history": queries.history(session, alert.id),
            "prefill": prefill or f"fingerprint={alert.fingerprint}",
            "problem": problem,
            "now": clock.now(session),
        },
        status=status,
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_detail(
    alert_id: int, request: Request, session: UnitOfWork, principal: PagePrincipal
) -> Response:
    return _alert_page(request, session, principal, alert_id)


@router.post("/alerts/{alert_id}/actions/{action}", response_class=HTMLResponse)
def act_on_alert(
    alert_id: int,
    action: str,
    request: Request,
    session: UnitOfWork,
    principal: PagePrincipal,
    back: Annotated[str, Form(max_length=20)] = "alert",
) -> Response:
    try:
        if action not in ("acknowledge", "resolve"):
            raise Invalid(f"{action!r} is not an action on alerts", field="action")
        with attempt(session):
            queries.get_visible_alert(session, alert_id, actor=principal.actor)
            alert = queries.act_on_alert(
                session, actor=principal.actor, alert_id=alert_id, action=action
            )
    except AppError as exc:
        if exc.status_code in (403, 404, 422):
            return error_page(request, principal, exc, back="/alerts")
        return _alert_page(
            request, session, principal, alert_id, problem=exc.message, status=exc.status_code
        )
    _forget(request, alert.integration_id, alert.fingerprint)
    return RedirectResponse("/alerts" if back == "list" else f"/alerts/{alert_id}", status_code=303)
