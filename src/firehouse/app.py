"""create_app(settings) -> FastAPI: wires routers, middleware, templates and the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from firehouse import __version__, bootstrap
from firehouse.alerts import fastpath
from firehouse.api import errors
from firehouse.api.deps import CurrentActor  # module level: FastAPI resolves the annotation here
from firehouse.api.middleware import RequestContext
from firehouse.clock import Clock
from firehouse.db import Database
from firehouse.settings import Settings

WEB_DIR = Path(__file__).parent / "web"


class FirehouseApp(FastAPI):
    """FastAPI, with alert senders' POSTs (`alerts.fastpath`) answered before Starlette's
    middleware stack: most are repeats answered from memory, and the stack's layers cost more
    than the answer."""

    intake_front: fastpath.IntakeFront | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self.intake_front
        if front is not None and scope["type"] == "http" and scope["method"] == "POST":
            call = fastpath.route(scope["path"])
            if call is not None:
                await front(scope, receive, send, call)
                return
        await super().__call__(scope, receive, send)


def make_database(settings: Settings, clock: Clock | None = None) -> Database:
    return Database(
        settings.database_url,
        clock=clock,
        pool_size=settings.db_pool_size,
        sqlite_synchronous=settings.sqlite_synchronous,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )


def prepare_database(db: Database, settings: Settings) -> str | None:
    """Migrate (when allowed), seed defaults and make the first admin. Returns a generated
    admin password to show once, or None."""
    secret = bootstrap.AdminSecret(
        settings.admin_password, in_background=settings.auto_migrate and db.is_empty()
    )
    if settings.auto_migrate:
        db.migrate()
    with db.session() as session:
        bootstrap.ensure_defaults(session)
        return bootstrap.ensure_admin(session, secret=secret)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
) -> FirehouseApp:
    from firehouse.alerts import api as alerts_api
    from firehouse.alerts import compat as alerts_compat
    from firehouse.alerts import pages as alerts_pages
    from firehouse.api import health
    from firehouse.audit import api as audit_api
    from firehouse.auth import api as auth_api
    from firehouse.catalog import api as catalog_api
    from firehouse.escalation import api as escalation_api
    from firehouse.escalation import pages as escalation_pages
    from firehouse.incidents import api as incidents_api
    from firehouse.notify import api as notify_api
    from firehouse.notify import oneclick as notify_oneclick
    from firehouse.notify import pages as notify_pages
    from firehouse.people import api as people_api
    from firehouse.postmortems import api as postmortems_api
    from firehouse.postmortems import pages as postmortems_pages
    from firehouse.schedules import api as schedules_api
    from firehouse.schedules import pages as schedules_pages
    from firehouse.statuspage import routes as statuspage_routes
    from firehouse.web import pages

    settings = settings or Settings()
    db = database or make_database(settings, clock)
    app = FirehouseApp(
        title="firehouse",
        version=__version__,
        description="Self-hosted incident management.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # no OpenTelemetry here; FastAPI would otherwise look for providers on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.db = db
    app.state.templates = pages.make_templates(WEB_DIR / "templates")
    errors.install(app)
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    app.intake_front = fastpath.IntakeFront(app, max_body_bytes=settings.max_body_bytes)
    for router in (
        health.router,
        auth_api.router,
        people_api.router,
        catalog_api.router,
        incidents_api.router,
        schedules_api.router,
        schedules_api.feeds_router,
        schedules_pages.router,
        postmortems_api.router,
        postmortems_pages.router,
        alerts_api.router,
        alerts_compat.router,
        alerts_pages.router,
        audit_api.router,
        escalation_api.router,
        escalation_pages.router,
        notify_api.router,
        notify_oneclick.router,
        notify_pages.router,
        notify_pages.admin_router,
        *statuspage_routes.routers(),
        *pages.routers(),
    ):
        app.include_router(router)
    _add_openapi_route(app)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


def _add_openapi_route(app: FastAPI) -> None:
    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi(actor: CurrentActor) -> dict[str, Any]:
        return app.openapi()
