"""Usage for OpenAI-shaped streams whose client did not ask for it, invisibly.

OpenAI-shaped APIs report a stream's usage only when asked (`stream_options.include_usage`).
To log tokens and cost for every stream, the gateway asks on the client's behalf (providers whose
declaration says they accept the option) and then undoes what asking changes in the answer, per
OpenAI's documented behaviour of the option: an extra chunk with `choices: []` and the usage
before `[DONE]`, and `"usage": null` on every other chunk. The client receives the bytes it would
have received without the gateway.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from aigw.json_input import parse_json
from aigw.providers.spec import Provider

STREAMING_PATHS = ("/chat/completions", "/completions")
_ASK = b'"stream_options":{"include_usage":true},'
#: A `"usage":null` member with its leading comma (OpenAI puts it after `choices`, so it is never
#: the first member). Raw `"` never occurs inside a JSON string (it is escaped there), so this
#: cannot match string content; the last match on a line is the top-level one.
_NULL_USAGE = re.compile(rb',\s*"usage"\s*:\s*null(?=\s*[,}])')
_EVENT_END = re.compile(rb"\r?\n\r?\n")


def wants_usage(body: dict[str, Any]) -> bool:
    """Whether an OpenAI-shaped request streams without asking for usage."""
    options = body.get("stream_options")
    return body.get("stream") is True and not (
        isinstance(options, dict) and options.get("include_usage"))


def ask_in_body(body: dict[str, Any]) -> dict[str, Any]:
    """The request with `include_usage` set (other stream options kept)."""
    options = body.get("stream_options")
    return {**body, "stream_options": {**(options if isinstance(options, dict) else {}),
                                       "include_usage": True}}


def ask_for_usage(provider: Provider, path: str, body: bytes) -> bytes | None:
    """Passthrough: the request body asking for usage, or None to send it as it is.

    When the client sent no `stream_options` the option is inserted as the object's first
    member, so every byte the client wrote is forwarded as written.
    """
    if (not provider.stream_usage_option or b'"stream"' not in body
            or not path.split("?", 1)[0].endswith(STREAMING_PATHS)):
        return None
    try:
        data = parse_json(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not wants_usage(data):
        return None
    if "stream_options" not in data:
        start = body.index(b"{") + 1
        return body[:start] + _ASK + body[start:]
    return json.dumps(ask_in_body(data), separators=(",", ":")).encode()


async def hide_usage(chunks: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    """The stream as it would have been without `include_usage`: whole events pass as soon as
    they are complete, minus the usage-only chunk, with `"usage":null` members removed."""
    pending = b""
    async with aclosing(chunks) as source:
        async for chunk in source:
            pending += chunk
            ends = list(_EVENT_END.finditer(pending))
            if not ends:
                continue
            cut = ends[-1].end()
            out = _strip(pending[:cut])
            pending = pending[cut:]
            if out:
                yield out
    if pending:
        yield _strip(pending)


def _strip(events: bytes) -> bytes:
    parts = _EVENT_END.split(events)
    seps = _EVENT_END.findall(events)
    out = []
    for i, event in enumerate(parts):
        sep = seps[i] if i < len(seps) else b""
        if _usage_only(event):
            continue
        lines = [_drop_null_usage(line) if line.startswith(b"data:") else line
                 for line in event.split(b"\n")]
        out.append(b"\n".join(lines) + sep)
    return b"".join(out)


def _drop_null_usage(line: bytes) -> bytes:
    matches = list(_NULL_USAGE.finditer(line))
    if not matches:
        return line
    last = matches[-1]
    return line[:last.start()] + line[last.end():]


def _usage_only(event: bytes) -> bool:
    if b'"usage":{' not in event and b'"usage": {' not in event:
        return False
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            try:
                data = json.loads(line[5:])
            except ValueError:
                return False
            return (isinstance(data, dict) and data.get("choices") == []
                    and isinstance(data.get("usage"), dict))
    return False
