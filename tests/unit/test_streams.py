"""The core's stream decoders: any chunk boundary, CRLF, comments, [DONE], AWS frames."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from aigw.errors import UpstreamStreamError
from aigw.streams import SSE_DONE, aws_events, sse_events, sse_frame
from tests.fakes.aws_eventstream import encode_exception, encode_json_event


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def collect(decoder, data: bytes, size: int) -> list:  # noqa: ANN001
    async def run() -> list:
        return [e async for e in decoder(_chunks(data, size))]
    return asyncio.run(run())


SSE = (b": keep-alive\r\n\r\nevent: message_start\r\ndata: {\"a\": 1}\r\n\r\n"
       b"data: {\"b\":\r\ndata: 2}\n\n" + b"data: [DONE]\n\n")


@pytest.mark.parametrize("size", [1, 2, 7, 1000])
def test_sse_events_survive_any_chunk_boundary(size):
    events = collect(sse_events, SSE, size)
    assert [(e.event, e.data) for e in events] == [("message_start", {"a": 1}), (None, {"b": 2})]


def test_sse_event_without_trailing_blank_line_is_still_delivered():
    assert [e.data for e in collect(sse_events, b'data: {"x": 1}', 3)] == [{"x": 1}]


def test_malformed_sse_data_is_an_upstream_stream_error():
    with pytest.raises(UpstreamStreamError):
        collect(sse_events, b"data: {not json\n\n", 100)


def test_sse_frame_round_trips_through_the_decoder():
    frame = sse_frame({"k": "v"}) + SSE_DONE
    assert [e.data for e in collect(sse_events, frame, 5)] == [{"k": "v"}]


@pytest.mark.parametrize("size", [1, 13, 4096])
def test_aws_event_stream_frames_decode_across_boundaries(size):
    data = (encode_json_event("messageStart", {"role": "assistant"})
            + encode_json_event("contentBlockDelta", {"delta": {"text": "hi"}}))
    events = collect(aws_events, data, size)
    assert [(e.event, e.data) for e in events] == [
        ("messageStart", {"role": "assistant"}), ("contentBlockDelta", {"delta": {"text": "hi"}})]


def test_aws_exception_frames_reach_the_translation_named_by_their_type():
    data = encode_exception("throttlingException", "slow down")
    events = collect(aws_events, data, 64)
    assert events[0].event == "throttlingException"
    assert json.loads(json.dumps(events[0].data))["message"] == "slow down"
