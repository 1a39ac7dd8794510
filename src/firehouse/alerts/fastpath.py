"""Sender endpoints straight off the ASGI stack: the same handlers as the routes in
`compat`, reached without walking the whole route table (which costs more than answering a
repeated alert). Sits inside RequestContext, so request ids, the body limit, access logs and
security headers still apply."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from firehouse.alerts import compat

Handler = Callable[..., Awaitable[Response]]

EXACT: dict[str, Handler] = {
    "/api/v2/alerts": compat.alertmanager_api,
    "/v2/enqueue": compat.pagerduty_v2,
    "/generic/2010-04-15/create_event.json": compat.pagerduty_v1,
    "/v2/change/enqueue": compat.pagerduty_change,
    "/v2/alerts": compat.opsgenie_create,
}
BY_KEY: dict[str, Handler] = {
    "alertmanager": compat.alertmanager_webhook,
    "grafana": compat.grafana_webhook,
    "generic": compat.generic_alerts,
    "changes": compat.generic_change,
}
KEYED = re.compile(r"^/integrations/([^/]+)/(alertmanager|grafana|generic|changes)$")


class IntakeFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            call = self._route(scope["path"])
            if call is not None:
                handler, params = call
                response = await handler(Request(scope, receive), **params)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _route(path: str) -> tuple[Handler, dict[str, Any]] | None:
        handler = EXACT.get(path)
        if handler is not None:
            return handler, {}
        if path.startswith("/integrations/"):
            found = KEYED.match(path)
            if found is not None:
                return BY_KEY[found.group(2)], {"key": found.group(1)}
        return None
