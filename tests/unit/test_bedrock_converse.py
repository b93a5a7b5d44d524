"""Bedrock Converse translation: each mapping table and the edge cases the fixture cases do
not show."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import ChatCompletionChunk

from aigw.errors import InvalidRequest
from aigw.providers import bedrock_converse, bedrock_stream
from aigw.providers.bedrock_converse import BEDROCK_CONVERSE
from aigw.providers.bedrock_embed import BEDROCK_EMBEDDINGS
from aigw.providers.compat_shapes import UpstreamStreamError
from aigw.providers.spec import StreamEvent

USER = {"role": "user", "content": "Hi"}
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"q": {"type": "string"}}}}}]
MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def body_for(**extra: Any) -> dict[str, Any]:
    return {"messages": [USER], **extra}


def upstream(body: dict[str, Any]) -> dict[str, Any]:
    return BEDROCK_CONVERSE.build_request(body, MODEL).body


def tool_history() -> list[dict[str, Any]]:
    call = {"id": "tooluse_1", "type": "function",
            "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
    return [USER, {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "tooluse_1", "content": "found"}]


# ------------------------------------------------------------------ paths

@pytest.mark.parametrize(("model", "path"), [
    ("anthropic.claude-3-5-sonnet-20240620-v1:0",
     "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"),
    ("meta.llama3-1-70b-instruct-v1:0", "/model/meta.llama3-1-70b-instruct-v1%3A0/converse"),
    ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
     "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
     "us.amazon.nova-pro-v1%3A0/converse"),
])
def test_model_ids_are_percent_encoded_into_one_segment(model: str, path: str) -> None:
    assert BEDROCK_CONVERSE.build_request(body_for(), model).path == path


def test_streaming_uses_converse_stream_and_an_empty_model_is_refused() -> None:
    call = BEDROCK_CONVERSE.build_request(body_for(stream=True), MODEL)
    assert call.path.endswith("/converse-stream") and call.stream
    assert "stream" not in call.body
    with pytest.raises(InvalidRequest):
        BEDROCK_CONVERSE.build_request(body_for(), "")


# ------------------------------------------------------------------ request tables

@pytest.mark.parametrize(("media_type", "fmt"), sorted(bedrock_converse.IMAGE_FORMATS.items()))
def test_image_media_types_map_to_converse_formats(media_type: str, fmt: str) -> None:
    content = [{"type": "image_url", "image_url": {"url": f"data:{media_type};base64,QUJD"}}]
    block = upstream({"messages": [{"role": "user", "content": content}]})["messages"][0]
    assert block["content"] == [{"image": {"format": fmt, "source": {"bytes": "QUJD"}}}]


def test_url_images_are_refused_with_the_reason() -> None:
    content = [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]
    with pytest.raises(InvalidRequest, match="inline") as e:
        upstream({"messages": [{"role": "user", "content": content}]})
    assert e.value.param == "messages[0].content[0].image_url"


@pytest.mark.parametrize("part", [
    {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}},
    {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
])
def test_content_converse_cannot_take_is_refused(part: dict) -> None:
    with pytest.raises(InvalidRequest):
        upstream({"messages": [{"role": "user", "content": [part]}]})


@pytest.mark.parametrize(("choice", "converse"), [
    ("auto", {"auto": {}}),
    ("required", {"any": {}}),
    ({"type": "function", "function": {"name": "lookup"}}, {"tool": {"name": "lookup"}}),
])
def test_tool_choice_maps_to_converse(choice: Any, converse: dict) -> None:
    assert upstream(body_for(tools=TOOLS, tool_choice=choice))["toolConfig"]["toolChoice"] == \
        converse


def test_tool_specs_carry_schema_and_strict_and_default_an_empty_object() -> None:
    tools = [{"type": "function", "function": {"name": "now", "strict": True}}, *TOOLS]
    config = upstream(body_for(tools=tools))["toolConfig"]
    assert "toolChoice" not in config
    assert config["tools"] == [
        {"toolSpec": {"name": "now", "inputSchema": {"json": {"type": "object",
                                                               "properties": {}}},
                      "strict": True}},
        {"toolSpec": {"name": "lookup", "inputSchema": {"json": TOOLS[0]["function"][
            "parameters"]}}}]


def test_tool_choice_none_drops_tools_unless_the_history_has_tool_calls() -> None:
    assert "toolConfig" not in upstream(body_for(tools=TOOLS, tool_choice="none"))
    with pytest.raises(InvalidRequest) as e:
        upstream({"messages": tool_history(), "tools": TOOLS, "tool_choice": "none"})
    assert e.value.param == "tool_choice"


@pytest.mark.parametrize(("effort", "sent"), sorted(bedrock_converse.EFFORTS.items()))
def test_reasoning_effort_maps_to_output_config_effort(effort: str, sent: str | None) -> None:
    out = upstream(body_for(reasoning_effort=effort))
    assert out.get("outputConfig") == ({"effort": sent} if sent else None)


def test_unknown_reasoning_effort_is_refused() -> None:
    with pytest.raises(InvalidRequest) as e:
        upstream(body_for(reasoning_effort="extreme"))
    assert e.value.param == "reasoning_effort"


def test_json_object_mode_is_refused_and_json_schema_needs_a_schema() -> None:
    with pytest.raises(InvalidRequest, match="json_schema"):
        upstream(body_for(response_format={"type": "json_object"}))
    with pytest.raises(InvalidRequest):
        upstream(body_for(response_format={"type": "json_schema", "json_schema": {"name": "x"}}))
    assert "outputConfig" not in upstream(body_for(response_format={"type": "text"}))


@pytest.mark.parametrize(("extra", "param"), [
    ({"n": 2}, "n"),
    ({"logprobs": True}, "logprobs"),
    ({"presence_penalty": 0.5}, "presence_penalty"),
    ({"frequency_penalty": -1}, "frequency_penalty"),
])
def test_parameters_converse_cannot_express_are_refused(extra: dict, param: str) -> None:
    with pytest.raises(InvalidRequest) as e:
        upstream(body_for(**extra))
    assert e.value.param == param


def test_seed_user_and_zero_penalties_are_dropped() -> None:
    assert upstream(body_for(seed=1, user="u", presence_penalty=0, parallel_tool_calls=False)) \
        == {"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}


# ------------------------------------------------------------------ history

def test_tool_results_are_json_for_objects_and_text_otherwise() -> None:
    messages = tool_history()
    messages[2] = {**messages[2], "content": '{"hits": 3}'}
    turn = upstream({"messages": messages, "tools": TOOLS})["messages"][2]
    assert turn == {"role": "user", "content": [{"toolResult": {
        "toolUseId": "tooluse_1", "content": [{"json": {"hits": 3}}]}}]}
    turn = upstream({"messages": tool_history(), "tools": TOOLS})["messages"][2]
    assert turn["content"][0]["toolResult"]["content"] == [{"text": "found"}]


def test_tool_result_for_an_unknown_call_is_refused() -> None:
    messages = [*tool_history()[:2], {"role": "tool", "tool_call_id": "other", "content": "x"}]
    with pytest.raises(InvalidRequest) as e:
        upstream({"messages": messages, "tools": TOOLS})
    assert e.value.param == "messages[2].tool_call_id"


def test_empty_assistant_text_sends_no_blank_block() -> None:
    messages = [USER, {"role": "assistant", "content": ""}, {"role": "user", "content": "?"}]
    assert upstream({"messages": messages})["messages"] == [
        {"role": "user", "content": [{"text": "Hi"}, {"text": "?"}]}]


# ------------------------------------------------------------------ responses

@pytest.mark.parametrize(("reason", "finish"), sorted(bedrock_stream.STOP_REASONS.items()))
def test_stop_reasons_map(reason: str, finish: str) -> None:
    data = {"output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
            "stopReason": reason}
    assert bedrock_stream.parse_response(data, MODEL)["choices"][0]["finish_reason"] == finish


def test_usage_puts_cache_reads_and_writes_into_the_prompt() -> None:
    usage = {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15,
             "cacheReadInputTokens": 100, "cacheWriteInputTokens": 7}
    assert bedrock_stream.openai_usage(usage) == {
        "prompt_tokens": 117, "completion_tokens": 5, "total_tokens": 122,
        "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 7}}


@pytest.mark.parametrize(("data", "message"), [
    ({"message": "The security token included in the request is invalid."},
     "The security token included in the request is invalid."),
    ({"Message": "Malformed input request"}, "Malformed input request"),
    ("", "aws-bedrock returned HTTP 403"),
])
def test_error_messages_are_carried_over(data: Any, message: str) -> None:
    assert BEDROCK_CONVERSE.error_message(403, data) == message


# ------------------------------------------------------------------ streams

def run_stream(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    state = BEDROCK_CONVERSE.new_stream_state(MODEL, False)
    chunks = []
    for kind, data in events:
        chunks += BEDROCK_CONVERSE.parse_stream_event(state, StreamEvent(kind, data))
    chunks += BEDROCK_CONVERSE.finish_stream(state)
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    return chunks


@pytest.mark.parametrize(("kind", "expected"), sorted(bedrock_stream.STREAM_EXCEPTIONS.items()))
def test_stream_exceptions_raise_with_bedrock_status(kind: str, expected: tuple) -> None:
    with pytest.raises(UpstreamStreamError) as e:
        run_stream([("messageStart", {"role": "assistant"}), (kind, {"message": "boom"})])
    assert (e.value.status, e.value.openai_type, e.value.retryable) == expected
    assert e.value.message == f"{kind}: boom"


def test_reasoning_deltas_stream_as_reasoning_content() -> None:
    chunks = run_stream([
        ("messageStart", {"role": "assistant"}),
        ("contentBlockDelta", {"contentBlockIndex": 0,
                               "delta": {"reasoningContent": {"text": "Hmm."}}}),
        ("contentBlockDelta", {"contentBlockIndex": 0,
                               "delta": {"reasoningContent": {"signature": "sig"}}}),
        ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{}"}}}),
        ("messageStop", {"stopReason": "end_turn"}),
        ("someFutureEvent", {}),
    ])
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": ""},
        {"reasoning_content": "Hmm.", "reasoning_details": [
            {"type": "reasoning.text", "text": "Hmm.", "format": "aws-bedrock-converse-v1",
             "index": 0}]},
        {"reasoning_details": [{"index": 0, "signature": "sig"}]}, {}]


def test_one_id_per_stream() -> None:
    chunks = run_stream([("messageStart", {"role": "assistant"}),
                         ("messageStop", {"stopReason": "end_turn"})])
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")


# ------------------------------------------------------------------ embeddings

def test_titan_takes_one_input_and_v1_has_no_dimensions() -> None:
    with pytest.raises(InvalidRequest) as e:
        BEDROCK_EMBEDDINGS.build_request({"input": ["a", "b"]}, "amazon.titan-embed-text-v2:0")
    assert e.value.param == "input"
    with pytest.raises(InvalidRequest) as e:
        BEDROCK_EMBEDDINGS.build_request({"input": "a", "dimensions": 256},
                                         "amazon.titan-embed-text-v1")
    assert e.value.param == "dimensions"


def test_only_cohere_v4_takes_dimensions() -> None:
    call = BEDROCK_EMBEDDINGS.build_request({"input": "a", "dimensions": 512}, "cohere.embed-v4:0")
    assert call.body["output_dimension"] == 512
    with pytest.raises(InvalidRequest) as e:
        BEDROCK_EMBEDDINGS.build_request({"input": "a", "dimensions": 512},
                                         "cohere.embed-english-v3")
    assert e.value.param == "dimensions"


def test_unknown_embedding_models_are_refused() -> None:
    with pytest.raises(InvalidRequest) as e:
        BEDROCK_EMBEDDINGS.build_request({"input": "a"}, "amazon.nova-pro-v1:0")
    assert e.value.param == "model"


def test_cohere_untyped_embeddings_are_read_too() -> None:
    out = BEDROCK_EMBEDDINGS.parse_response({"embeddings": [[0.1, 0.2]],
                                             "response_type": "embeddings_floats"},
                                            "cohere.embed-multilingual-v3")
    assert out["data"] == [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}]
