"""The one place that orders the steps of a data-plane request.

parse route -> load gateway (warm cache) -> authenticate -> provider + target (host safety)
-> credential -> upstream call (timeout, retries, backoff) -> relay as it arrives -> log record
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import Any

from starlette.responses import StreamingResponse

from aigw.config import get_settings
from aigw.credentials import attach, resolve_credential
from aigw.forwarding import header_bytes, request_headers, response_headers
from aigw.gateways import load_gateway
from aigw.logs import LogRecord
from aigw.own_tokens import authenticate_with, screen
from aigw.providers.registry import (
    CustomLookup,
    is_user_configured,
    resolve_provider,
    route_request,
)
from aigw.request_options import effective_retry, parse_request_options
from aigw.stores import custom_provider_headers as header_store
from aigw.stores.config_store import config_store
from aigw.stream_usage import ask_for_usage, hide_usage
from aigw.upstream import UpstreamRequest, UpstreamResponse, body_chunks, send_with_retries
from aigw.usage import model_of, usage_tap


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


def custom_lookup(account_id: str) -> CustomLookup:
    """The account's custom providers by slug, from the warm-process config cache."""
    def lookup(slug: str) -> dict[str, Any] | None:
        doc = config_store().custom_providers.cached_get(account_id, slug)
        # Header values are secrets: read (cached) from Secrets Manager, never kept in the doc.
        return header_store.with_values(doc) if doc else None

    return lookup


async def passthrough(req: Incoming, log: LogRecord) -> StreamingResponse:
    settings = get_settings()
    log.account_id, log.gateway_id, log.provider = req.account_id, req.gateway_id, req.provider
    # aigw's own tokens are never forwarded: taken out here, they can only authenticate.
    screened = screen(req.headers, req.query)
    req = replace(req, headers=screened.headers, query=screened.query)
    headers = {k.lower(): v for k, v in req.headers}
    authenticate_with(req.account_id, screened.tokens, headers)
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
    log.request_content_type = headers.get("content-type")
    log.model = log.model or model_of(provider, req.rest, req.body, log.request_content_type)
    # OpenAI-shaped streams are asked for usage when the client did not ask (hidden again below).
    asked = ask_for_usage(provider, req.rest, req.body)
    upstream_body = req.body if asked is None else asked
    out_headers = await attach(provider, use, secret, target, url, req.method,
                               request_headers(req.headers), upstream_body, settings)
    timeout = options.request_timeout_ms / 1000 if options.request_timeout_ms else None
    resp = await send_with_retries(UpstreamRequest(req.method, url, out_headers, upstream_body,
                                                   egress=is_user_configured(provider)),
                                   effective_retry(options, gateway), timeout)
    body = usage_tap(relay(resp), resp.headers, provider, log, options.custom_cost)
    return relayed(resp, body if asked is None else hide_usage(body))


def relayed(resp: UpstreamResponse, body: AsyncGenerator[bytes, None],
            extra: dict[str, str] | None = None) -> StreamingResponse:
    """The upstream's status and headers around `body`, plus `extra` headers."""
    response = StreamingResponse(body, status_code=resp.status)
    # Raw pairs, not a dict: a header the upstream repeats (`set-cookie`) keeps every value.
    pairs = [*response_headers(resp.headers.items()), *(extra or {}).items()]
    response.raw_headers = [(name, value) for name, value in
                            ((k.lower().encode("latin-1", "replace"), header_bytes(v))
                             for k, v in pairs) if value is not None]
    return response


async def relay(resp: UpstreamResponse) -> AsyncGenerator[bytes, None]:
    """Yield upstream bytes as they arrive. A mid-body failure re-raises: the server then aborts
    the response, so the client sees a truncated stream (headers were already sent), and the
    log record says success false."""
    # aclosing: when the client goes away (or universal skips this answer) the upstream
    # connection is released at once, not whenever the generator is collected.
    async with aclosing(body_chunks(resp)) as chunks:
        async for chunk in chunks:
            yield chunk
