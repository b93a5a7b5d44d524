"""`/compat/chat/completions` through the official `openai` SDK, for every provider compat serves.

One parametrised suite: each test runs against Anthropic, Google AI Studio, Vertex AI, Bedrock
(Converse), Cohere, and two OpenAI-shaped providers (OpenAI, Workers AI). The fakes hold the
translated requests to the real APIs' rules (Anthropic's alternation and tool_result pairing,
Gemini's function turns, Converse's toolResult rules, SigV4), so a test that gets an answer has
also proved the request was valid; tests then check what reached the fake where it matters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from tests.e2e.compat.cases import CASES, ChatCase
from tests.e2e.compat.conftest import CompatStack

PROMPT = "What is the weather in Paris"
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "required": ["city", "unit"],
                   "properties": {"city": {"type": "string"},
                                  "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}}}}
# A 1x1 transparent PNG.
PNG_B64 = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU"
           "5ErkJggg==")
IMAGE_URL = "https://upload.example.com/images/cat.png"
CITY_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["city", "population"],
               "properties": {"city": {"type": "string"}, "population": {"type": "integer"}}}

pytestmark = pytest.mark.parametrize("case", CASES, ids=str)


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


@dataclass
class Streamed:
    """A chat stream read the way an application reads it: deltas joined, tool calls by index."""

    chunks: list[ChatCompletionChunk]
    text: str = ""
    finish_reasons: list[str] = field(default_factory=list)
    calls: dict[int, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def read(cls, stream: Iterable[ChatCompletionChunk]) -> Streamed:
        out = cls(list(stream))
        for chunk in out.chunks:
            assert isinstance(chunk, ChatCompletionChunk)
            assert chunk.object == "chat.completion.chunk"
            for choice in chunk.choices:
                out.text += choice.delta.content or ""
                out.finish_reasons += [choice.finish_reason] if choice.finish_reason else []
                for call in choice.delta.tool_calls or []:
                    slot = out.calls.setdefault(call.index, {"id": "", "name": "", "args": ""})
                    slot["id"] += call.id or ""
                    fn = call.function
                    slot["name"] += (fn.name or "") if fn else ""
                    slot["args"] += (fn.arguments or "") if fn else ""
        return out


def test_chat_completion_is_typed(compat: CompatStack, case: ChatCase) -> None:
    raw = compat.client_for(case).chat.completions.with_raw_response.create(
        model=case.ref, messages=[user(PROMPT)], temperature=0.5)
    assert raw.headers["cf-aig-provider"] == case.slug
    assert raw.headers["cf-aig-model"] == case.model
    answer = raw.parse()
    assert isinstance(answer, ChatCompletion) and answer.object == "chat.completion"
    choice = answer.choices[0]
    assert choice.message.role == "assistant" and choice.message.content == f"Echo: {PROMPT}"
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    assert answer.usage is not None and answer.usage.prompt_tokens > 0
    assert answer.usage.completion_tokens > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens
    assert "Paris" in json.dumps(compat.last_body(case.slug))


def test_max_tokens_cut_is_length(compat: CompatStack, case: ChatCase) -> None:
    answer = compat.client_for(case).chat.completions.create(
        model=case.ref, messages=[user(PROMPT)], max_completion_tokens=2)
    assert answer.choices[0].finish_reason == "length"
    assert answer.choices[0].message.content == "Echo: What"


def test_stream_joins_to_the_full_text_and_ends_with_usage(compat: CompatStack,
                                                          case: ChatCase) -> None:
    client = compat.client_for(case)
    stream = client.chat.completions.create(model=case.ref, messages=[user(PROMPT)],
                                            stream=True, stream_options={"include_usage": True})
    got = Streamed.read(stream)
    assert got.text == f"Echo: {PROMPT}"
    assert len(got.chunks) > 3, "the text should arrive in several deltas"
    assert got.chunks[0].choices[0].delta.role == "assistant"
    assert got.finish_reasons == ["stop"] and not got.calls
    *body, last = got.chunks
    assert last.choices == [] and last.usage is not None
    assert all(c.usage is None for c in body)
    assert len({c.id for c in got.chunks}) == 1
    whole = client.chat.completions.create(model=case.ref, messages=[user(PROMPT)]).usage
    assert whole is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (
        whole.prompt_tokens, whole.completion_tokens)


def test_stream_ends_with_done_and_no_usage_unasked(compat: CompatStack, case: ChatCase) -> None:
    payloads = compat.raw_stream(case, {"messages": [user(PROMPT)]})
    assert payloads[-1] == "[DONE]" and payloads.count("[DONE]") == 1
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["choices"] for c in chunks)
    assert not any(c.get("usage") for c in chunks)
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "stop"


def test_tool_call_round_trip(compat: CompatStack, case: ChatCase) -> None:
    client = compat.client_for(case)
    messages: list[Any] = [user(PROMPT)]
    first = client.chat.completions.create(model=case.ref, messages=messages,
                                           tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.id and call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": PROMPT, "unit": "celsius"}

    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'}]
    second = client.chat.completions.create(model=case.ref, messages=messages,
                                            tools=[WEATHER_TOOL])
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == 'The tool returned: {"temp_c": 21}'
    sent = json.dumps(compat.last_body(case.slug))
    assert case.pairs_by_turn or call.id in sent  # Gemini pairs by turn, it has no call ids
    assert "temp_c" in sent


def test_parallel_tool_results_answer_their_calls(compat: CompatStack, case: ChatCase) -> None:
    """Two calls in one assistant turn, answered in the other order: each result must reach
    the provider paired with its own call (Anthropic/Converse: one turn of results; Gemini: one
    functionResponse per functionCall)."""
    calls = [{"id": f"call_{city}", "type": "function", "function": {
        "name": "get_weather", "arguments": json.dumps({"city": city, "unit": "celsius"})}}
        for city in ("Paris", "Oslo")]
    messages = [user("Weather in Paris and Oslo?"),
                {"role": "assistant", "content": None, "tool_calls": calls},
                {"role": "tool", "tool_call_id": "call_Oslo", "content": "Oslo: 3 C"},
                {"role": "tool", "tool_call_id": "call_Paris", "content": "Paris: 21 C"}]
    answer = compat.client_for(case).chat.completions.create(
        model=case.ref, messages=messages, tools=[WEATHER_TOOL])
    content = answer.choices[0].message.content or ""
    assert content.startswith("The tool returned:") and answer.choices[0].finish_reason == "stop"
    sent = json.dumps(compat.last_body(case.slug))
    assert "Oslo: 3 C" in sent and "Paris: 21 C" in sent


@pytest.mark.parametrize("choice", ["auto", {"type": "function",
                                              "function": {"name": "get_weather"}}],
                         ids=["auto", "named"])
def test_streamed_tool_call_reassembles_by_index(compat: CompatStack, case: ChatCase,
                                                 choice: Any) -> None:
    """With `auto` some providers write text (or a plan) first; the call is still index 0."""
    stream = compat.client_for(case).chat.completions.create(
        model=case.ref, messages=[user(PROMPT)], tools=[WEATHER_TOOL], tool_choice=choice,
        stream=True)
    got = Streamed.read(stream)
    assert got.finish_reasons == ["tool_calls"]
    assert list(got.calls) == [0]
    call = got.calls[0]
    assert call["id"] and call["name"] == "get_weather"
    assert json.loads(call["args"]) == {"city": PROMPT, "unit": "celsius"}


def test_image_as_data_url(compat: CompatStack, case: ChatCase) -> None:
    answer = compat.client_for(case).chat.completions.create(model=case.ref, messages=[user([
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}])])
    assert answer.choices[0].message.content == "Echo: What is in this image?"
    assert PNG_B64 in json.dumps(compat.last_body(case.slug))


def test_image_as_http_url(compat: CompatStack, case: ChatCase) -> None:
    client = compat.client_for(case)
    messages = [user([{"type": "text", "text": "Describe it"},
                      {"type": "image_url", "image_url": {"url": IMAGE_URL}}])]
    if not case.http_images:
        with pytest.raises(openai.BadRequestError) as refused:
            client.chat.completions.create(model=case.ref, messages=messages)
        assert refused.value.status_code == 400
        assert "data URL" in refused.value.message
        assert refused.value.param == "messages[0].content[1].image_url"
        assert compat.upstream(case.slug) == []
        return
    answer = client.chat.completions.create(model=case.ref, messages=messages)
    assert answer.choices[0].message.content == "Echo: Describe it"
    assert IMAGE_URL in json.dumps(compat.last_body(case.slug))


def test_system_and_developer_messages(compat: CompatStack, case: ChatCase) -> None:
    answer = compat.client_for(case).chat.completions.create(model=case.ref, messages=[
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "developer", "content": "Answer in French."},
        user("Bonjour")])
    assert answer.choices[0].message.content == "Echo: Bonjour"
    system = json.dumps(case.system(compat.last_body(case.slug)))
    assert "You are a terse assistant." in system and "Answer in French." in system


def test_response_format_json_schema(compat: CompatStack, case: ChatCase) -> None:
    answer = compat.client_for(case).chat.completions.create(
        model=case.ref, messages=[user("Name a big city")],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "city", "strict": True, "schema": CITY_SCHEMA}})
    schema = case.schema(compat.last_body(case.slug))
    assert list(schema["properties"]) == ["city", "population"]
    if case.openai_shaped:  # the OpenAI fake answers with JSON that fits the schema
        assert set(json.loads(answer.choices[0].message.content or "")) == {"city",
                                                                            "population"}
