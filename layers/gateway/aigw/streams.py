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


class SseParser:
    """Incremental SSE parsing: bytes in any chunking in, `(event name, data)` per complete
    event out (data lines joined by newlines; comments skipped)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.event: str | None = None
        self.data_lines: list[bytes] = []

    def feed(self, chunk: bytes) -> list[tuple[str | None, bytes]]:
        out: list[tuple[str | None, bytes]] = []
        self.buffer += chunk
        while True:
            nl = self.buffer.find(b"\n")
            if nl < 0:
                return out
            line, self.buffer = self.buffer[:nl].rstrip(b"\r"), self.buffer[nl + 1:]
            if line == b"":
                if self.data_lines:
                    out.append((self.event, b"\n".join(self.data_lines)))
                self.event, self.data_lines = None, []
            elif line.startswith(b":"):
                continue
            elif line.startswith(b"event:"):
                self.event = line[6:].strip().decode("utf-8", "replace")
            elif line.startswith(b"data:"):
                self.data_lines.append(line[5:].lstrip(b" "))

    def close(self) -> list[tuple[str | None, bytes]]:
        """The last event, when the stream ended without its blank line."""
        tail = self.buffer.rstrip(b"\r")
        if tail.startswith(b"data:"):
            self.data_lines.append(tail[5:].lstrip(b" "))
        out = [(self.event, b"\n".join(self.data_lines))] if self.data_lines else []
        self.buffer, self.event, self.data_lines = b"", None, []
        return out


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[StreamEvent]:
    """Server-sent events whose data is JSON; `[DONE]` and comments are skipped."""
    parser = SseParser()
    async for chunk in chunks:
        for name, data in parser.feed(chunk):
            parsed = _parse_data(data)
            if parsed is not None:
                yield StreamEvent(name, parsed)
    for name, data in parser.close():
        parsed = _parse_data(data)
        if parsed is not None:
            yield StreamEvent(name, parsed)


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
