"""Token usage and cost onto the log record, for answers the gateway relays byte for byte.

OpenAI-shaped answers carry `usage` in the JSON body, or — streamed — in the last chunk that has
one. The tap passes every chunk through untouched and keeps only what it needs to find it: the
whole body for JSON (bounded), the unfinished last line for SSE.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from aigw.costs import estimate_cost, price_of
from aigw.json_input import parse_json
from aigw.logs import LogRecord

MAX_JSON_BODY = 1 << 20


def record_usage(log: LogRecord, usage: Any, custom: dict[str, float] | None) -> None:
    """Tokens and the cost estimate (or the client's `cf-aig-custom-cost`) onto the log."""
    if not isinstance(usage, dict):
        return
    log.tokens_in = usage.get("prompt_tokens", log.tokens_in)
    log.tokens_out = usage.get("completion_tokens", log.tokens_out)
    log.cost = estimate_cost(price_of(log.provider or "", log.model or ""), usage, custom)
    log.custom_cost = custom is not None


def usage_in_json(body: bytes) -> Any:
    try:
        data = parse_json(body)
    except ValueError:
        return None
    return data.get("usage") if isinstance(data, dict) else None


def usage_in_line(line: bytes) -> Any:
    """`usage` of one SSE `data:` line, if it carries a non-null one (cheap checks first)."""
    line = line.strip()
    if not line.startswith(b"data:") or b'"usage"' not in line:
        return None
    if b'"usage":null' in line or b'"usage": null' in line:
        return None
    usage = usage_in_json(line[5:].strip())
    return usage if isinstance(usage, dict) else None


async def usage_tap(chunks: AsyncGenerator[bytes, None], content_type: str | None, log: LogRecord,
                    custom: dict[str, float] | None) -> AsyncGenerator[bytes, None]:
    streaming = "text/event-stream" in (content_type or "")
    is_json = "json" in (content_type or "")
    kept = bytearray()  # JSON: the body; SSE: the unfinished last line
    async with aclosing(chunks) as source:
        async for chunk in source:
            if streaming:
                # Lines are checked as they pass, so usage is recorded even when a client
                # hangs up right after `[DONE]`, before this generator would finish its loop.
                kept += chunk
                *lines, rest = bytes(kept).split(b"\n")
                kept = bytearray(rest[-MAX_JSON_BODY:])
                for line in lines:
                    usage = usage_in_line(line)
                    if usage is not None:
                        record_usage(log, usage, custom)
            elif is_json and len(kept) <= MAX_JSON_BODY:
                kept += chunk
            yield chunk
    if is_json and not streaming and len(kept) <= MAX_JSON_BODY:
        record_usage(log, usage_in_json(bytes(kept)), custom)
