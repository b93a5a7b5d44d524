"""The fake upstreams themselves: each accepts a correct request, rejects what the real provider
rejects, and answers in bodies the official SDKs parse (which is what proves the fixtures real).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic as anthropic_sdk
import httpx
import openai as openai_sdk
import pytest
from anthropic.types import TextBlock, ToolUseBlock
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from tests.fakes import credentials as keys
from tests.fakes.upstreams import anthropic, azure_openai, cohere, openai, workers_ai
from tests.fakes.upstreams.common import FakeUpstream

# Wire payloads, deliberately plain: the fakes validate them, not the SDKs' TypedDicts.
WEATHER_TOOL: Any = {"type": "object", "required": ["city"],
                     "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}
OPENAI_TOOLS: Any = [{"type": "function",
                      "function": {"name": "get_weather", "parameters": WEATHER_TOOL}}]
ANTHROPIC_TOOLS: Any = [{"name": "get_weather", "description": "Weather",
                         "input_schema": WEATHER_TOOL}]
USER: Any = {"role": "user", "content": "weather in Paris"}


def _started(fake: FakeUpstream) -> Iterator[FakeUpstream]:
    with fake:
        yield fake


@pytest.fixture(scope="module")
def oai() -> Iterator[FakeUpstream]:
    yield from _started(openai.create())


@pytest.fixture(scope="module")
def claude() -> Iterator[FakeUpstream]:
    yield from _started(anthropic.create())


@pytest.fixture(scope="module")
def co() -> Iterator[FakeUpstream]:
    yield from _started(cohere.create())


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    for name in ("oai", "claude", "co"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


def _sse_data(text: str) -> list[Any]:
    return [json.loads(line[6:]) for line in text.splitlines()
            if line.startswith("data: ") and line != "data: [DONE]"]


# ---------------------------------------------------------------- OpenAI


def _oai_post(fake: FakeUpstream, body: dict[str, Any], key: str = keys.OPENAI_KEY,
              path: str = "/chat/completions") -> httpx.Response:
    return httpx.post(fake.upstream_base + path, json=body,
                      headers={"Authorization": f"Bearer {key}"})


def test_openai_answers_and_records_the_request(oai: FakeUpstream) -> None:
    resp = _oai_post(oai, {"model": "gpt-4o", "messages": [USER]})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["id"].startswith("chatcmpl-") and body["system_fingerprint"]
    assert body["choices"][0]["message"]["content"] == "Echo: weather in Paris"
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    seen = oai.recorder.last
    assert (seen.method, seen.path) == ("POST", "/v1/chat/completions")
    assert seen.headers["authorization"] == f"Bearer {keys.OPENAI_KEY}"
    assert seen.json()["messages"] == [USER]


def test_openai_rejects_missing_and_wrong_keys(oai: FakeUpstream) -> None:
    missing = httpx.post(oai.upstream_base + "/chat/completions", json={})
    wrong = _oai_post(oai, {"model": "gpt-4o", "messages": [USER]}, key="sk-test-wrong-key-123456")
    assert missing.status_code == wrong.status_code == 401
    assert set(wrong.json()["error"]) == {"message", "type", "param", "code"}
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert "sk-test-wrong-key-123456" not in wrong.text
    assert len(oai.recorder.requests) == 2  # rejected requests are recorded too


CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"messages": [USER]}, None, None),
    ({"model": "m", "messages": []}, "messages", "empty_array"),
    ({"model": "m", "messages": [{"role": "bot", "content": "x"}]}, "messages[0].role",
     "invalid_value"),
    ({"model": "m", "messages": [USER, {"role": "tool", "tool_call_id": "call_1",
                                        "content": "x"}]}, "messages.[1].role", None),
    ({"model": "m", "messages": [USER, {"role": "assistant", "content": None,
                                        "tool_calls": [CALL]}, USER]}, "messages.[1].role", None),
    ({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}]},
     "messages[0].content[0].image_url.url", "invalid_value"),
    ({"model": "m", "messages": [USER], "stream_options": {"include_usage": True}},
     "stream_options", None),
])
def test_openai_rejects_what_the_api_rejects(oai: FakeUpstream, body: dict[str, Any],
                                             param: str | None, code: str | None) -> None:
    resp = _oai_post(oai, body)
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_openai_sdk_parses_chat_stream_and_tool_round_trip(oai: FakeUpstream) -> None:
    client = openai_sdk.OpenAI(base_url=oai.upstream_base, api_key=keys.OPENAI_KEY)
    plain = client.chat.completions.create(model="gpt-4o", messages=[USER], max_tokens=2)
    assert (plain.choices[0].message.content, plain.choices[0].finish_reason) == ("Echo: weather",
                                                                                 "length")
    chunks = list(client.chat.completions.create(
        model="gpt-4o", messages=[USER], stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) \
        == "Echo: weather in Paris"
    assert chunks[-1].choices == [] and chunks[-1].usage and chunks[-1].usage.total_tokens > 0
    first = client.chat.completions.create(model="gpt-4o", messages=[USER], tools=OPENAI_TOOLS)
    call = (first.choices[0].message.tool_calls or [])[0]
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert first.choices[0].finish_reason == "tool_calls"
    assert json.loads(call.function.arguments) == {"city": "weather in Paris", "days": 3}
    history: Any = [USER, first.choices[0].message.model_dump(exclude_none=True),
                    {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]
    second = client.chat.completions.create(model="gpt-4o", tools=OPENAI_TOOLS, messages=history)
    assert second.choices[0].message.content == "The tool returned: sunny"
    streamed = list(client.chat.completions.create(model="gpt-4o", messages=[USER],
                                                   tools=OPENAI_TOOLS, stream=True))
    args = "".join(t.function.arguments or "" for c in streamed if c.choices
                   for t in c.choices[0].delta.tool_calls or [] if t.function)
    assert json.loads(args) == json.loads(call.function.arguments)


def test_openai_sdk_parses_embeddings_models_and_responses(oai: FakeUpstream) -> None:
    client = openai_sdk.OpenAI(base_url=oai.upstream_base, api_key=keys.OPENAI_KEY)
    emb = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert oai.recorder.last.json()["encoding_format"] == "base64"  # the SDK's default
    assert [len(d.embedding) for d in emb.data] == [1536, 1536]
    assert "gpt-4o" in {m.id for m in client.models.list()}
    resp = client.responses.create(model="gpt-4o", input="hello there")
    assert resp.output_text == "Echo: hello there"
    function: Any = {"type": "function", "name": "get_weather", "parameters": WEATHER_TOOL}
    called = client.responses.create(model="gpt-4o", input="hi", tools=[function])
    assert called.output[0].type == "function_call"
    events = list(client.responses.create(model="gpt-4o", input="hello there", stream=True))
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "Echo: hello there"


def test_openai_shaped_flavor_serves_its_own_prefix_and_key() -> None:
    with openai.create("groq") as groq:
        assert groq.env() == ("AIGW_UPSTREAM_GROQ", groq.origin + "/openai/v1")
        ok = _oai_post(groq, {"model": "llama", "messages": [USER]}, key=keys.GROQ_KEY)
        assert ok.status_code == 200 and groq.recorder.last.path == "/openai/v1/chat/completions"
        assert _oai_post(groq, {"model": "m", "messages": [USER]}).status_code == 401


# ---------------------------------------------------------------- FakeControl


def test_control_fail_next_answers_then_recovers(oai: FakeUpstream) -> None:
    oai.control.fail_next.append((429, {"error": {"message": "Rate limit", "type": "requests",
                                                  "param": None, "code": "rate_limit_exceeded"}}))
    first = _oai_post(oai, {"model": "m", "messages": [USER]})
    assert (first.status_code, first.json()["error"]["code"]) == (429, "rate_limit_exceeded")
    assert _oai_post(oai, {"model": "m", "messages": [USER]}).status_code == 200


def test_control_stream_pause_spreads_the_frames(oai: FakeUpstream) -> None:
    oai.control.stream_pause_s = 0.1
    body = {"model": "m", "messages": [USER], "stream": True}
    start = time.monotonic()
    arrivals = []
    with httpx.stream("POST", oai.upstream_base + "/chat/completions", json=body,
                      headers={"Authorization": f"Bearer {keys.OPENAI_KEY}"}) as resp:
        for _ in resp.iter_raw():
            arrivals.append(time.monotonic() - start)
    assert len(arrivals) > 5 and arrivals[-1] - arrivals[0] >= 0.1 * (len(arrivals) - 1)


def test_control_delay_and_drop(oai: FakeUpstream) -> None:
    oai.control.delay_first_byte_s = 0.5
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(oai.upstream_base + "/models", timeout=0.2,
                   headers={"Authorization": f"Bearer {keys.OPENAI_KEY}"})
    oai.control.reset()
    oai.control.drop_connection_midstream = True
    with pytest.raises(httpx.RemoteProtocolError):
        _oai_post(oai, {"model": "m", "messages": [USER], "stream": True})
    with pytest.raises(httpx.RemoteProtocolError):
        _oai_post(oai, {"model": "m", "messages": [USER]})


# ---------------------------------------------------------------- Azure OpenAI and Workers AI


def test_azure_openai_requires_api_version_and_api_key() -> None:
    with azure_openai.create() as fake:
        url = fake.origin + "/openai/deployments/gpt-4o/chat/completions"
        body = {"messages": [USER]}
        no_version = httpx.post(url, json=body, headers={"api-key": keys.AZURE_OPENAI_KEY})
        assert (no_version.status_code, no_version.json()["error"]["code"]) == (404, "404")
        wrong = httpx.post(url + "?api-version=2024-10-21", json=body, headers={"api-key": "x"})
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "401")
        client = openai_sdk.AzureOpenAI(azure_endpoint=fake.origin, api_version="2024-10-21",
                                        api_key=keys.AZURE_OPENAI_KEY)
        done = client.chat.completions.create(model="gpt-4o", messages=[USER])
        assert done.choices[0].message.content == "Echo: weather in Paris"
        assert done.model_extra and "prompt_filter_results" in done.model_extra
        chunks = list(client.chat.completions.create(model="gpt-4o", messages=[USER],
                                                     stream=True))
        assert chunks[0].choices == [] and chunks[0].id == ""
        assert fake.recorder.last.headers["api-key"] == keys.AZURE_OPENAI_KEY


def test_workers_ai_run_envelope_stream_and_openai_endpoints() -> None:
    with workers_ai.create() as fake:
        run = fake.origin + "/client/v4/accounts/acc1/ai/run/@cf/meta/llama-3.1-8b-instruct"
        auth = {"Authorization": f"Bearer {keys.WORKERS_AI_KEY}"}
        ok = httpx.post(run, json={"messages": [USER]}, headers=auth).json()
        assert ok["success"] is True and ok["result"]["response"] == "Echo: weather in Paris"
        frames = _sse_data(httpx.post(run, json={"prompt": "hi you", "stream": True},
                                      headers=auth).text)
        assert "".join(f["response"] for f in frames) == "Echo: hi you" and "usage" in frames[-1]
        denied = httpx.post(run, json={"prompt": "x"})
        assert denied.status_code == 401 and denied.json()["errors"][0]["code"] == 10000
        assert httpx.post(run, json={}, headers=auth).json()["errors"][0]["code"] == 5006
        emb = httpx.post(fake.origin + "/client/v4/accounts/acc1/ai/run/@cf/baai/bge-base-en-v1.5",
                         json={"text": ["a", "b"]}, headers=auth).json()["result"]
        assert emb["shape"] == [2, 768]
        client = openai_sdk.OpenAI(base_url=fake.upstream_base.replace("{account_id}", "acc1")
                                   + "/v1", api_key=keys.WORKERS_AI_KEY)
        chat = client.chat.completions.create(model="@cf/meta/llama-3.1-8b-instruct",
                                              messages=[USER])
        assert chat.choices[0].message.content == "Echo: weather in Paris"
        assert fake.recorder.last.path == "/client/v4/accounts/acc1/ai/v1/chat/completions"


# ---------------------------------------------------------------- Anthropic


ANTHROPIC_HEADERS = {"x-api-key": keys.ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}


def _claude_post(fake: FakeUpstream, messages: list[Any], **extra: Any) -> httpx.Response:
    body = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": messages, **extra}
    body = {k: v for k, v in body.items() if v is not None}  # None drops a field
    return httpx.post(fake.upstream_base + "/v1/messages", json=body, headers=ANTHROPIC_HEADERS)


def test_anthropic_auth_and_version_headers(claude: FakeUpstream) -> None:
    url, body = claude.upstream_base + "/v1/messages", {"model": "m", "max_tokens": 5,
                                                        "messages": [USER]}
    no_key = httpx.post(url, json=body, headers={"anthropic-version": "2023-06-01"})
    wrong = httpx.post(url, json=body, headers={**ANTHROPIC_HEADERS, "x-api-key": "sk-ant-no"})
    no_version = httpx.post(url, json=body, headers={"x-api-key": keys.ANTHROPIC_KEY})
    assert [r.status_code for r in (no_key, wrong, no_version)] == [401, 401, 400]
    assert wrong.json()["type"] == "error"
    assert wrong.json()["error"]["type"] == "authentication_error"
    assert no_version.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(("messages", "extra", "needle"), [
    ([USER], {"max_tokens": None}, "max_tokens: Field required"),
    ([], {}, "at least one message is required"),
    ([{"role": "system", "content": "be nice"}, USER], {}, 'Unexpected role "system"'),
    ([USER, {"role": "user", "content": ""}], {}, "non-empty content"),
    ([USER, {"role": "assistant", "content": [TOOL_USE]}, USER], {}, "without `tool_result`"),
    ([USER, {"role": "assistant", "content": [TOOL_USE]},
      {"role": "user", "content": [{"type": "text", "text": "here"}, RESULT]}], {},
     "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1"),
    ([{"role": "user", "content": [RESULT]}], {}, "unexpected `tool_use_id`"),
    ([{"role": "user", "content": [{"type": "image", "source": {"type": "file",
                                                                "file_id": "f1"}}]}], {},
     "expected tags: 'base64', 'url'"),
])
def test_anthropic_rejects_what_the_api_rejects(claude: FakeUpstream, messages: list[Any],
                                                extra: dict[str, Any], needle: str) -> None:
    resp = _claude_post(claude, messages, **extra)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["type"] == "invalid_request_error"
    assert needle in resp.json()["error"]["message"]


def test_anthropic_combines_consecutive_turns_as_documented(claude: FakeUpstream) -> None:
    split_results = [USER, {"role": "assistant", "content": [TOOL_USE]},
                     {"role": "user", "content": [RESULT]}, {"role": "user", "content": "and?"}]
    # (tool blocks need `tools` defined, as the real API requires)
    assert _claude_post(claude, split_results, tools=ANTHROPIC_TOOLS).status_code == 200
    assistant_first = [{"role": "assistant", "content": "Hi!"}, USER]
    assert _claude_post(claude, assistant_first).status_code == 200


def test_anthropic_sdk_parses_messages_streams_and_a_tool_round_trip(claude: FakeUpstream) -> None:
    client = anthropic_sdk.Anthropic(base_url=claude.upstream_base, api_key=keys.ANTHROPIC_KEY)
    msg = client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=[USER])
    assert (msg.content[0].type, msg.stop_reason) == ("text", "end_turn")
    assert isinstance(msg.content[0], TextBlock) and msg.usage.output_tokens > 0
    assert msg.content[0].text == "Echo: weather in Paris"
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=2048, messages=[USER],
                                thinking={"type": "enabled", "budget_tokens": 1024}) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Echo: weather in Paris" and final.content[0].type == "thinking"
    first = client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=[USER],
                                   tools=ANTHROPIC_TOOLS)
    tool_use = first.content[-1]
    assert first.stop_reason == "tool_use" and isinstance(tool_use, ToolUseBlock)
    assert tool_use.input == {"city": "weather in Paris", "days": 3}
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=[USER],
                                tools=ANTHROPIC_TOOLS,
                                tool_choice={"type": "tool", "name": "get_weather"}) as stream:
        streamed = stream.get_final_message()
    assert [b.type for b in streamed.content] == ["tool_use"]
    assert isinstance(streamed.content[0], ToolUseBlock)
    assert streamed.content[0].input == tool_use.input
    result: Any = {"type": "tool_result", "tool_use_id": tool_use.id, "content": "sunny"}
    second = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=64, tools=ANTHROPIC_TOOLS,
        messages=[USER, {"role": "assistant", "content": first.content},
                  {"role": "user", "content": [result]}])
    assert isinstance(second.content[0], TextBlock)
    assert second.content[0].text == "The tool returned: sunny"


def test_anthropic_stream_has_the_real_event_sequence(claude: FakeUpstream) -> None:
    resp = _claude_post(claude, [USER], stream=True, tools=ANTHROPIC_TOOLS)
    kinds = [f["type"] for f in _sse_data(resp.text)]
    assert kinds[:3] == ["message_start", "content_block_start", "ping"]
    assert kinds[-2:] == ["message_delta", "message_stop"]
    partials = [f["delta"]["partial_json"] for f in _sse_data(resp.text)
                if f["type"] == "content_block_delta" and f["delta"]["type"] == "input_json_delta"]
    assert len([p for p in partials if p]) >= 2


# ---------------------------------------------------------------- Cohere


def _co_post(fake: FakeUpstream, body: dict[str, Any], path: str = "/v2/chat",
             key: str = keys.COHERE_KEY) -> httpx.Response:
    return httpx.post(fake.upstream_base + path, json=body,
                      headers={"Authorization": f"Bearer {key}"})


def test_cohere_chat_stream_and_tool_round_trip(co: FakeUpstream) -> None:
    plain = _co_post(co, {"model": "command-a-03-2025", "messages": [USER]}).json()
    assert plain["finish_reason"] == "COMPLETE"
    assert plain["message"]["content"][0]["text"] == "Echo: weather in Paris"
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_TOOL}}]
    called = _co_post(co, {"model": "command-a-03-2025", "messages": [USER],
                           "tools": tools}).json()
    call = called["message"]["tool_calls"][0]
    assert called["finish_reason"] == "TOOL_CALL" and called["message"]["tool_plan"]
    answered = _co_post(co, {"model": "command-a-03-2025", "tools": tools, "messages": [
        USER, called["message"], {"role": "tool", "tool_call_id": call["id"],
                                  "content": [{"type": "document", "document": {
                                      "data": {"forecast": "sunny"}}}]}]}).json()
    assert "sunny" in answered["message"]["content"][0]["text"]
    frames = _sse_data(_co_post(co, {"model": "command-a-03-2025", "messages": [USER],
                                     "tools": tools, "stream": True}).text)
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "message-start" and kinds[-1] == "message-end"
    assert {"tool-plan-delta", "tool-call-start", "tool-call-delta", "tool-call-end"} <= set(kinds)
    assert frames[-1]["delta"]["finish_reason"] == "TOOL_CALL"


def test_cohere_rejections(co: FakeUpstream) -> None:
    denied = _co_post(co, {"model": "c", "messages": [USER]}, key="bad")
    assert (denied.status_code, denied.json()["message"]) == (401, "invalid api token")
    for body in ({"messages": [USER]}, {"model": "c", "messages": []},
                 {"model": "c", "messages": [USER, {"role": "tool", "tool_call_id": "x",
                                                    "content": "y"}]}):
        resp = _co_post(co, body)
        assert resp.status_code == 400 and resp.json()["message"].startswith("invalid request")


def test_cohere_embed(co: FakeUpstream) -> None:
    body = {"model": "embed-english-v3.0", "texts": ["hello"], "input_type": "search_query",
            "embedding_types": ["float", "int8"]}
    ok = _co_post(co, body, path="/v2/embed").json()
    assert len(ok["embeddings"]["float"][0]) == 1024 and ok["response_type"] == "embeddings_by_type"
    no_type = _co_post(co, {**body, "input_type": None}, path="/v2/embed")
    no_kinds = _co_post(co, {**body, "embedding_types": None}, path="/v2/embed")
    assert no_type.status_code == no_kinds.status_code == 400
    assert "input_type" in no_type.json()["message"]
