"""The policy stage: the one place that orders the steps of a data-plane request.

Passthrough, each universal step, compat chat and embeddings (and each model node of a dynamic
route) run the same steps, in this order; a surface adds only its translation:

    1. gateway auth          `authenticate`: load the gateway (warm cache), check its token,
                             read the `cf-aig-*` options
    2. cache lookup          `aigw.cache` plans the key; a hit is replayed and skips 3-5
    3. admission             gateway rate limit, stored-key rate limit, spend limits
                             (`aigw.limits`), refused with 429 before anything is sent
    4. credential + upstream the surface's `call`: credential in the spec's precedence (the IAM
                             role only without `byok_only` / `cf-aig-no-wholesale`), attached,
                             sent with timeouts and retries (`aigw.upstream`)
    5. translation           the surface's `answer`: status, headers and body; its taps put
                             usage and cost on the log record as the body passes
    6. finish                charge spend -> store the answer in the cache -> emit the log
                             record, all before the response's last byte (`finish`)

Step 6 runs inside the response body: for a plain answer before its last chunk is handed on
(one chunk of look-ahead), for a stream before the `data: [DONE]` event or, for streams
without one, right after the last chunk and before the response is closed. Lambda may freeze
the process once the response has ended, so nothing essential happens after it. A client that
hangs up still gets its spend charged and its record emitted (the body's `finally`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.responses import StreamingResponse

from aigw.cache import CachePlan, plan_cache
from aigw.config import Settings, get_settings
from aigw.credentials import attach, client_credential, resolve_credential
from aigw.errors import GatewayError
from aigw.forwarding import header_bytes, request_headers, response_headers
from aigw.gateways import load_gateway
from aigw.limits import admit_key_rate, admit_rate, admit_spend, charge_spend
from aigw.logs import LogRecord
from aigw.own_tokens import authenticate_with, screen
from aigw.providers.registry import (
    CustomLookup,
    is_user_configured,
    resolve_provider,
    route_request,
)
from aigw.providers.spec import Provider
from aigw.request_options import RequestOptions, effective_retry, parse_request_options
from aigw.stores import custom_provider_headers as header_store
from aigw.stores.config_store import config_store
from aigw.stores.counters import Window
from aigw.stores.response_cache import MAX_BODY_BYTES, CachedAnswer, response_cache
from aigw.stream_usage import ask_for_usage, hide_usage
from aigw.upstream import UpstreamRequest, UpstreamResponse, body_chunks, send_with_retries
from aigw.usage import model_of, usage_tap
from aigw.web.request_context import finish_record

#: Content types whose bodies are event streams: relayed without look-ahead.
STREAM_TYPES = ("text/event-stream", "application/vnd.amazon.eventstream", "application/x-ndjson")
#: Headers never stored with a cached answer (one client's cookie is not another's).
_NOT_CACHED_HEADERS = frozenset({"set-cookie"})


@dataclass
class Exchange:
    """One request (or one universal step) passing the stage: what the steps read and decide."""

    log: LogRecord
    account_id: str
    gateway_id: str
    gateway: dict[str, Any]
    options: RequestOptions
    provider: Provider
    settings: Settings
    model: str | None = None
    #: The provider credential the client sent itself (its cache scope), None if it sent none.
    client_credential: str | None = None
    #: Spend counters admitted against, charged with the answer's cost in `finish`.
    spend: list[Window] = field(default_factory=list)
    cache: CachePlan | None = None
    finished: bool = False

    @property
    def allow_role(self) -> bool:
        """Whether the function's IAM role may sign when no key is at hand (spec section 2)."""
        return not (self.gateway.get("byok_only") or self.options.no_wholesale)


@dataclass
class Answer:
    """What a surface made of the upstream's response: relayed or translated."""

    status: int
    headers: list[tuple[str, str]]
    body: AsyncGenerator[bytes, None]
    #: An event stream: relayed chunk by chunk, finished before its `[DONE]`.
    stream: bool = False


async def one_chunk(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


def bytes_answer(status: int, body: bytes, headers: list[tuple[str, str]] | None = None,
                 content_type: str = "application/json") -> Answer:
    """An answer the gateway composed in memory (translated JSON, an error in a surface's
    shape)."""
    return Answer(status, [("content-type", content_type), *(headers or [])], one_chunk(body))


def json_answer(status: int, content: Any, headers: list[tuple[str, str]] | None = None) -> Answer:
    """`content` as compact JSON, serialised as Starlette's JSONResponse does."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return bytes_answer(status, body.encode(), headers)


Call = Callable[[], Awaitable[UpstreamResponse]]
Translate = Callable[[UpstreamResponse], Awaitable[Answer]]


def is_stream(content_type: str | None) -> bool:
    return (content_type or "").startswith(STREAM_TYPES)


# --------------------------------------------------------------------- 1. gateway auth


def authenticate(account_id: str, gateway_id: str, headers: Mapping[str, str],
                 log: LogRecord,
                 gateway_headers: Mapping[str, str] | None = None
                 ) -> tuple[dict[str, Any], RequestOptions]:
    """The gateway (authenticated with `gateway_headers`, default `headers`) and the request's
    `cf-aig-*` options; fills the record's identity and collection fields."""
    log.account_id, log.gateway_id = account_id, gateway_id
    options = parse_request_options(headers)
    log.metadata = options.metadata
    gateway = load_gateway(account_id, gateway_id, gateway_headers or headers)
    # load_gateway has checked the token when the gateway requires one.
    log.authentication = bool(gateway.get("authentication"))
    log.collect = options.collect_log if options.collect_log is not None else bool(
        gateway.get("collect_logs", True))
    log.payload = options.collect_log_payload
    return gateway, options


# --------------------------------------------------------------------- 2-5, in order


async def run(ex: Exchange, method: str, path_query: str, body: bytes, call: Call,
              translate: Translate) -> StreamingResponse:
    """Steps 2-6 for an authenticated exchange. `path_query` and `body` are the client's, for
    the cache key; `call` resolves the credential and sends; `translate` shapes the answer."""
    ex.cache = plan_cache(ex.options, ex.gateway, ex.account_id, ex.gateway_id,
                          ex.provider.slug, method, path_query, body, ex.client_credential)
    if ex.cache is not None:
        hit = response_cache().get(ex.cache.key)
        if hit is not None:
            return replay(ex, hit)
    admit_rate(ex.account_id, ex.gateway_id, ex.gateway)
    if ex.client_credential is None:
        admit_key_rate(ex.account_id, ex.gateway_id, ex.provider.slug,
                       ex.options.byok_alias or "default")
    ex.spend = admit_spend(ex.account_id, ex.gateway_id, ex.gateway, ex.provider.slug,
                           ex.model, ex.options.metadata)
    resp = await call()
    return respond(ex, await translate(resp))


def respond(ex: Exchange, answer: Answer) -> StreamingResponse:
    status = "MISS" if ex.cache is not None else None
    return streaming(answer.status, answer.headers, finishing(ex, answer), status,
                     answer.stream)


def replay(ex: Exchange, hit: CachedAnswer) -> StreamingResponse:
    """A cached answer, chunk by chunk as it was recorded; it costs nothing."""
    ex.log.cached = True
    ex.log.cost = 0.0
    ex.log.tokens_in, ex.log.tokens_out = hit.tokens_in, hit.tokens_out

    async def chunks() -> AsyncGenerator[bytes, None]:
        for chunk in hit.chunks:
            yield chunk

    content_type = next((v for k, v in hit.headers if k == "content-type"), None)
    answer = Answer(hit.status, hit.headers, chunks(), is_stream(content_type))
    return streaming(hit.status, hit.headers, finishing(ex, answer), "HIT", answer.stream)


class WholeResponse(StreamingResponse):
    """A plain (non-stream) answer: the head goes out with the first body chunk, not before.

    The finish step runs before the last chunk; sending the head first and the body after a
    pause (a cache store, a spend charge) lets Nagle and delayed ACKs stall the client for up
    to ~200 ms (measured in bench/policy.py). Streams keep Starlette's head-first order."""

    async def stream_response(self, send: Any) -> None:
        chunks = aiter(self.body_iterator)
        first = await anext(chunks, None)
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        if first is not None:
            await send({"type": "http.response.body", "body": first, "more_body": True})
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def streaming(status: int, headers: list[tuple[str, str]], body: AsyncIterator[bytes],
              cache_status: str | None, stream: bool = False) -> StreamingResponse:
    response = (StreamingResponse if stream else WholeResponse)(body, status_code=status)
    # Raw pairs, not a dict: a header the upstream repeats (`set-cookie`) keeps every value.
    pairs = [*headers, *([("cf-aig-cache-status", cache_status)] if cache_status else [])]
    response.raw_headers = [(name, value) for name, value in
                            ((k.lower().encode("latin-1", "replace"), header_bytes(v))
                             for k, v in pairs) if value is not None]
    return response


# --------------------------------------------------------------------- 6. finish


async def finishing(ex: Exchange, answer: Answer) -> AsyncGenerator[bytes, None]:
    """`answer.body`, with `finish` run before its last byte (see the module docstring)."""
    record: list[bytes] | None = [] if (ex.cache is not None and not ex.log.cached
                                        and 200 <= answer.status < 300) else None
    size = 0

    def keep(chunk: bytes) -> None:
        nonlocal record, size
        if record is not None and chunk:
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                record = None  # too large to cache: not stored (see stores.response_cache)
            else:
                record.append(chunk)

    try:
        async with aclosing(answer.body) as source:
            if answer.stream:
                async for chunk in source:
                    keep(chunk)
                    if chunk.rstrip().endswith(b"data: [DONE]"):
                        finish(ex, answer, record, chunk)
                    yield chunk
            else:
                pending: bytes | None = None
                async for chunk in source:
                    if pending is not None:
                        yield pending
                    keep(chunk)
                    pending = chunk
                finish(ex, answer, record, pending or b"")
                if pending is not None:
                    yield pending
        finish(ex, answer, record)
    except Exception as e:
        ex.log.success = False  # the body failed midway (a hang-up is not an Exception)
        if isinstance(e, GatewayError):
            ex.log.error_code = e.code  # e.g. 2006: the upstream stalled past the idle timeout
        raise
    finally:
        finish(ex, answer, None)


def finish(ex: Exchange, answer: Answer, recorded: list[bytes] | None,
           tail: bytes = b"") -> None:
    """Usage and cost are on the record already (the surface's taps); charge the spend
    counters, store a complete successful answer in the cache, then emit the log record.
    Runs once per exchange; `recorded` is None when the body did not complete; `tail` is the
    last chunk, not yet handed to the server (the record's response head includes it)."""
    if ex.finished:
        return
    ex.finished = True
    log = ex.log
    if not log.status_code:  # a plain answer finishes before its head is sent
        log.status_code, log.success = answer.status, 200 <= answer.status < 400
        log.response_content_type = next(
            (v for k, v in answer.headers if k.lower() == "content-type"), None)
    charge_spend(ex.spend, log.cost)
    if ex.cache is not None and recorded is not None and log.success is not False:
        stored = [(k, v) for k, v in answer.headers if k.lower() not in _NOT_CACHED_HEADERS]
        response_cache().put(ex.cache.key, CachedAnswer(answer.status, stored, recorded,
                                                        log.tokens_in, log.tokens_out),
                             ex.cache.ttl)
    finish_record(log, tail)


# --------------------------------------------------------------------- passthrough


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
    """A provider-native request, forwarded and relayed unchanged through the stage."""
    settings = get_settings()
    log.provider = req.provider
    # aigw's own tokens are never forwarded: taken out here, they can only authenticate.
    screened = screen(req.headers, req.query)
    req = replace(req, headers=screened.headers, query=screened.query)
    headers = {k.lower(): v for k, v in req.headers}
    authenticate_with(req.account_id, screened.tokens, headers)
    gateway, options = authenticate(req.account_id, req.gateway_id, headers, log)
    provider = resolve_provider(req.provider, custom_lookup(req.account_id))
    target = route_request(provider, req.rest, req.account_id, settings)
    url = target.url + (f"?{req.query}" if req.query else "")
    content_type = headers.get("content-type")
    log.request_content_type = content_type
    ex = Exchange(log, req.account_id, req.gateway_id, gateway, options, provider, settings)
    log.model = ex.model = log.model or model_of(provider, req.rest, req.body, content_type)
    # OpenAI-shaped streams are asked for usage when the client did not ask (hidden again below).
    asked = ask_for_usage(provider, req.rest, req.body)
    upstream_body = req.body if asked is None else asked
    ex.client_credential = client_credential(provider.auth, headers, req.query)

    async def call() -> UpstreamResponse:
        query_keys = {p.split("=", 1)[0] for p in req.query.split("&") if p}
        use, secret = resolve_credential(provider, req.account_id, req.gateway_id,
                                         options.byok_alias, headers, query_keys, settings,
                                         allow_role=ex.allow_role)
        ex.log.wholesale = use.source == "role"  # the stack's own account pays
        out_headers = await attach(provider, use, secret, target, url, req.method,
                                   request_headers(req.headers), upstream_body, settings)
        timeout = options.request_timeout_ms / 1000 if options.request_timeout_ms else None
        return await send_with_retries(UpstreamRequest(req.method, url, out_headers, upstream_body,
                                                       egress=is_user_configured(provider)),
                                       effective_retry(options, gateway), timeout)

    async def translate(resp: UpstreamResponse) -> Answer:
        body = usage_tap(relay(resp), resp.headers, provider, log, options.custom_cost)
        return Answer(resp.status, response_headers(resp.headers.items()),
                      body if asked is None else hide_usage(body),
                      is_stream(resp.headers.get("content-type")))

    return await run(ex, req.method, req.rest + (f"?{req.query}" if req.query else ""),
                     req.body, call, translate)


async def relay(resp: UpstreamResponse) -> AsyncGenerator[bytes, None]:
    """Yield upstream bytes as they arrive. A mid-body failure re-raises: the server then aborts
    the response, so the client sees a truncated stream (headers were already sent), and the
    log record says success false."""
    # aclosing: when the client goes away (or universal skips this answer) the upstream
    # connection is released at once, not whenever the generator is collected.
    async with aclosing(body_chunks(resp)) as chunks:
        async for chunk in chunks:
            yield chunk
