"""Cohere chat translation: each mapping table and the edges the fixture cases do not reach."""

from __future__ import annotations

from typing import Any

import pytest

from aigw.errors import InvalidRequest, UpstreamError
from aigw.providers.cohere_chat import COHERE_CHAT, RENAMED, TOOL_CHOICES
from aigw.providers.cohere_response import FAILED, FINISH_REASONS
from aigw.providers.compat_shapes import REASONING_BUDGETS, UpstreamStreamError
from aigw.providers.spec import StreamEvent

MODEL = "command-a-03-2025"


def tool(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"},
                                             **extra}}


def build(**body: Any) -> dict[str, Any]:
    body.setdefault("messages", [{"role": "user", "content": "hi"}])
    return COHERE_CHAT.build_request(body, MODEL).body


def rejected(param: str, **body: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        build(**body)
    assert info.value.param == param
    return info.value


# ------------------------------------------------------------------------------ request


def test_developer_messages_become_system_messages_in_place() -> None:
    body = build(messages=[{"role": "user", "content": "a"},
                           {"role": "developer", "content": [{"type": "text", "text": "d"}]}])
    assert body["messages"][1] == {"role": "system", "content": "d"}


@pytest.mark.parametrize(("ours", "theirs"), sorted(RENAMED.items()))
def test_renamed_sampling_fields(ours: str, theirs: str) -> None:
    assert build(**{ours: 0.5})[theirs] == 0.5


def test_max_tokens_is_optional_for_cohere() -> None:
    assert "max_tokens" not in build()
    assert build(max_completion_tokens=12)["max_tokens"] == 12


@pytest.mark.parametrize(("field", "value", "param"), [
    ("n", 3, "n"), ("logprobs", True, "logprobs"), ("top_logprobs", 2, "logprobs")])
def test_what_cohere_cannot_return_is_rejected(field: str, value: Any, param: str) -> None:
    rejected(param, **{field: value})


def test_user_and_parallel_tool_calls_are_dropped() -> None:
    body = build(user="u", parallel_tool_calls=False, tools=[tool("f")])
    assert "user" not in body and "parallel_tool_calls" not in body


@pytest.mark.parametrize("part", [
    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
    {"type": "file", "file": {"file_id": "file-1"}},
])
def test_unknown_content_part_type_is_rejected_by_name(part: dict[str, Any]) -> None:
    error = rejected("messages[0].content[0]", messages=[{"role": "user", "content": [part]}])
    assert f"'{part['type']}'" in error.message and "cohere" in error.message


def test_image_urls_must_be_data_or_http() -> None:
    rejected("messages[0].content[0]", messages=[{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}])


@pytest.mark.parametrize(("choice", "expected"), sorted(TOOL_CHOICES.items()))
def test_tool_choice_strings(choice: str, expected: str | None) -> None:
    assert build(tools=[tool("f")], tool_choice=choice).get("tool_choice") == expected


def test_named_tool_choice_sends_only_that_tool_and_requires_it() -> None:
    body = build(tools=[tool("a"), tool("b")],
                 tool_choice={"type": "function", "function": {"name": "b"}})
    assert [t["function"]["name"] for t in body["tools"]] == ["b"]
    assert body["tool_choice"] == "REQUIRED"


def test_named_tool_choice_must_name_a_tool() -> None:
    rejected("tool_choice", tools=[tool("a")],
             tool_choice={"type": "function", "function": {"name": "zzz"}})


def test_strict_tools_turn_on_strict_tools_and_leave_the_function_clean() -> None:
    body = build(tools=[tool("a", strict=True)])
    assert body["strict_tools"] is True
    assert body["tools"][0]["function"] == {"name": "a", "parameters": {"type": "object"}}


def test_non_function_tools_are_rejected() -> None:
    rejected("tools[0]", tools=[{"type": "custom", "custom": {"name": "x"}}])


def test_json_object_response_format() -> None:
    assert build(response_format={"type": "json_object"})["response_format"] == {
        "type": "json_object"}


def test_json_schema_needs_its_schema() -> None:
    rejected("response_format", response_format={"type": "json_schema", "json_schema": {}})


@pytest.mark.parametrize("effort", sorted(REASONING_BUDGETS))
def test_reasoning_effort_table(effort: str) -> None:
    budget = REASONING_BUDGETS[effort]
    expected = ({"type": "disabled"} if budget is None
                else {"type": "enabled", "token_budget": budget})
    assert build(reasoning_effort=effort)["thinking"] == expected


def test_assistant_turn_without_content_or_calls_is_skipped() -> None:
    body = build(messages=[{"role": "user", "content": "a"},
                           {"role": "assistant", "content": ""},
                           {"role": "user", "content": "b"}])
    assert [m["role"] for m in body["messages"]] == ["user", "user"]


def test_assistant_text_parts_join_into_text() -> None:
    body = build(messages=[{"role": "assistant", "content": [
        {"type": "text", "text": "a"}, {"type": "refusal", "refusal": "b"}]}])
    assert body["messages"][0] == {"role": "assistant", "content": "ab"}


def test_tool_calls_need_ids() -> None:
    rejected("messages[0].tool_calls[0]", messages=[{"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "f", "arguments": "{}"}}]}])


def test_tool_message_needs_its_call_id() -> None:
    rejected("messages[0].tool_call_id", messages=[{"role": "tool", "content": "r"}])


def test_unknown_role_is_rejected() -> None:
    rejected("messages[0].role", messages=[{"role": "function", "content": "x"}])


# ------------------------------------------------------------------------------ response


def response(finish: str, **message: Any) -> dict[str, Any]:
    return {"id": "r1", "finish_reason": finish,
            "message": {"role": "assistant", **message},
            "usage": {"tokens": {"input_tokens": 40, "output_tokens": 2}}}


@pytest.mark.parametrize(("reason", "finish"), sorted(FINISH_REASONS.items()))
def test_finish_reason_table(reason: str, finish: str) -> None:
    out = COHERE_CHAT.parse_response(response(reason), MODEL)
    assert out["choices"][0]["finish_reason"] == finish


@pytest.mark.parametrize("reason", sorted(FAILED))
def test_failed_generation_is_an_error_not_a_finish(reason: str) -> None:
    with pytest.raises(UpstreamError):
        COHERE_CHAT.parse_response(response(reason), MODEL)


def test_usage_falls_back_to_tokens_without_billed_units() -> None:
    out = COHERE_CHAT.parse_response(response("COMPLETE"), MODEL)
    assert out["usage"] == {"prompt_tokens": 40, "completion_tokens": 2, "total_tokens": 42}


def test_thinking_items_become_reasoning_content() -> None:
    out = COHERE_CHAT.parse_response(response("COMPLETE", content=[
        {"type": "thinking", "thinking": "let me see"}, {"type": "text", "text": "42"}]), MODEL)
    message = out["choices"][0]["message"]
    assert (message["content"], message["reasoning_content"]) == ("42", "let me see")


@pytest.mark.parametrize(("data", "expected"), [
    ({"id": "x", "message": "invalid request: temperature must be between 0 and 1"},
     "invalid request: temperature must be between 0 and 1"),
    ({"data": "old shape"}, "old shape"),
    ({}, "cohere returned HTTP 400"),
])
def test_error_message(data: Any, expected: str) -> None:
    assert COHERE_CHAT.error_message(400, data) == expected


# ------------------------------------------------------------------------------ stream


def run(events: list[dict[str, Any]], include_usage: bool = False) -> tuple[Any, list[Any]]:
    state = COHERE_CHAT.new_stream_state(MODEL, include_usage)
    chunks: list[Any] = []
    for data in events:
        chunks.extend(COHERE_CHAT.parse_stream_event(state, StreamEvent(data["type"], data)))
    return state, chunks


START = {"type": "message-start", "id": "gen-1", "delta": {"message": {"role": "assistant"}}}
END = {"type": "message-end", "delta": {"finish_reason": "COMPLETE"}}


def test_thinking_deltas_become_reasoning_content() -> None:
    _, chunks = run([START, {"type": "content-delta", "index": 0,
                             "delta": {"message": {"content": {"thinking": "hm"}}}}])
    assert chunks[-1]["choices"][0]["delta"] == {"reasoning_content": "hm"}


def test_tool_call_indexes_are_counted_here() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}
    _, chunks = run([START,
                     {"type": "tool-call-start", "index": 3,
                      "delta": {"message": {"tool_calls": call}}},
                     {"type": "tool-call-delta", "index": 3,
                      "delta": {"message": {"tool_calls": {"function": {"arguments": "{}"}}}}}])
    assert [c["choices"][0]["delta"]["tool_calls"][0]["index"] for c in chunks[1:]] == [0, 0]


def test_tool_call_delta_before_any_start_produces_nothing() -> None:
    _, chunks = run([START, {"type": "tool-call-delta", "delta": {
        "message": {"tool_calls": {"function": {"arguments": "{"}}}}}])
    assert chunks[1:] == []


def test_no_usage_chunk_when_cohere_sent_no_usage() -> None:
    _, chunks = run([START, END], include_usage=True)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_message_end_error_raises_instead_of_finishing() -> None:
    with pytest.raises(UpstreamStreamError) as info:
        run([START, {"type": "message-end", "delta": {"finish_reason": "TIMEOUT"}}])
    assert "TIMEOUT" in info.value.message


def test_a_stream_cut_off_before_message_end_is_an_error() -> None:
    state, _ = run([START])
    with pytest.raises(UpstreamStreamError):
        COHERE_CHAT.finish_stream(state)


def test_finish_stream_after_message_end_owes_nothing() -> None:
    state, _ = run([START, END], include_usage=True)
    assert COHERE_CHAT.finish_stream(state) == []


def test_citations_debug_and_unknown_events_produce_nothing() -> None:
    _, chunks = run([{"type": "citation-start", "index": 0}, {"type": "debug", "prompt": "p"},
                     {"type": "something-new"}])
    assert chunks == []
