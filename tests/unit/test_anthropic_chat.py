"""Anthropic translation: each mapping table and the edges the fixture cases do not reach."""

from __future__ import annotations

from typing import Any

import pytest

from aigw.errors import InvalidRequest
from aigw.providers.anthropic_chat import ANTHROPIC_CHAT, DEFAULT_MAX_TOKENS
from aigw.providers.anthropic_response import ERROR_STATUS, STOP_REASONS
from aigw.providers.anthropic_tools import TOOL_CHOICES
from aigw.providers.compat_shapes import REASONING_BUDGETS, UpstreamStreamError
from aigw.providers.spec import StreamEvent

MODEL = "claude-sonnet-4-5"
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


def build(**body: Any) -> dict[str, Any]:
    body.setdefault("messages", [{"role": "user", "content": "hi"}])
    return ANTHROPIC_CHAT.build_request(body, MODEL).body


def rejected(param: str, **body: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        build(**body)
    assert info.value.param == param
    return info.value


def call(id: str, name: str = "lookup", arguments: str = "{}") -> dict[str, Any]:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


# ------------------------------------------------------------------------------ request


def test_max_tokens_defaults_because_anthropic_requires_it() -> None:
    assert build()["max_tokens"] == DEFAULT_MAX_TOKENS


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    assert build(max_tokens=50, max_completion_tokens=70)["max_tokens"] == 70


def test_non_positive_max_tokens_is_rejected() -> None:
    rejected("max_tokens", max_tokens=0)


@pytest.mark.parametrize("n", [2, 5])
def test_more_than_one_choice_is_rejected(n: int) -> None:
    assert "n must be 1" in rejected("n", n=n).message


def test_one_choice_is_fine() -> None:
    assert "n" not in build(n=1)


def test_logprobs_are_rejected() -> None:
    rejected("logprobs", logprobs=True)


def test_seed_and_penalties_are_dropped() -> None:
    body = build(seed=1, frequency_penalty=0.1, presence_penalty=0.2, logit_bias={"1": 2})
    assert not {"seed", "frequency_penalty", "presence_penalty", "logit_bias"} & body.keys()


def test_stop_string_becomes_a_list() -> None:
    assert build(stop="END")["stop_sequences"] == ["END"]


def test_temperature_above_anthropics_range_is_rejected() -> None:
    rejected("temperature", temperature=1.5)


def test_user_becomes_metadata_user_id() -> None:
    assert build(user="u-1")["metadata"] == {"user_id": "u-1"}


def test_consecutive_same_role_messages_merge_so_roles_alternate() -> None:
    body = build(messages=[
        {"role": "user", "content": "a"}, {"role": "user", "content": "b"},
        {"role": "assistant", "content": "c"}, {"role": "assistant", "content": "d"},
        {"role": "system", "content": "s"}, {"role": "user", "content": "e"}])
    assert [t["role"] for t in body["messages"]] == ["user", "assistant", "user"]
    assert [b["text"] for b in body["messages"][0]["content"]] == ["a", "b"]
    assert [b["text"] for b in body["messages"][1]["content"]] == ["c", "d"]
    assert body["system"] == [{"type": "text", "text": "s"}]


def test_tool_results_come_first_in_their_user_turn() -> None:
    body = build(messages=[
        {"role": "user", "content": "q"},
        {"role": "assistant", "tool_calls": [call("call_1"), call("call_2")]},
        {"role": "user", "content": "also this"},
        {"role": "tool", "tool_call_id": "call_2", "content": "two"},
        {"role": "tool", "tool_call_id": "call_1", "content": "one"}])
    last = body["messages"][-1]["content"]
    assert [b["type"] for b in last] == ["tool_result", "tool_result", "text"]
    assert [b["tool_use_id"] for b in last[:2]] == ["call_2", "call_1"]


def test_tool_ids_are_made_safe_the_same_way_on_both_sides() -> None:
    body = build(messages=[
        {"role": "user", "content": "q"},
        {"role": "assistant", "tool_calls": [call("call.1:x")]},
        {"role": "tool", "tool_call_id": "call.1:x", "content": "r"}])
    use = body["messages"][1]["content"][0]
    result = body["messages"][2]["content"][0]
    assert use["id"] == result["tool_use_id"] == "call_1_x"


def test_tool_call_arguments_must_be_json() -> None:
    messages = [{"role": "user", "content": "q"},
                {"role": "assistant", "tool_calls": [call("c1", arguments="{oops")]}]
    rejected("messages[1].tool_calls[0].function.arguments", messages=messages)


def test_empty_tool_call_arguments_are_an_empty_input() -> None:
    body = build(messages=[{"role": "user", "content": "q"},
                           {"role": "assistant", "tool_calls": [call("c1", arguments="")]}])
    assert body["messages"][1]["content"][0]["input"] == {}


def test_tool_message_needs_its_call_id() -> None:
    rejected("messages[1].tool_call_id",
             messages=[{"role": "user", "content": "q"}, {"role": "tool", "content": "r"}])


def test_only_system_messages_are_rejected() -> None:
    rejected("messages", messages=[{"role": "system", "content": "s"}])


def test_unknown_role_is_rejected() -> None:
    rejected("messages[0].role", messages=[{"role": "function", "content": "x"}])


@pytest.mark.parametrize("part", [
    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
    {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}},
])
def test_unknown_content_part_type_is_rejected_by_name(part: dict[str, Any]) -> None:
    error = rejected("messages[0].content[1]", messages=[
        {"role": "user", "content": [{"type": "text", "text": "hi"}, part]}])
    assert f"'{part['type']}'" in error.message and "anthropic" in error.message


@pytest.mark.parametrize("url", ["data:image/bmp;base64,Qk0=", "ftp://example.com/a.png",
                                 "data:image/png,not-base64"])
def test_images_anthropic_cannot_take_are_rejected(url: str) -> None:
    with pytest.raises(InvalidRequest):
        build(messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": url}}]}])


def test_pdf_file_part_becomes_a_document_block() -> None:
    body = build(messages=[{"role": "user", "content": [
        {"type": "file", "file": {"filename": "a.pdf",
                                  "file_data": "data:application/pdf;base64,JVBERi0x"}}]}])
    assert body["messages"][0]["content"] == [{"type": "document", "source": {
        "type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"}}]


@pytest.mark.parametrize("choice", sorted(TOOL_CHOICES))
def test_tool_choice_strings(choice: str) -> None:
    assert build(tools=[TOOL], tool_choice=choice)["tool_choice"] == {
        "type": TOOL_CHOICES[choice]}


def test_named_tool_choice() -> None:
    body = build(tools=[TOOL], tool_choice={"type": "function", "function": {"name": "lookup"}})
    assert body["tool_choice"] == {"type": "tool", "name": "lookup"}


def test_parallel_tool_calls_false_disables_parallel_use() -> None:
    body = build(tools=[TOOL], tool_choice="required", parallel_tool_calls=False)
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert build(tools=[TOOL], tool_choice="none", parallel_tool_calls=False)["tool_choice"] == {
        "type": "none"}


def test_tool_choice_is_only_sent_with_tools() -> None:
    assert "tool_choice" not in build(tool_choice="none")


def test_function_tool_becomes_name_description_input_schema() -> None:
    tool = {"type": "function", "function": {"name": "f", "description": "d", "strict": True,
                                             "parameters": {"type": "object"}}}
    assert build(tools=[tool])["tools"] == [
        {"name": "f", "description": "d", "input_schema": {"type": "object"}, "strict": True}]


def test_non_function_tools_are_rejected() -> None:
    rejected("tools[0]", tools=[{"type": "web_search"}])


def test_json_object_response_format_is_rejected_with_a_hint() -> None:
    assert "json_schema" in rejected("response_format",
                                     response_format={"type": "json_object"}).message


def test_text_response_format_is_the_default() -> None:
    assert "output_config" not in build(response_format={"type": "text"})


@pytest.mark.parametrize("effort", [e for e, b in REASONING_BUDGETS.items() if b is not None])
def test_reasoning_effort_budget_table(effort: str) -> None:
    body = build(reasoning_effort=effort)
    budget = REASONING_BUDGETS[effort]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] == budget + DEFAULT_MAX_TOKENS


def test_reasoning_effort_none_disables_thinking() -> None:
    assert build(reasoning_effort="none")["thinking"] == {"type": "disabled"}


def test_reasoning_budget_is_capped_under_the_clients_max_tokens() -> None:
    body = build(reasoning_effort="high", max_tokens=3000)
    assert body["max_tokens"] == 3000 and body["thinking"]["budget_tokens"] == 2999


def test_reasoning_with_too_few_max_tokens_is_rejected() -> None:
    rejected("max_tokens", reasoning_effort="low", max_tokens=1000)


def test_unknown_reasoning_effort_is_rejected() -> None:
    rejected("reasoning_effort", reasoning_effort="extreme")


def test_stream_flag_is_forwarded() -> None:
    call_ = ANTHROPIC_CHAT.build_request({"messages": [{"role": "user", "content": "hi"}],
                                          "stream": True}, MODEL)
    assert call_.stream and call_.body["stream"] is True and call_.path == "/v1/messages"


# ------------------------------------------------------------------------------ response


def message(content: list[dict[str, Any]], stop_reason: str | None = "end_turn") -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "content": content,
            "stop_reason": stop_reason, "usage": {"input_tokens": 3, "output_tokens": 4}}


@pytest.mark.parametrize(("stop_reason", "finish"), sorted(STOP_REASONS.items()))
def test_stop_reason_table(stop_reason: str, finish: str) -> None:
    out = ANTHROPIC_CHAT.parse_response(message([], stop_reason), MODEL)
    assert out["choices"][0]["finish_reason"] == finish


def test_refusal_is_a_content_filter_finish() -> None:
    assert STOP_REASONS["refusal"] == "content_filter"


def test_unknown_or_missing_stop_reason_reads_as_stop() -> None:
    for reason in ("something_new", None):
        out = ANTHROPIC_CHAT.parse_response(message([], reason), MODEL)
        assert out["choices"][0]["finish_reason"] == "stop"


def test_redacted_thinking_and_server_blocks_are_dropped() -> None:
    out = ANTHROPIC_CHAT.parse_response(message([
        {"type": "redacted_thinking", "data": "xyz"},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
        {"type": "text", "text": "hi"}]), MODEL)
    msg = out["choices"][0]["message"]
    assert msg["content"] == "hi" and "tool_calls" not in msg and "reasoning_content" not in msg


def test_usage_without_cache_fields_has_no_details() -> None:
    out = ANTHROPIC_CHAT.parse_response(message([]), MODEL)
    assert out["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}


@pytest.mark.parametrize(("data", "expected"), [
    ({"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}, "bad"),
    ("upstream text", "upstream text"),
    (None, "anthropic returned HTTP 502"),
])
def test_error_message(data: Any, expected: str) -> None:
    assert ANTHROPIC_CHAT.error_message(502, data) == expected


# ------------------------------------------------------------------------------ stream


def run(events: list[dict[str, Any]], include_usage: bool = False) -> tuple[Any, list[Any]]:
    state = ANTHROPIC_CHAT.new_stream_state(MODEL, include_usage)
    chunks: list[Any] = []
    for data in events:
        chunks.extend(ANTHROPIC_CHAT.parse_stream_event(state, StreamEvent(data["type"], data)))
    return state, chunks


START = {"type": "message_start", "message": {"id": "msg_s", "usage": {"input_tokens": 9,
                                                                        "output_tokens": 1}}}
DELTA = {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 5}}


def test_first_chunk_carries_the_assistant_role_and_the_message_id() -> None:
    _, chunks = run([START])
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[0]["id"] == "msg_s"


def test_tool_call_index_counts_only_tool_use_blocks() -> None:
    _, chunks = run([START,
                     {"type": "content_block_start", "index": 0,
                      "content_block": {"type": "thinking", "thinking": ""}},
                     {"type": "content_block_delta", "index": 0,
                      "delta": {"type": "thinking_delta", "thinking": "hmm"}},
                     {"type": "content_block_delta", "index": 0,
                      "delta": {"type": "signature_delta", "signature": "sig"}},
                     {"type": "content_block_start", "index": 1,
                      "content_block": {"type": "text", "text": ""}},
                     {"type": "content_block_start", "index": 2,
                      "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f"}},
                     {"type": "content_block_delta", "index": 2,
                      "delta": {"type": "input_json_delta", "partial_json": "{}"}}])
    deltas = [c["choices"][0]["delta"] for c in chunks[1:]]
    assert deltas == [{"reasoning_details": [{"type": "reasoning.text", "text": "",
                                              "format": "anthropic-claude-v1", "index": 0}]},
                      {"reasoning_content": "hmm",
                       "reasoning_details": [{"index": 0, "text": "hmm"}]},
                      {"reasoning_details": [{"index": 0, "signature": "sig"}]},
                      {"tool_calls": [{"index": 0, "id": "toolu_1", "type": "function",
                                       "function": {"name": "f", "arguments": ""}}]},
                      {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}]


def test_usage_chunk_only_when_asked() -> None:
    stop = {"type": "message_stop"}
    assert run([START, DELTA, stop])[1][-1]["choices"][0]["finish_reason"] == "stop"
    last = run([START, DELTA, stop], include_usage=True)[1][-1]
    assert last["choices"] == [] and last["usage"]["total_tokens"] == 14


def test_message_delta_usage_is_cumulative_and_replaces_the_start_counts() -> None:
    delta = {**DELTA, "usage": {"input_tokens": 20, "cache_read_input_tokens": 100,
                                "output_tokens": 7}}
    state, _ = run([START, delta])
    assert state.usage["prompt_tokens"] == 120 and state.usage["completion_tokens"] == 7


def test_usage_is_still_sent_when_the_stream_ends_after_message_delta() -> None:
    state, _ = run([START, DELTA], include_usage=True)
    assert ANTHROPIC_CHAT.finish_stream(state)[0]["usage"]["completion_tokens"] == 5
    assert ANTHROPIC_CHAT.finish_stream(state) == []


def test_a_stream_cut_off_before_its_stop_reason_is_an_error_not_a_stop() -> None:
    state, _ = run([START, {"type": "content_block_delta", "index": 0,
                            "delta": {"type": "text_delta", "text": "par"}}])
    with pytest.raises(UpstreamStreamError):
        ANTHROPIC_CHAT.finish_stream(state)
    with pytest.raises(UpstreamStreamError):
        run([START, {"type": "message_stop"}])


def test_unknown_events_and_pings_produce_nothing() -> None:
    assert run([{"type": "ping"}, {"type": "brand_new_event", "x": 1}])[1] == []


@pytest.mark.parametrize(("kind", "status"), sorted(ERROR_STATUS.items()))
def test_error_event_keeps_anthropics_status_and_type(kind: str, status: int) -> None:
    with pytest.raises(UpstreamStreamError) as info:
        run([START, {"type": "error", "error": {"type": kind, "message": "m"}}])
    assert (info.value.status, info.value.openai_type, info.value.message) == (status, kind, "m")
