"""Stream decoding (SSE, AWS event stream) and SSE framing: owned by the core, not adapters.

Decoders take the upstream body as it arrives, in arbitrary chunk boundaries, and yield
`StreamEvent`s; `sse_frame` is the only place `data: ...\\n\\n` is written.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from aigw.errors import UpstreamStreamError
from aigw.json_input import parse_json
from aigw.providers.spec import StreamEvent


def sse_frame(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[StreamEvent]:
    """Server-sent events whose data is JSON; `[DONE]` and comments are skipped."""
    buffer = b""
    event: str | None = None
    data_lines: list[bytes] = []
    async for chunk in chunks:
        buffer += chunk
        while True:
            nl = buffer.find(b"\n")
            if nl < 0:
                break
            line, buffer = buffer[:nl].rstrip(b"\r"), buffer[nl + 1:]
            if line == b"":
                if data_lines:
                    parsed = _parse_data(b"\n".join(data_lines))
                    if parsed is not None:
                        yield StreamEvent(event, parsed)
                event, data_lines = None, []
            elif line.startswith(b":"):
                continue
            elif line.startswith(b"event:"):
                event = line[6:].strip().decode()
            elif line.startswith(b"data:"):
                data_lines.append(line[5:].lstrip(b" "))
    tail = buffer.rstrip(b"\r")
    if tail.startswith(b"data:"):
        data_lines.append(tail[5:].lstrip(b" "))
    if data_lines:
        parsed = _parse_data(b"\n".join(data_lines))
        if parsed is not None:
            yield StreamEvent(event, parsed)


def _parse_data(data: bytes) -> dict[str, Any] | None:
    if data.strip() == b"[DONE]":
        return None
    try:
        value = parse_json(data)
    except ValueError as e:
        raise UpstreamStreamError("the upstream sent a malformed stream event") from e
    return value if isinstance(value, dict) else {"value": value}


async def aws_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[StreamEvent]:
    """AWS event-stream frames (Bedrock), decoded with botocore's own parser."""
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    async for chunk in chunks:
        buffer.add_data(chunk)
        for message in buffer:
            headers = message.headers
            kind = headers.get(":message-type")
            payload = json.loads(message.payload or b"{}")
            if kind == "event":
                yield StreamEvent(headers.get(":event-type"), payload)
            elif kind == "exception":
                # Named by its exception type, so the provider maps it to a status and type.
                yield StreamEvent(headers.get(":exception-type"), payload)
            else:
                name = headers.get(":error-code") or "error"
                text = payload.get("message") or headers.get(":error-message") or name
                raise UpstreamStreamError(f"upstream stream error ({name}): {text}")
