"""Usage found in relayed OpenAI-shaped answers, across any chunking."""

from __future__ import annotations

import asyncio
import json

import pytest

from aigw.logs import LogRecord
from aigw.usage import usage_tap

USAGE = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


async def _chunks(data: bytes, size: int):  # noqa: ANN202
    for i in range(0, len(data), size):
        yield data[i:i + size]


def tap(data: bytes, content_type: str, size: int) -> tuple[bytes, LogRecord]:
    log = LogRecord(id="x", created_at="t", provider="openai", model="gpt-5-mini")

    async def run() -> bytes:
        return b"".join([c async for c in usage_tap(_chunks(data, size), content_type, log,
                                                     None)])
    return asyncio.run(run()), log


@pytest.mark.parametrize("size", [1, 5, 64, 10_000])
def test_stream_usage_is_found_and_bytes_pass_unchanged(size):
    chunk = {"choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": None}
    data = (f"data: {json.dumps(chunk)}\n\n"
            f"data: {json.dumps({'choices': [], 'usage': USAGE})}\n\ndata: [DONE]\n\n").encode()
    out, log = tap(data, "text/event-stream; charset=utf-8", size)
    assert out == data
    assert (log.tokens_in, log.tokens_out) == (12, 3) and log.cost is not None


@pytest.mark.parametrize("size", [3, 4096])
def test_json_usage_is_found(size):
    data = json.dumps({"object": "chat.completion", "usage": USAGE}).encode()
    out, log = tap(data, "application/json", size)
    assert out == data and (log.tokens_in, log.tokens_out) == (12, 3)


def test_answers_without_usage_leave_the_log_alone():
    _, log = tap(b"data: {\"usage\": null}\n\n", "text/event-stream", 7)
    assert log.tokens_in is None and log.cost is None
