"""Token usage and cost onto the log record, for every answer the gateway relays or translates.

The tap passes every chunk through untouched and decodes a copy by the answer's framing (JSON
body, SSE, AWS event stream); the provider's `UsageReader` says where the counts are. It only
observes: a chunk it cannot decode never disturbs the relay. Usage is recorded as soon as it is
seen, so a client that hangs up right after the last event still gets a complete record.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any

from aigw.costs import cost_of
from aigw.json_input import parse_json as parse_json_input
from aigw.logs import LogRecord
from aigw.providers.spec import Provider, StreamEvent, Usage, UsageReader
from aigw.providers.usage_readers import openai_usage, reader_for
from aigw.streams import SseParser

MAX_JSON_BODY = 1 << 20
EVENTSTREAM = "application/vnd.amazon.eventstream"


def record_usage(log: LogRecord, provider: Provider, usage: Usage | None,
                 rates: dict[str, float] | None) -> None:
    """Tokens and the cost (catalogue, or the client's `cf-aig-custom-cost`) onto the log."""
    if usage is None or not usage.reported:
        return
    log.tokens_in = usage.input_tokens if usage.input_tokens is not None else log.tokens_in
    log.tokens_out = usage.output_tokens if usage.output_tokens is not None else log.tokens_out
    log.cached_tokens = usage.cache_read_tokens
    log.cache_write_tokens = usage.cache_write_tokens
    log.reasoning_tokens = usage.reasoning_tokens
    log.model = log.model or usage.model
    log.cost = cost_of(provider.prices, log.model, usage, rates)
    log.custom_cost = bool(rates)


def record_openai_usage(log: LogRecord, provider: Provider, usage: Any,
                        rates: dict[str, float] | None) -> None:
    """Record OpenAI-shaped `usage` (what compat translations produce)."""
    record_usage(log, provider, openai_usage(usage), rates)


def parse_json(data: bytes) -> Any:
    """JSON, or None for what is not (RFC 8259 JSON only: no NaN, bounded nesting)."""
    try:
        return parse_json_input(data)
    except ValueError:
        return None


class UsageWatch:
    """Accumulates one answer's usage as its pieces are decoded, recording each update."""

    def __init__(self, log: LogRecord, provider: Provider, rates: dict[str, float] | None):
        self.log, self.provider, self.rates = log, provider, rates
        self.reader: UsageReader = reader_for(provider)
        self.usage = Usage()

    def add(self, found: Usage | None) -> None:
        if found is not None:
            self.usage = self.usage.updated(found)
            record_usage(self.log, self.provider, self.usage, self.rates)


async def usage_tap(chunks: AsyncGenerator[bytes, None], headers: Mapping[str, str],
                    provider: Provider, log: LogRecord,
                    rates: dict[str, float] | None) -> AsyncGenerator[bytes, None]:
    """Yield `chunks` unchanged while reading the answer's usage onto `log`."""
    watch = UsageWatch(log, provider, rates)
    reader = watch.reader
    content_type = (headers.get("content-type") or "").lower()
    if reader.headers is not None:
        watch.add(reader.headers(headers))
    if "text/event-stream" in content_type:
        observe = _sse_observer(watch)
    elif EVENTSTREAM in content_type:
        observe = _eventstream_observer(watch)
    elif "json" in content_type:
        observe = _json_observer(watch)
    else:
        observe = None
    async with aclosing(chunks) as source:
        try:
            async for chunk in source:
                if observe is not None:
                    try:
                        observe(chunk)
                    except Exception:  # noqa: BLE001 - the tap observes; it never breaks a relay
                        observe = None
                yield chunk
        finally:
            if observe is not None:
                with contextlib.suppress(Exception):  # the tap never breaks a relay
                    observe(None)


Observer = Any  # Callable[[bytes | None], None]: a chunk, or None at the end


def _sse_observer(watch: UsageWatch) -> Observer:
    parser = SseParser()
    markers = watch.reader.markers

    def observe(chunk: bytes | None) -> None:
        events = parser.feed(chunk) if chunk is not None else parser.close()
        if len(parser.buffer) > MAX_JSON_BODY:
            parser.buffer = b""
        for name, data in events:
            if markers and not any(m in data for m in markers):
                continue
            parsed = parse_json(data)
            if isinstance(parsed, dict):
                watch.add(watch.reader.event(StreamEvent(name, parsed)))
    return observe


def _eventstream_observer(watch: UsageWatch) -> Observer:
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()

    def observe(chunk: bytes | None) -> None:
        if chunk is None:
            return
        buffer.add_data(chunk)
        for message in buffer:
            if message.headers.get(":message-type") != "event":
                continue
            parsed = parse_json(message.payload or b"{}")
            if isinstance(parsed, dict):
                watch.add(watch.reader.event(
                    StreamEvent(message.headers.get(":event-type"), parsed)))
    return observe


def _json_observer(watch: UsageWatch) -> Observer:
    kept = bytearray()

    def observe(chunk: bytes | None) -> None:
        if chunk is not None:
            if len(kept) <= MAX_JSON_BODY:
                kept.extend(chunk)
            return
        if len(kept) <= MAX_JSON_BODY:
            watch.add(watch.reader.body(parse_json(bytes(kept))))
    return observe


def model_of(provider: Provider, path: str, body: bytes, content_type: str | None) -> str | None:
    """The model a passthrough request names (its JSON body's `model`, or the path for
    providers that put it there), for the log record and the price. Large bodies are not parsed
    (256 KiB): the model is then read from the answer where the provider reports it."""
    parsed = None
    if "json" in (content_type or "") and len(body) <= 256 << 10 and b'"model"' in body:
        parsed = parse_json(body)
    return reader_for(provider).model(path, parsed)
