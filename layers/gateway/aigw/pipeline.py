"""The one place that orders the steps of a data-plane request.

parse route -> load gateway (warm cache) -> authenticate -> provider + target (host safety)
-> credential -> upstream call (timeout, retries, backoff) -> relay as it arrives -> log record
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import AsyncIterator

from starlette.responses import StreamingResponse

from aigw.config import get_settings
from aigw.credentials import attach, resolve_credential
from aigw.forwarding import request_headers, response_headers
from aigw.gateways import load_gateway
from aigw.logs import LogRecord
from aigw.providers.registry import resolve_provider, route_request
from aigw.request_options import effective_retry, parse_request_options
from aigw.stores.config_store import config_store
from aigw.upstream import UpstreamRequest, UpstreamResponse, body_chunks, send_with_retries


@dataclass
class Incoming:
    """What the pipeline needs from the HTTP request, independent of the web framework."""

    method: str
    account_id: str
    gateway_id: str
    provider: str
    #: The client's path after `/{provider}`, still percent-encoded as received.
    rest: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes


def custom_lookup(account_id: str):  # noqa: ANN201 - small closure factory
    return lambda slug: config_store().custom_providers.cached_get(account_id, slug)


async def passthrough(req: Incoming, log: LogRecord) -> StreamingResponse:
    settings = get_settings()
    headers = {k.lower(): v for k, v in req.headers}
    log.account_id, log.gateway_id, log.provider = req.account_id, req.gateway_id, req.provider
    options = parse_request_options(headers)
    log.metadata = options.metadata
    gateway = load_gateway(req.account_id, req.gateway_id, headers)
    log.collect = options.collect_log if options.collect_log is not None else bool(
        gateway.get("collect_logs", True))
    log.payload = options.collect_log_payload
    provider = resolve_provider(req.provider, custom_lookup(req.account_id))
    target = route_request(provider, req.rest, req.account_id, settings)
    url = target.url + (f"?{req.query}" if req.query else "")
    query_keys = {p.split("=", 1)[0] for p in req.query.split("&") if p}
    use, secret = resolve_credential(provider, req.account_id, req.gateway_id,
                                     options.byok_alias, headers, query_keys, settings)
    out_headers = await attach(provider, use, secret, target, url, req.method,
                               request_headers(req.headers), req.body, settings)
    log.request_content_type = headers.get("content-type")
    timeout = options.request_timeout_ms / 1000 if options.request_timeout_ms else None
    resp = await send_with_retries(UpstreamRequest(req.method, url, out_headers, req.body),
                                   effective_retry(options, gateway), timeout)
    return StreamingResponse(relay(resp), status_code=resp.status,
                             headers=dict(response_headers(resp.headers.items())))


async def relay(resp: UpstreamResponse) -> AsyncIterator[bytes]:
    """Yield upstream bytes as they arrive. A mid-body failure re-raises: the server then aborts
    the response, so the client sees a truncated stream (headers were already sent), and the
    log record says success false."""
    # aclosing: when the client goes away (or universal skips this answer) the upstream
    # connection is released at once, not whenever the generator is collected.
    async with aclosing(body_chunks(resp)) as chunks:
        async for chunk in chunks:
            yield chunk
