"""Usage found in relayed answers of every framing, across any chunking, bytes unchanged."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from aigw.logs import LogRecord
from aigw.providers.registry import PROVIDERS
from aigw.usage import usage_tap
from tests.fakes.aws_eventstream import encode_json_event as encode_event

USAGE = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


async def _chunks(data: bytes, size: int):  # noqa: ANN202
    for i in range(0, len(data), size):
        yield data[i:i + size]


def tap(data: bytes, content_type: str, size: int, slug: str = "openai",
        model: str = "gpt-4o", headers: dict[str, str] | None = None) -> tuple[bytes, LogRecord]:
    log = LogRecord(id="x", created_at="t", provider=slug, model=model)

    async def run() -> bytes:
        answer = {"content-type": content_type, **(headers or {})}
        return b"".join([c async for c in usage_tap(_chunks(data, size), answer,
                                                     PROVIDERS[slug], log, None)])
    return asyncio.run(run()), log


def sse(*events: dict, names: bool = False) -> bytes:
    return b"".join((f"event: {e.get('type')}\n" if names else "").encode()
                    + f"data: {json.dumps(e)}\n\n".encode() for e in events)


@pytest.mark.parametrize("size", [1, 5, 64, 10_000])
def test_openai_stream_usage_is_found_and_bytes_pass_unchanged(size):
    chunk = {"choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": None}
    data = sse(chunk, {"choices": [], "usage": USAGE}) + b"data: [DONE]\n\n"
    out, log = tap(data, "text/event-stream; charset=utf-8", size)
    assert out == data
    assert (log.tokens_in, log.tokens_out) == (12, 3)
    assert log.cost == pytest.approx((12 * 2.5 + 3 * 10) / 1e6)


@pytest.mark.parametrize("size", [3, 4096])
def test_json_usage_is_found(size):
    data = json.dumps({"object": "chat.completion", "usage": USAGE}).encode()
    out, log = tap(data, "application/json", size)
    assert out == data and (log.tokens_in, log.tokens_out) == (12, 3)


def test_answers_without_usage_leave_the_log_alone():
    _, log = tap(b"data: {\"usage\": null}\n\n", "text/event-stream", 7)
    assert log.tokens_in is None and log.cost is None


@pytest.mark.parametrize("size", [1, 17, 4096])
def test_anthropic_stream_counts_input_at_start_and_output_at_the_end(size):
    data = sse({"type": "message_start", "message": {
                   "model": "claude-sonnet-4-5", "usage": {
                       "input_tokens": 100, "cache_read_input_tokens": 1000,
                       "cache_creation_input_tokens": 2000, "output_tokens": 1}}},
               {"type": "content_block_delta", "delta": {"text": "usage"}},
               {"type": "message_delta", "usage": {"output_tokens": 300}},
               {"type": "message_stop"}, names=True)
    out, log = tap(data, "text/event-stream", size, "anthropic", "claude-sonnet-4-5")
    assert out == data
    assert (log.tokens_in, log.tokens_out, log.cached_tokens, log.cache_write_tokens) == \
        (3100, 300, 1000, 2000)
    assert log.cost == pytest.approx((100 * 3 + 1000 * 0.3 + 2000 * 3.75 + 300 * 15) / 1e6)


def test_gemini_json_array_stream_takes_the_last_count():
    data = json.dumps([
        {"candidates": [], "usageMetadata": {"promptTokenCount": 10}},
        {"candidates": [], "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 7,
                                             "thoughtsTokenCount": 3}}]).encode()
    _, log = tap(data, "application/json; charset=UTF-8", 9, "google-ai-studio",
                 "gemini-2.5-flash")
    assert (log.tokens_in, log.tokens_out, log.reasoning_tokens) == (10, 10, 3)


def test_bedrock_invoke_stream_reads_the_invocation_metrics():
    inner = [{"type": "message_start", "message": {"usage": {"input_tokens": 10}}},
             {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
                 "inputTokenCount": 10, "outputTokenCount": 20}}]
    data = b"".join(encode_event("chunk", {"bytes": base64.b64encode(
        json.dumps(e).encode()).decode()}) for e in inner)
    out, log = tap(data, "application/vnd.amazon.eventstream", 11, "aws-bedrock",
                   "amazon.nova-pro-v1:0")
    assert out == data and (log.tokens_in, log.tokens_out) == (10, 20)
    assert log.cost == pytest.approx((10 * 0.8 + 20 * 3.2) / 1e6)


def test_bedrock_converse_stream_metadata():
    data = encode_event("messageStart", {"role": "assistant"}) + encode_event(
        "metadata", {"usage": {"inputTokens": 5, "outputTokens": 6, "totalTokens": 11}})
    _, log = tap(data, "application/vnd.amazon.eventstream", 7, "aws-bedrock", "x")
    assert (log.tokens_in, log.tokens_out, log.cost) == (5, 6, None)  # unknown model: null


def test_a_broken_stream_never_breaks_the_relay():
    data = b"data: {\"usage\":{broken\n\n" + sse({"choices": [], "usage": USAGE})
    out, log = tap(data, "text/event-stream", 4)
    assert out == data and log.tokens_in == 12
