"""Gemini translation: each mapping table and the edge cases the fixture cases do not show."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from aigw.errors import InvalidRequest, UpstreamStreamError
from aigw.providers import gemini_chat, gemini_stream
from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT, VERTEX_CHAT, clean_schema
from aigw.providers.gemini_embed import GOOGLE_AI_STUDIO_EMBEDDINGS
from aigw.providers.spec import StreamEvent

USER = {"role": "user", "content": "Hi"}


def body_for(**extra: Any) -> dict[str, Any]:
    return {"messages": [USER], **extra}


def upstream(body: dict[str, Any], model: str = "gemini-2.5-flash") -> dict[str, Any]:
    return GOOGLE_AI_STUDIO_CHAT.build_request(body, model).body


def candidate(parts: list[dict[str, Any]], finish: str | None = "STOP",
              index: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": index}
    if finish:
        out["finishReason"] = finish
    return out


CALL = {"functionCall": {"name": "lookup", "args": {"q": "x"}}}


# ------------------------------------------------------------------ request tables

@pytest.mark.parametrize(("choice", "config"), [
    ("auto", {"mode": "AUTO"}),
    ("none", {"mode": "NONE"}),
    ("required", {"mode": "ANY"}),
    ({"type": "function", "function": {"name": "lookup"}},
     {"mode": "ANY", "allowedFunctionNames": ["lookup"]}),
])
def test_tool_choice_maps_to_function_calling_config(choice: Any, config: dict) -> None:
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    out = upstream(body_for(tools=tools, tool_choice=choice))
    assert out["toolConfig"] == {"functionCallingConfig": config}


def test_no_tool_choice_sends_no_tool_config() -> None:
    out = upstream(body_for(tools=[{"type": "function", "function": {"name": "lookup"}}]))
    assert "toolConfig" not in out
    assert out["tools"] == [{"functionDeclarations": [{"name": "lookup"}]}]


@pytest.mark.parametrize("choice", ["sometimes", {"type": "function"}, {"type": "allowed_tools"}])
def test_unknown_tool_choice_is_refused(choice: Any) -> None:
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    with pytest.raises(InvalidRequest) as e:
        upstream(body_for(tools=tools, tool_choice=choice))
    assert e.value.param == "tool_choice"


def test_non_function_tools_are_refused() -> None:
    with pytest.raises(InvalidRequest) as e:
        upstream(body_for(tools=[{"type": "web_search"}]))
    assert e.value.param == "tools[0]"


@pytest.mark.parametrize(("effort", "budget"), sorted(gemini_chat.THINKING_BUDGETS.items()))
def test_reasoning_effort_is_a_thinking_budget_before_gemini_3(effort: str, budget: int) -> None:
    config = upstream(body_for(reasoning_effort=effort))["generationConfig"]
    assert config["thinkingConfig"] == {"thinkingBudget": budget}


@pytest.mark.parametrize(("effort", "level"), sorted(gemini_chat.THINKING_LEVELS.items()))
def test_reasoning_effort_is_a_thinking_level_from_gemini_3(effort: str, level: str) -> None:
    config = upstream(body_for(reasoning_effort=effort), "gemini-3-flash-preview")
    assert config["generationConfig"]["thinkingConfig"] == {"thinkingLevel": level}


def test_unknown_reasoning_effort_is_refused() -> None:
    with pytest.raises(InvalidRequest) as e:
        upstream(body_for(reasoning_effort="extreme"))
    assert e.value.param == "reasoning_effort"


@pytest.mark.parametrize(("openai", "gemini"), sorted(gemini_chat.GENERATION_PARAMS.items()))
def test_sampling_parameters_are_renamed(openai: str, gemini: str) -> None:
    assert upstream(body_for(**{openai: 0.25}))["generationConfig"] == {gemini: 0.25}


def test_n_becomes_candidate_count_and_n_1_sends_nothing() -> None:
    assert upstream(body_for(n=3))["generationConfig"] == {"candidateCount": 3}
    assert "generationConfig" not in upstream(body_for(n=1))


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    config = upstream(body_for(max_tokens=10, max_completion_tokens=20))["generationConfig"]
    assert config == {"maxOutputTokens": 20}


def test_stop_string_becomes_a_list() -> None:
    assert upstream(body_for(stop="END"))["generationConfig"] == {"stopSequences": ["END"]}


def test_logprobs_are_refused() -> None:
    with pytest.raises(InvalidRequest) as e:
        upstream(body_for(logprobs=True))
    assert e.value.param == "logprobs"


@pytest.mark.parametrize("fmt", [{"type": "xml"}, {"type": "json_schema", "json_schema": {}}])
def test_unusable_response_format_is_refused(fmt: dict) -> None:
    with pytest.raises(InvalidRequest) as e:
        upstream(body_for(response_format=fmt))
    assert e.value.param == "response_format"


def test_text_response_format_sends_nothing() -> None:
    assert "generationConfig" not in upstream(body_for(response_format={"type": "text"}))


@pytest.mark.parametrize(("url", "mime"), [
    ("https://example.com/cat.PNG", "image/png"),
    ("https://example.com/a/b.jpeg?size=large#top", "image/jpeg"),
    ("https://example.com/doc.pdf", "application/pdf"),
    ("https://example.com/image", "image/jpeg"),
    ("gs://bucket/photo.webp", "image/webp"),
])
def test_url_images_become_file_data_with_a_guessed_mime_type(url: str, mime: str) -> None:
    content = [{"type": "image_url", "image_url": {"url": url}}]
    parts = upstream({"messages": [{"role": "user", "content": content}]})["contents"][0]["parts"]
    assert parts == [{"fileData": {"mimeType": mime, "fileUri": url}}]


def test_audio_and_inline_files_become_inline_data() -> None:
    content = [{"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
               {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE"}}]
    parts = upstream({"messages": [{"role": "user", "content": content}]})["contents"][0]["parts"]
    assert parts == [{"inlineData": {"mimeType": "audio/wav", "data": "UklG"}},
                     {"inlineData": {"mimeType": "application/pdf", "data": "JVBE"}}]


@pytest.mark.parametrize("part", [
    {"type": "image_url", "image_url": {"url": "ftp://example.com/a.png"}},
    {"type": "file", "file": {"file_id": "file-abc"}},
    {"type": "video", "video": {}},
])
def test_content_gemini_cannot_receive_is_refused(part: dict) -> None:
    with pytest.raises(InvalidRequest):
        upstream({"messages": [{"role": "user", "content": [part]}]})


# ------------------------------------------------------------------ history

def assistant_calls(*ids: str) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": i, "type": "function", "function": {"name": f"fn_{i}", "arguments": "{}"}}
        for i in ids]}


@pytest.mark.parametrize(("content", "response"), [
    ("42", {"result": 42}),
    ('"done"', {"result": "done"}),
    ("[1, 2]", {"result": [1, 2]}),
    ("plain words", {"result": "plain words"}),
    ('{"ok": true}', {"ok": True}),
])
def test_function_responses_are_always_objects(content: str, response: dict) -> None:
    messages = [USER, assistant_calls("a"), {"role": "tool", "tool_call_id": "a",
                                              "content": content}]
    turn = upstream({"messages": messages})["contents"][2]
    assert turn == {"role": "user", "parts": [
        {"functionResponse": {"name": "fn_a", "response": response}}]}


def test_tool_results_follow_call_order_in_one_user_turn() -> None:
    messages = [USER, assistant_calls("a", "b", "c"),
                {"role": "tool", "tool_call_id": "c", "content": "3"},
                {"role": "tool", "tool_call_id": "a", "content": "1"},
                {"role": "tool", "tool_call_id": "b", "content": "2"}]
    contents = upstream({"messages": messages})["contents"]
    assert len(contents) == 3
    names = [p["functionResponse"]["name"] for p in contents[2]["parts"]]
    assert names == ["fn_a", "fn_b", "fn_c"]


def test_tool_result_for_an_unknown_call_is_refused() -> None:
    messages = [USER, assistant_calls("a"), {"role": "tool", "tool_call_id": "zz", "content": ""}]
    with pytest.raises(InvalidRequest) as e:
        upstream({"messages": messages})
    assert e.value.param == "messages[2].tool_call_id"


@pytest.mark.parametrize("arguments", ["{not json", "[1, 2]"])
def test_tool_call_arguments_must_be_a_json_object(arguments: str) -> None:
    call = {"id": "a", "type": "function", "function": {"name": "f", "arguments": arguments}}
    messages = [USER, {"role": "assistant", "tool_calls": [call]}]
    with pytest.raises(InvalidRequest) as e:
        upstream({"messages": messages})
    assert e.value.param == "messages[1].tool_calls[0].function.arguments"


def test_only_gemini_3_gets_the_stand_in_signature_and_only_on_the_first_call() -> None:
    messages = [USER, assistant_calls("a", "b")]
    old = upstream({"messages": messages})["contents"][1]["parts"]
    assert all("thoughtSignature" not in p for p in old)
    new = upstream({"messages": messages}, "gemini-3-pro-preview")["contents"][1]["parts"]
    assert [p.get("thoughtSignature") for p in new] == [gemini_chat.SKIP_SIGNATURE, None]


def test_system_only_conversations_and_unknown_roles_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        upstream({"messages": [{"role": "system", "content": "x"}]})
    with pytest.raises(InvalidRequest) as e:
        upstream({"messages": [{"role": "narrator", "content": "x"}]})
    assert e.value.param == "messages[0].role"
    with pytest.raises(InvalidRequest):
        upstream({"messages": "hello"})


# ------------------------------------------------------------------ models and paths

@pytest.mark.parametrize("model", ["../../v1/files", "gemini?alt=json", "tuned/x", ""])
def test_model_names_that_would_bend_the_path_are_refused(model: str) -> None:
    with pytest.raises(InvalidRequest) as e:
        GOOGLE_AI_STUDIO_CHAT.build_request(body_for(), model)
    assert e.value.param == "model"


def test_vertex_strips_the_google_publisher_and_refuses_others() -> None:
    call = VERTEX_CHAT.build_request(body_for(), "google/gemini-2.5-pro")
    assert call.path == ("/v1/projects/{project}/locations/{region}/publishers/google/models/"
                         "gemini-2.5-pro:generateContent")
    assert VERTEX_CHAT.build_request(body_for(), "gemini-2.5-pro").path == call.path
    with pytest.raises(InvalidRequest):
        VERTEX_CHAT.build_request(body_for(), "anthropic/claude-sonnet-4-5")


def test_ai_studio_accepts_the_models_prefix() -> None:
    call = GOOGLE_AI_STUDIO_CHAT.build_request(body_for(stream=True), "models/gemini-2.5-flash")
    assert call.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert call.stream


# ------------------------------------------------------------------ schema cleaning

def test_schema_drops_what_gemini_rejects_and_upper_cases_types() -> None:
    schema = {"$schema": "x", "type": "object", "additionalProperties": False, "strict": True,
              "examples": [{}], "properties": {
                  "when": {"type": "string", "format": "date-time"},
                  "mail": {"type": "string", "format": "email"},
                  "tags": {"type": "array", "items": {"type": "string", "minLength": 1}}}}
    assert clean_schema(schema, "s") == {"type": "OBJECT", "properties": {
        "when": {"type": "STRING", "format": "date-time"},
        "mail": {"type": "STRING"},
        "tags": {"type": "ARRAY", "items": {"type": "STRING", "minLength": 1}}}}


@pytest.mark.parametrize(("schema", "cleaned"), [
    ({"type": ["string", "null"]}, {"type": "STRING", "nullable": True}),
    ({"type": ["string", "integer"]}, {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}),
    ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, {"type": "INTEGER", "nullable": True}),
    ({"oneOf": [{"type": "integer"}, {"type": "string"}]},
     {"anyOf": [{"type": "INTEGER"}, {"type": "STRING"}]}),
    ({"const": "fixed"}, {"enum": ["fixed"]}),
    ({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"properties": {"b": {"type": "number"}}, "required": ["b"]}]},
     {"type": "OBJECT", "properties": {"a": {"type": "STRING"}, "b": {"type": "NUMBER"}},
      "required": ["a", "b"]}),
])
def test_schema_rewrites_json_schema_constructs(schema: dict, cleaned: dict) -> None:
    assert clean_schema(schema, "s") == cleaned


def test_schema_inlines_local_refs_and_refuses_recursion_or_remote_refs() -> None:
    schema = {"type": "object", "properties": {"pet": {"$ref": "#/definitions/Pet",
                                                       "description": "the pet"}},
              "definitions": {"Pet": {"type": "object",
                                      "properties": {"name": {"type": "string"}}}}}
    assert clean_schema(schema, "s")["properties"]["pet"] == {
        "type": "OBJECT", "properties": {"name": {"type": "STRING"}}, "description": "the pet"}
    recursive = {"$defs": {"Node": {"type": "object",
                                    "properties": {"next": {"$ref": "#/$defs/Node"}}}},
                 "$ref": "#/$defs/Node"}
    with pytest.raises(InvalidRequest, match="recursive"):
        clean_schema(recursive, "s")
    with pytest.raises(InvalidRequest, match="local"):
        clean_schema({"$ref": "https://example.com/schema.json"}, "s")


def test_parameters_without_properties_are_left_out() -> None:
    tools = [{"type": "function", "function": {"name": "now", "description": "Time",
                                               "parameters": {"type": "object", "properties": {}}}}]
    assert upstream(body_for(tools=tools))["tools"] == [
        {"functionDeclarations": [{"name": "now", "description": "Time"}]}]


# ------------------------------------------------------------------ responses

@pytest.mark.parametrize(("reason", "finish"), sorted(gemini_stream.FINISH_REASONS.items()))
def test_finish_reasons_map(reason: str, finish: str) -> None:
    out = gemini_stream.parse_response({"candidates": [candidate([{"text": "x"}], reason)]}, "m")
    assert out["choices"][0]["finish_reason"] == finish


def test_a_function_call_makes_stop_tool_calls_but_not_a_filter() -> None:
    assert gemini_stream.finish_reason("STOP", True) == "tool_calls"
    assert gemini_stream.finish_reason("SAFETY", True) == "content_filter"
    assert gemini_stream.finish_reason("MAX_TOKENS", True) == "length"
    assert gemini_stream.finish_reason(None, False) == "stop"


def test_the_upstream_tool_call_id_wins() -> None:
    own = {"functionCall": {**CALL["functionCall"], "id": "fc-123"}}
    assert gemini_stream.tool_call(own, 0)["id"] == "fc-123"


def test_thought_parts_are_reasoning_not_content() -> None:
    data = {"candidates": [candidate([{"text": "Let me think.", "thought": True},
                                      {"text": "Answer."}])]}
    message = gemini_stream.parse_response(data, "m")["choices"][0]["message"]
    assert message["content"] == "Answer."
    assert message["reasoning_content"] == "Let me think."


def test_several_candidates_become_several_choices() -> None:
    data = {"candidates": [candidate([{"text": "A"}], index=0),
                           candidate([CALL], index=1)],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 9}}
    out = gemini_stream.parse_response(data, "gemini-2.5-flash")
    ChatCompletion.model_validate(out)
    assert [(c["index"], c["finish_reason"]) for c in out["choices"]] == [
        (0, "stop"), (1, "tool_calls")]
    assert out["usage"] == {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12}


def test_usage_counts_thoughts_as_completion_and_tool_prompts_as_prompt() -> None:
    meta = {"promptTokenCount": 100, "toolUsePromptTokenCount": 20, "candidatesTokenCount": 5,
            "thoughtsTokenCount": 50, "cachedContentTokenCount": 64}
    assert gemini_stream.openai_usage(meta) == {
        "prompt_tokens": 120, "completion_tokens": 55, "total_tokens": 175,
        "prompt_tokens_details": {"cached_tokens": 64},
        "completion_tokens_details": {"reasoning_tokens": 50}}


@pytest.mark.parametrize(("data", "message"), [
    ({"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}},
     "API key not valid."),
    ([{"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED"}}],
     "Quota exceeded."),
    ("Bad Gateway", "Bad Gateway"),
    (None, "google-ai-studio returned HTTP 500"),
])
def test_error_messages_are_carried_over(data: Any, message: str) -> None:
    assert GOOGLE_AI_STUDIO_CHAT.error_message(500, data) == message


# ------------------------------------------------------------------ streams

def run_stream(events: list[dict[str, Any]], include_usage: bool = False) -> list[dict]:
    state = GOOGLE_AI_STUDIO_CHAT.new_stream_state("gemini-2.5-flash", include_usage)
    chunks = []
    for data in events:
        chunks += GOOGLE_AI_STUDIO_CHAT.parse_stream_event(state, StreamEvent(None, data))
    chunks += GOOGLE_AI_STUDIO_CHAT.finish_stream(state)
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    return chunks


def test_text_and_finish_in_one_event_send_content_then_finish() -> None:
    chunks = run_stream([{"candidates": [candidate([{"text": "Hi"}])], "responseId": "r1"}])
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": ""}, {"content": "Hi"}, {}]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert {c["id"] for c in chunks} == {"chatcmpl-r1"}


def test_stream_candidates_keep_their_choice_index_and_own_tool_indexes() -> None:
    chunks = run_stream([{"candidates": [candidate([CALL], None, 0), candidate([CALL], None, 1)]},
                         {"candidates": [candidate([], "STOP", 0), candidate([CALL], "STOP", 1)]}])
    calls = [(c["choices"][0]["index"], d["index"]) for c in chunks
             for d in c["choices"][0]["delta"].get("tool_calls", [])]
    assert calls == [(0, 0), (1, 0), (1, 1)]
    finishes = [(c["choices"][0]["index"], c["choices"][0]["finish_reason"]) for c in chunks
                if c["choices"][0]["finish_reason"]]
    assert finishes == [(0, "tool_calls"), (1, "tool_calls")]


def test_a_stream_without_a_finish_reason_is_an_error_not_a_stop() -> None:
    with pytest.raises(UpstreamStreamError, match="ended before"):
        run_stream([{"candidates": [candidate([{"text": "Once"}], None)]}])


def test_usage_chunk_only_when_asked() -> None:
    events = [{"candidates": [candidate([{"text": "Hi"}])],
               "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 1}}]
    assert run_stream(events)[-1]["choices"] != []
    last = run_stream(events, include_usage=True)[-1]
    assert last["choices"] == [] and last["usage"]["total_tokens"] == 3


def test_stream_error_event_keeps_google_status_and_type() -> None:
    with pytest.raises(UpstreamStreamError) as e:
        run_stream([{"error": {"code": 429, "message": "Slow down",
                               "status": "RESOURCE_EXHAUSTED"}}])
    assert (e.value.status, e.value.openai_type, e.value.retryable) == (
        429, "rate_limit_error", True)


# ------------------------------------------------------------------ embeddings

def test_embeddings_refuse_token_arrays() -> None:
    with pytest.raises(InvalidRequest) as e:
        GOOGLE_AI_STUDIO_EMBEDDINGS.build_request({"input": [[1, 2, 3]]}, "gemini-embedding-001")
    assert e.value.param == "input"
