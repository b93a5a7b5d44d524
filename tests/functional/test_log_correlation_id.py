"""Powertools Logger lines carry the request's log id as `correlation_id`, per request, even
when requests interleave in one process (the id lives in a context variable per task)."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from aigw.log_context import gateway_logger
from aigw.web.request_context import RequestContextMiddleware


class Lines(logging.Handler):
    """Keeps what Powertools' own formatter makes of each record."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(gateway_logger().registered_formatter)
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def slow(request: Request) -> PlainTextResponse:
    name = request.query_params["n"]
    await asyncio.sleep(0.05 if name == "first" else 0.0)  # the second request logs first
    logging.getLogger("aigw.providers").warning("served %s", name)
    return PlainTextResponse(name)


def test_each_requests_lines_carry_its_own_log_id() -> None:
    app = RequestContextMiddleware(Starlette(routes=[Route("/work", slow)]))
    lines = Lines()
    logging.getLogger("aigw").addHandler(lines)

    async def both() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return list(await asyncio.gather(client.get("/work?n=first"),
                                             client.get("/work?n=second")))
    # A loop of its own: asyncio.run would leave the thread without a current loop afterwards.
    loop = asyncio.new_event_loop()
    try:
        first, second = loop.run_until_complete(both())
    finally:
        loop.close()
        logging.getLogger("aigw").removeHandler(lines)
    by_message = {line["message"]: line for line in lines.lines}
    assert by_message["served second"]["correlation_id"] == second.headers["cf-aig-log-id"]
    assert by_message["served first"]["correlation_id"] == first.headers["cf-aig-log-id"]
    assert first.headers["cf-aig-log-id"] != second.headers["cf-aig-log-id"]
    assert by_message["served first"]["service"] == "aigw"
