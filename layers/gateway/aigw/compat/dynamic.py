"""`model: "dynamic/{name}"` on compat chat and embeddings: run the route's deployed graph.

The gateway is authenticated once, the route read from the warm config cache (changes are seen
within `AIGW_CONFIG_CACHE_SECONDS`), and the graph walked by `aigw.routing.engine`. Each `model`
element is one ordinary compat call (`surface_call`: the same steps as `model:
"{provider}/{model}"`) with the element's model, its `timeout` as `cf-aig-request-timeout` and
its `retries` as `cf-aig-max-attempts`. A call counts as answered when its first byte is in
hand: a stream that fails or times out before its first byte falls back, one that fails later
ends in an error event (the client already has the start of the answer).

The answer carries `cf-aig-model` and `cf-aig-provider` of the model that answered; the log
record gets the route's name, the deployed version and the elements passed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response, StreamingResponse

from aigw.compat.upstream_call import split_auth
from aigw.errors import GatewayError, InvalidRequest, UpstreamTimeout
from aigw.gateways import load_gateway
from aigw.logs import LogRecord
from aigw.request_options import parse_request_options
from aigw.routing.conditions import RequestFacts
from aigw.routing.engine import RateCounters, RouteRun, run_graph
from aigw.routing.graph import Graph, Node, compile_graph
from aigw.stores.route_store import route_store

PREFIX = "dynamic/"
#: The compat call of one model element: (account, gateway, headers, body, log) -> answer.
SurfaceCall = Callable[[str, str, dict[str, str], bytes, LogRecord], Awaitable[Response]]
#: Request headers a condition may not read (credentials).
_SECRET_HEADERS = frozenset({"authorization", "cf-aig-authorization", "x-api-key", "api-key",
                             "x-goog-api-key", "proxy-authorization", "cookie"})
_graphs: dict[tuple[str, str, str, str], Graph] = {}


def route_name(body: Mapping[str, Any]) -> str | None:
    """The route a body names (`"dynamic/{name}"`), or None for an ordinary model."""
    model = body.get("model")
    if isinstance(model, str) and model.startswith(PREFIX):
        return model[len(PREFIX):]
    return None


@dataclass
class CompatAttempt:
    """One model element's answer (`ok`: it started) or failure (a response or an error)."""

    ok: bool
    response: Response | None = None
    error: GatewayError | None = None

    async def discard(self) -> None:
        if isinstance(self.response, StreamingResponse):
            closer = getattr(self.response.body_iterator, "aclose", None)
            if closer is not None:
                with suppress(Exception):
                    await closer()


def _graph(account_id: str, gateway_id: str, route: dict[str, Any]) -> Graph:
    """The route's live graph, compiled once per version per warm process. Providers were
    checked when the version was created; one deleted since then fails at call time and
    falls back like any failing model."""
    key = (account_id, gateway_id, route["id"], route["version"]["version_id"])
    graph = _graphs.get(key)
    if graph is None:
        if len(_graphs) > 1024:
            _graphs.clear()
        graph = _graphs[key] = compile_graph(route["elements"], lambda slug: True)
    return graph


async def dynamic_route(account_id: str, gateway_id: str, headers: dict[str, str],
                        body: dict[str, Any], log: LogRecord, surface_call: SurfaceCall,
                        counters: RateCounters) -> Response:
    """Run route `body["model"]` for one compat request and return the answer it chose."""
    name = route_name(body) or ""
    log.account_id, log.gateway_id, log.model = account_id, gateway_id, body.get("model")
    gateway_headers, _ = split_auth(headers, account_id, gateway_id)
    load_gateway(account_id, gateway_id, gateway_headers)
    route = route_store().live_route(account_id, gateway_id, name)
    if route is None:
        raise InvalidRequest(f"no dynamic route named '{name[:64]}' in gateway '{gateway_id}'",
                             param="model")
    log.route, log.route_version = route["name"], route["version"]["version_id"]
    facts = RequestFacts(body=body, metadata=parse_request_options(headers).metadata,
                         headers={k: v for k, v in headers.items() if k not in _SECRET_HEADERS})

    async def call(node: Node) -> CompatAttempt:
        return await _call_model(node, account_id, gateway_id, headers, body, log, surface_call)

    run = await run_graph(_graph(account_id, gateway_id, route), facts, log.id, counters, call,
                          f"route:{account_id}:{gateway_id}:{route['id']}")
    log.route_path = run.path
    return _answer(run, log, counters)


async def _call_model(node: Node, account_id: str, gateway_id: str, headers: dict[str, str],
                      body: dict[str, Any], log: LogRecord,
                      surface_call: SurfaceCall) -> CompatAttempt:
    step = node.model
    assert step is not None
    options = dict(headers)
    options["cf-aig-max-attempts"] = str(step.retries + 1)
    if step.timeout_ms is not None:
        options["cf-aig-request-timeout"] = str(step.timeout_ms)
    raw = json.dumps({**body, "model": f"{step.provider}/{step.model}"}).encode()
    log.tokens_in = log.tokens_out = log.cost = None
    started = time.monotonic()
    try:
        response = await surface_call(account_id, gateway_id, options, raw, log)
    except GatewayError as e:
        return CompatAttempt(False, error=e)
    if response.status_code >= 400:
        return CompatAttempt(False, response=response)
    # What answered, on every surface (embeddings' relayed answers do not set it themselves).
    _set_header(response, "cf-aig-provider", step.provider)
    _set_header(response, "cf-aig-model", step.model)
    if not _is_stream(response):
        # A complete answer (its status says how it went): committed without reading it, so
        # the stage's finish still runs as the client reads the body.
        return CompatAttempt(True, response=response)
    assert isinstance(response, StreamingResponse)
    left = None
    if step.timeout_ms is not None:
        left = max(0.001, step.timeout_ms / 1000 - (time.monotonic() - started))
    return await _first_byte(response, left)


def _is_stream(response: Response) -> bool:
    content_type = dict(response.raw_headers).get(b"content-type", b"")
    return isinstance(response, StreamingResponse) and content_type.startswith(
        b"text/event-stream")


def _set_header(response: Response, name: str, value: str) -> None:
    key = name.encode("latin-1")
    response.raw_headers = [(k, v) for k, v in response.raw_headers if k != key]
    response.raw_headers.append((key, value.encode("latin-1")))


async def _first_byte(response: StreamingResponse, timeout_s: float | None) -> CompatAttempt:
    """Commit to a streamed answer once its first chunk arrives (within `timeout_s`)."""
    source = response.body_iterator
    try:
        first = await asyncio.wait_for(anext(aiter(source)), timeout_s)
    except StopAsyncIteration:
        first = b""
    except TimeoutError:
        await CompatAttempt(False, response=response).discard()
        return CompatAttempt(False, error=UpstreamTimeout(
            "the model sent no first byte within the route element's timeout"))
    except GatewayError as e:
        await CompatAttempt(False, response=response).discard()
        return CompatAttempt(False, error=e)
    chunk = first if isinstance(first, bytes) else str(first).encode()
    if chunk.startswith(b'data: {"error"'):
        # The relayed stream broke before anything else was sent: nothing reached the client.
        await CompatAttempt(False, response=response).discard()
        return CompatAttempt(False, error=GatewayError("the model's stream failed before its "
                                                       "first chunk", status=502))

    async def replay() -> AsyncIterator[bytes]:
        try:
            yield chunk
            async for rest in source:
                yield rest if isinstance(rest, bytes) else str(rest).encode()
        finally:
            await CompatAttempt(False, response=response).discard()  # a client that hung up

    committed = StreamingResponse(replay(), status_code=response.status_code)
    committed.raw_headers = response.raw_headers
    return CompatAttempt(True, response=committed)


def _answer(run: RouteRun, log: LogRecord, counters: RateCounters) -> Response:
    if run.refused is not None:
        raise run.refused
    attempt: CompatAttempt | None = run.attempt
    if attempt is None:
        raise GatewayError("the route reached its end without calling a model")
    if attempt.response is None:
        assert attempt.error is not None
        raise attempt.error
    if not attempt.ok or not run.cost_windows:
        return attempt.response
    return _charging(attempt.response, run.cost_windows, log, counters)


def _charging(response: Response, windows: list[tuple[str, int]], log: LogRecord,
              counters: RateCounters) -> Response:
    """Charge the answer's cost to the route's `cost` counters before its last byte."""
    charged = False

    def charge() -> None:
        nonlocal charged
        if charged:
            return
        charged = True
        if log.cost:
            for key, window_s in windows:
                counters.charge(key, window_s, log.cost)

    if not isinstance(response, StreamingResponse):
        charge()
        return response
    source = response.body_iterator
    stream = _is_stream(response)

    async def body() -> AsyncIterator[bytes]:
        try:
            pending: bytes | None = None
            async for chunk in source:
                data = chunk if isinstance(chunk, bytes) else str(chunk).encode()
                if stream:
                    if data.rstrip().endswith(b"data: [DONE]"):
                        charge()  # a stream's usage has arrived before its [DONE]
                    yield data
                    continue
                if pending is not None:
                    yield pending
                pending = data
            charge()
            if pending is not None:
                yield pending
        finally:
            charge()

    wrapped = StreamingResponse(body(), status_code=response.status_code)
    wrapped.raw_headers = response.raw_headers
    return wrapped
