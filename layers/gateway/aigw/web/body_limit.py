"""Request bodies over the deployed ceiling are refused with 413, in the surface's error shape.

Deployed, a request reaches a function as one Lambda invocation whose payload (the whole API
Gateway event) is at most 6 MiB (6,291,456 bytes). The REST API's binary media types are `*/*`,
so API Gateway base64-encodes every body: a body of N bytes takes 4N/3 of the event, next to the
headers (twice: `headers` and `multiValueHeaders`) and the request context. The real ceiling for
a body is therefore about 4.5 MiB less those; `AIGW_MAX_BODY_BYTES` (template.yaml, 4 MiB) keeps
clear of it, and local mode reads the same variable from the template, so a body refused deployed
is refused locally. Bodies between the limit and the ceiling get this 413; a larger one never
reaches the function (Lambda refuses the invocation and API Gateway answers with its own error).

The declared `Content-Length` is checked before anything is read; a body without one (chunked)
is counted as it arrives and refused once it passes the limit.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException

from aigw.config import get_settings
from aigw.errors import PayloadTooLarge
from aigw.web.errors import Surface, error_response
from aigw.web.request_context import STATE_KEY


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body too large: the limit is {limit} bytes")


def declared_length(scope: dict[str, Any]) -> int | None:
    """The request's `Content-Length`, if it sent a well-formed one."""
    value = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), b"")
    return int(value) if value.strip().isdigit() else None


class BodyLimitMiddleware:
    """Pure ASGI, inside the request-context middleware (so a 413 has its log id and record)."""

    def __init__(self, app: Any, surface: Surface) -> None:
        self.app, self.surface = app, surface

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        limit = get_settings().max_body_bytes
        if scope["type"] == "http" and (declared_length(scope) or 0) > limit:
            err = too_large(limit)
            record = scope.get("state", {}).get(STATE_KEY)
            if record is not None:
                record.error_code = err.code
            await error_response(err, self.surface)(scope, receive, send)
            return
        received = 0

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException, not the GatewayError: FastAPI re-raises it from body
                    # parsing unchanged (it turns other exceptions there into 400s), and the
                    # error handlers map 413 to PayloadTooLarge.
                    raise StarletteHTTPException(413, too_large(limit).message)
            return message

        await self.app(scope, counted if scope["type"] == "http" else receive, send)
