"""One handler maps every error to `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from firehouse.api.middleware import BodyTooLarge
from firehouse.errors import AppError, RateLimited, Unauthorized

log = logging.getLogger("firehouse.errors")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid",
    429: "rate_limited",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/integrations/")) and "text/html" in (
        request.headers.get("accept", "")
    )


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    result = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            where, loc = loc[0], loc[1:]
        else:
            where = "body"
        result.append(
            {"field": ".".join(loc) or where, "in": where, "message": err.get("msg", "invalid")}
        )
    return result


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if isinstance(exc, Unauthorized) and _wants_html(request):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        fields = field_errors(exc)
        names = ", ".join(f["field"] for f in fields)
        return JSONResponse(
            error_body("invalid", f"invalid input: {names}", fields), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        details = {"limit": exc.limit} if isinstance(exc, BodyTooLarge) else None
        return JSONResponse(
            error_body(code, message, details), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        return unhandled(request)


def unhandled(request: Request) -> Response:
    """Logs the exception being handled; a 500 that names the request, nothing more."""
    log.exception("unhandled error")
    request_id = getattr(request.state, "request_id", None)
    return JSONResponse(
        error_body("internal", "internal error", {"request_id": request_id}), status_code=500
    )
