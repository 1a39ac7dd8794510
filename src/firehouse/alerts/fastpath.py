"""Sender endpoints answered in front of the application: the same handlers as the routes in
`compat`, reached without Starlette's middleware stack and route table (which together cost
more than answering a repeated alert). `FirehouseApp.__call__` hands them here; they still get
what `RequestContext` gives every request: a request id, the body limit, a log line and the
security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from firehouse.alerts import compat
from firehouse.api import errors
from firehouse.api.middleware import RequestContext

Handler = Callable[..., Awaitable[Response]]
Call = tuple[Handler, dict[str, Any]]

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
_SCOPE_KEY = "firehouse.intake"


def route(path: str) -> Call | None:
    handler = EXACT.get(path)
    if handler is not None:
        return handler, {}
    if path.startswith("/integrations/"):
        parts = path.split("/")  # "", "integrations", key, kind
        if len(parts) == 4 and parts[2]:
            by_key = BY_KEY.get(parts[3])
            if by_key is not None:
                return by_key, {"key": parts[2]}
    return None


class IntakeFront:
    """Answers a sender's POST for `app` (the application, as `request.app`)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.context = RequestContext(self._answer, max_body_bytes=max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, call: Call) -> None:
        scope["app"] = self.app
        scope[_SCOPE_KEY] = call
        await self.context(scope, receive, send)

    @staticmethod
    async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
        handler, params = scope[_SCOPE_KEY]
        chunks = []
        while True:  # past the limit, RequestContext's receive raises and answers 413
            message = await receive()
            if message["type"] != "http.request":
                return  # the sender hung up before its body arrived
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        request = _Received(scope, b"".join(chunks))
        try:
            response = await handler(request, **params)
        except Exception:
            response = errors.unhandled(request)
        await response(scope, receive, send)


class _Received(Request):
    """A request whose body was read up front (one loop, not Starlette's stream)."""

    def __init__(self, scope: Scope, body: bytes) -> None:
        super().__init__(scope)
        self._received = body

    async def body(self) -> bytes:
        return self._received
