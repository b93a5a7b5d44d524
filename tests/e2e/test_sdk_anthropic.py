"""The official `anthropic` SDK against the local gateway, changing only `base_url` (passthrough).

Messages (plain, the `messages.stream` helper, raw `stream=True` events), a tool_use round trip,
and an upstream 400 that must reach the SDK unchanged as its typed `BadRequestError`.
"""

from __future__ import annotations

import anthropic
import pytest
from anthropic import Anthropic
from anthropic.types import Message, MessageTokensCount, TextBlock, ToolUseBlock

from tests.e2e.sdk_stack import SdkStack
from tests.fakes.credentials import ANTHROPIC_KEY

MODEL = "claude-sonnet-5"
WEATHER_TOOL = {"name": "get_weather", "description": "Current weather for a city",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                 "required": ["city"]}}


@pytest.fixture(scope="module")
def client(sdk_stack: SdkStack) -> Anthropic:
    return Anthropic(base_url=sdk_stack.url("anthropic"), api_key=ANTHROPIC_KEY, max_retries=0,
                     default_headers=sdk_stack.gateway_auth, http_client=sdk_stack.httpx2_client())


def test_message_is_typed_and_forwarded_unchanged(client: Anthropic, stack: SdkStack) -> None:
    message = client.messages.create(model=MODEL, max_tokens=64, system="Be terse",
                                     messages=[{"role": "user", "content": "Say hello"}])

    assert isinstance(message, Message)
    assert message.role == "assistant" and message.model == MODEL
    assert message.stop_reason == "end_turn"
    block = message.content[0]
    assert isinstance(block, TextBlock) and block.text == "Echo: Say hello"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    sent = stack.anthropic.recorder.last
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.json()["system"] == "Be terse"
    assert "anthropic-version" in sent.headers
    assert not any(h.startswith("cf-aig-") for h in sent.headers)


def test_stream_helper_yields_text_deltas(client: Anthropic) -> None:
    with client.messages.stream(model=MODEL, max_tokens=64,
                                messages=[{"role": "user", "content": "one two three"}]) as stream:
        deltas = list(stream.text_stream)
        final = stream.get_final_message()

    assert len(deltas) > 1 and "".join(deltas) == "Echo: one two three"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    assert isinstance(final.content[0], TextBlock) and final.content[0].text == "".join(deltas)


def test_raw_stream_events(client: Anthropic) -> None:
    events = list(client.messages.create(model=MODEL, max_tokens=64, stream=True,
                                         messages=[{"role": "user", "content": "hi there"}]))
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert {"content_block_start", "content_block_delta", "message_delta"} <= set(kinds)
    text = "".join(e.delta.text for e in events
                   if e.type == "content_block_delta" and e.delta.type == "text_delta")
    assert text == "Echo: hi there"


def test_count_tokens(client: Anthropic, stack: SdkStack) -> None:
    counted = client.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "three little words"}])
    assert isinstance(counted, MessageTokensCount) and counted.input_tokens > 0
    assert stack.anthropic.recorder.last.path == "/v1/messages/count_tokens"


def test_tool_use_round_trip(client: Anthropic) -> None:
    question = {"role": "user", "content": "Weather in Oslo?"}
    first = client.messages.create(model=MODEL, max_tokens=128, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                   messages=[question])  # type: ignore[list-item]
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if isinstance(b, ToolUseBlock))
    assert use.name == "get_weather" and use.input == {"city": "Weather in Oslo?"}

    second = client.messages.create(
        model=MODEL, max_tokens=128, tools=[WEATHER_TOOL],  # type: ignore[list-item]
        messages=[question,  # type: ignore[list-item]
                  {"role": "assistant", "content": first.content},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                                "content": "-3C, snow"}]}])
    assert second.stop_reason == "end_turn"
    assert isinstance(second.content[0], TextBlock)
    assert second.content[0].text == "The tool returned: -3C, snow"


def test_upstream_400_reaches_the_sdk_unchanged(client: Anthropic, stack: SdkStack) -> None:
    """A tool_result the previous turn did not ask for: Anthropic's own 400, passed through."""
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(model=MODEL, max_tokens=32, messages=[
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "hi"},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01missing",
                                          "content": "orphan"}]}])

    error = bad.value
    assert error.status_code == 400
    assert error.body == {"type": "error", "request_id": error.request_id, "error": {
        "type": "invalid_request_error",
        "message": "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: "
                   "toolu_01missing. Each `tool_result` block must have a corresponding "
                   "`tool_use` block in the previous message."}}
    assert error.request_id and error.request_id.startswith("req_011C")
    assert error.response.headers["x-should-retry"] == "false"
    assert "cf-aig-log-id" in error.response.headers
    assert len(stack.anthropic.recorder.requests) == 1  # not retried by the gateway
