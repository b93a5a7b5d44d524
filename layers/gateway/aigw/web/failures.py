"""The last line of defence: no traceback and no bare 500 for anything a request raises.

Starlette's outermost `ServerErrorMiddleware` renders an unexpected exception and then always
re-raises it, so the server prints a traceback; and a failure after the response has started
(an upstream that breaks mid-body, a stalled stream) reaches it as a `RuntimeError`. This
middleware sits inside the request-context one and:

- before the response has started: logs one line (type and route, never the message, which can
  carry request data) and answers the surface's 500 shape through `aigw.web.errors`;
- after it has started: marks the log record failed with the gateway error's code and returns,
  so the server closes the connection (the client sees a truncated body, as it must: a clean end
  would pass a cut answer off as complete). The server's own one-line notice is the only log.
"""

from __future__ import annotations

import logging
from typing import Any

from aigw.errors import GatewayError
from aigw.web.errors import Surface, error_response
from aigw.web.request_context import STATE_KEY

logger = logging.getLogger("aigw")


def _gateway_error(exc: BaseException) -> GatewayError | None:
    seen: BaseException | None = exc
    for _ in range(4):  # the error itself, or what Starlette wrapped it in
        if isinstance(seen, GatewayError):
            return seen
        if seen is None:
            return None
        seen = seen.__cause__ or seen.__context__
    return None


class FailureMiddleware:
    def __init__(self, app: Any, surface: Surface) -> None:
        self.app, self.surface = app, surface

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the boundary: everything is answered here
            record = scope.get("state", {}).get(STATE_KEY)
            known = _gateway_error(exc)
            if record is not None:
                record.success = False
                record.error_code = known.code if known else 5000
            if started:
                return
            if known is None:
                logger.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"),
                             scope.get("path"))
                known = GatewayError("Internal gateway error")
            await error_response(known, self.surface)(scope, receive, tracking_send)
