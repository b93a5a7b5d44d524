"""One ASGI app that sends each request to the function API Gateway would invoke for its path."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

_COMPAT = re.compile(r"^/v1/[^/]+/[^/]+/compat(?:/|$)")


@dataclass
class Dispatcher:
    inference: ASGIApp
    compat: ASGIApp
    management: ASGIApp

    def pick(self, path: str) -> ASGIApp:
        if path.startswith("/client/v4/"):
            return self.management
        if _COMPAT.match(path):
            return self.compat
        return self.inference

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            # The function apps hold no lifespan state (Lambda never sends lifespan events).
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self.pick(scope.get("path", ""))(scope, receive, send)
