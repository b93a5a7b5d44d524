"""One ASGI app that sends each request to the function API Gateway would invoke for its path."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aigw.config import HIDDEN_VARIABLES

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

_COMPAT = re.compile(r"^/v1/[^/]+/[^/]+/compat(?:/|$)")


@dataclass
class Dispatcher:
    inference: ASGIApp
    compat: ASGIApp
    management: ASGIApp
    #: Per function: the template variables other functions get and it does not. While a
    #: function serves a request, the gateway's settings are read without them, so one process
    #: gives each function the environment the template gives it.
    hidden: dict[str, frozenset[str]] = field(default_factory=dict)

    def function_for(self, path: str) -> str:
        if path.startswith(("/client/v4/", "/dashboard/")) or path == "/dashboard":
            return "management"
        if _COMPAT.match(path):
            return "compat"
        return "inference"

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
        function = self.function_for(scope.get("path", ""))
        token = HIDDEN_VARIABLES.set(self.hidden.get(function, frozenset()))
        try:
            await getattr(self, function)(scope, receive, send)
        finally:
            HIDDEN_VARIABLES.reset(token)
