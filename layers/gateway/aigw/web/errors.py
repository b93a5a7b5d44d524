"""Renders the one error family, once per surface.

- `gateway`: Cloudflare AI Gateway's data-plane envelope (spec section 5): `success`, `result`,
  `messages`, `error: [{code, message}]`, `name: "AiGatewayError"`, `httpCode` (the HTTP status)
  and `internalCode` (the first error's code). Used by passthrough and universal.
- `management`: the Cloudflare API v4 envelope (`errors: [{code, message, path?}]`).
- `openai`: OpenAI's `{"error": {message, type, code, param}}`, so OpenAI SDKs raise typed errors.

FastAPI's own failures (unknown route, wrong method, unparseable body) and any unexpected
exception are turned into the same shapes: clients never see a traceback or a bare 500 page.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from aigw.errors import (
    ErrorDetail,
    GatewayError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from aigw.web.request_context import STATE_KEY

Surface = Literal["gateway", "management", "openai"]

#: The `name` Cloudflare AI Gateway gives its own data-plane errors (spec section 5).
GATEWAY_ERROR_NAME = "AiGatewayError"

logger = logging.getLogger("aigw")


def error_body(err: GatewayError, surface: Surface) -> dict:
    if surface == "openai":
        return {"error": {"message": err.message, "type": err.openai_type, "code": err.code,
                          "param": err.param}}
    details = [d.as_dict() for d in err.details]
    if surface == "management":
        return {"success": False, "errors": details, "messages": [], "result": None}
    return {"success": False, "result": [], "messages": [], "error": details,
            "name": GATEWAY_ERROR_NAME, "httpCode": err.status, "internalCode": err.code}


def error_response(err: GatewayError, surface: Surface,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(err, surface), status_code=err.status, headers=headers)


def _from_http_exception(exc: StarletteHTTPException) -> GatewayError:
    if exc.status_code == 405:
        return MethodNotAllowed("Method not allowed for this route")
    if exc.status_code == 404:
        return NotFound("No route for that URI", code=7000)
    if exc.status_code == 413:
        return PayloadTooLarge(str(exc.detail))
    return GatewayError(str(exc.detail), status=exc.status_code)


def install_error_handlers(app: FastAPI, surface: Surface) -> None:
    async def on_gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        record = request.scope.get("state", {}).get(STATE_KEY)
        if record is not None:
            record.error_code = exc.code
        return error_response(exc, surface, exc.headers)

    async def on_http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own headers (a 405's `Allow`) are kept.
        return error_response(_from_http_exception(exc), surface, headers=dict(exc.headers or {}))

    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [ErrorDetail(7001, f"Input Validation Error: {e.get('msg', 'invalid')}",
                               [p for p in e.get("loc", ())]) for e in exc.errors()]
        return error_response(InvalidRequest("Input Validation Error", code=7001,
                                             details=details), surface)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the type and place only: exception messages can carry request data.
        logger.error("unhandled %s on %s %s", type(exc).__name__, request.method,
                     request.url.path, exc_info=False)
        return error_response(GatewayError("Internal gateway error"), surface)

    app.add_exception_handler(GatewayError, on_gateway_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http_exception)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, on_unexpected)
