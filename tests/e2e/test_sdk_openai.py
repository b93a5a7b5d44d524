"""The official `openai` SDK against the local gateway, changing only `base_url` (passthrough).

Chat completions (plain, streamed with usage, a tool-call round trip), embeddings and the
Responses API, with the client's own key and with the gateway's stored key. The SDK parses every
answer into its typed models, so a changed field, status or stream frame fails here.
"""

from __future__ import annotations

import json
import time

import openai
import pytest
from openai import Omit, OpenAI
from openai.types import CreateEmbeddingResponse, Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseFunctionToolCall

from tests.e2e.sdk_stack import SdkStack
from tests.fakes.credentials import OPENAI_KEY

MODEL = "gpt-4o-mini"
PAUSE_S = 0.08
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}


def client_for(stack: SdkStack, api_key: str = OPENAI_KEY) -> OpenAI:
    return OpenAI(base_url=stack.url("openai"), api_key=api_key, max_retries=0,
                  default_headers=stack.gateway_auth,
                  http_client=stack.httpx2_client())


@pytest.fixture(scope="module")
def client(sdk_stack: SdkStack) -> OpenAI:
    return client_for(sdk_stack)


def test_chat_completion_is_typed_and_forwarded_with_the_clients_key(client: OpenAI,
                                                                      stack: SdkStack) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Say hello"}])

    assert isinstance(completion, ChatCompletion)
    choice = completion.choices[0]
    assert choice.message.content == "Echo: Say hello"
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert completion.model == MODEL and completion.usage is not None
    assert completion.usage.total_tokens == (completion.usage.prompt_tokens
                                             + completion.usage.completion_tokens) > 0
    sent = stack.openai.recorder.last
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert not any(h.startswith("cf-aig-") for h in sent.headers)


def test_stream_relays_chunks_then_the_usage_chunk(client: OpenAI, stack: SdkStack) -> None:
    stack.openai.control.stream_pause_s = PAUSE_S
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "count one two three"}],
        stream=True, stream_options={"include_usage": True})
    arrivals: list[tuple[float, ChatCompletionChunk]] = [(time.monotonic(), c) for c in stream]
    chunks = [c for _, c in arrivals]

    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    *content_chunks, usage_chunk = chunks
    text = "".join(c.choices[0].delta.content or "" for c in content_chunks)
    assert text == "Echo: count one two three"
    assert content_chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in content_chunks)
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    usage = usage_chunk.usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    assert stack.openai.recorder.last.json()["stream_options"] == {"include_usage": True}
    # Relayed as it arrives: the first chunk was in hand long before the upstream finished.
    assert arrivals[-1][0] - arrivals[0][0] >= (len(chunks) - 2) * PAUSE_S


def test_upstream_headers_relayed_and_date_server_not_doubled(client: OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": "headers"}],
        extra_headers={"cf-aig-event-id": "evt-sdk-1"})

    assert raw.parse().choices[0].message.content == "Echo: headers"
    assert raw.headers["x-request-id"].startswith("req_")  # the upstream's
    assert raw.headers["cf-aig-log-id"] and raw.headers["cf-aig-event-id"] == "evt-sdk-1"
    # Regression: the upstream's Date and Server were relayed next to the server's own.
    assert len(raw.headers.get_list("date")) == 1
    assert raw.headers.get_list("server") == ["uvicorn"]


def test_models_list(client: OpenAI) -> None:
    models = list(client.models.list())
    assert models and all(isinstance(m, Model) for m in models)
    assert MODEL in {m.id for m in models}


def test_embeddings(client: OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-3-small",
                                      input=["first text", "second"], dimensions=64)

    assert isinstance(result, CreateEmbeddingResponse)
    assert [e.index for e in result.data] == [0, 1]
    assert all(len(e.embedding) == 64 for e in result.data)
    assert result.data[0].embedding != result.data[1].embedding
    assert result.usage.prompt_tokens == 3


def test_tool_call_round_trip(client: OpenAI) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model=MODEL, messages=messages,  # type: ignore[arg-type]
                                           tools=[WEATHER_TOOL])  # type: ignore[list-item]
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Weather in Paris?"}

    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"}]
    second = client.chat.completions.create(model=MODEL, messages=messages,  # type: ignore[arg-type]
                                            tools=[WEATHER_TOOL])  # type: ignore[list-item]
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "The tool returned: 18C and sunny"


def test_responses_api_passthrough(client: OpenAI, stack: SdkStack) -> None:
    response = client.responses.create(model=MODEL, input="Tell me a joke",
                                       instructions="Be brief")
    assert isinstance(response, Response)
    assert response.status == "completed" and response.output_text == "Echo: Tell me a joke"
    assert response.usage is not None and response.usage.output_tokens > 0
    assert stack.openai.recorder.last.path == "/v1/responses"

    tool = {"type": "function", "name": "lookup", "strict": True,
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}},
                           "required": ["q"], "additionalProperties": False}}
    events = list(client.responses.create(model=MODEL, input="find cats", tools=[tool],  # type: ignore[list-item]
                                          stream=True))
    assert [e.type for e in events][:2] == ["response.created", "response.in_progress"]
    assert events[-1].type == "response.completed"
    call = events[-1].response.output[0]
    assert isinstance(call, ResponseFunctionToolCall) and call.name == "lookup"
    assert json.loads(call.arguments) == {"q": "find cats"}


def test_stored_key_is_used_when_the_sdk_sends_no_authorization(stack: SdkStack) -> None:
    """The SDK insists on an api_key, and a client key would win over the stored one (precedence
    rule 1). A per-request `Omit()` drops its Authorization header, so the gateway attaches the
    stored key. (`default_headers={"Authorization": Omit()}` is refused by the SDK: its header
    check only honours an omission in the request's own headers.)"""
    stored = client_for(stack, api_key="unused-placeholder")
    completion = stored.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "stored key please"}],
        extra_headers={"Authorization": Omit()})

    assert completion.choices[0].message.content == "Echo: stored key please"
    assert stack.openai.recorder.last.headers["authorization"] == f"Bearer {OPENAI_KEY}"


def test_upstream_auth_error_is_the_sdks_typed_error(stack: SdkStack) -> None:
    wrong = client_for(stack, api_key="sk-wrong-key-000000000000")
    with pytest.raises(openai.AuthenticationError) as denied:
        wrong.models.list()
    assert denied.value.status_code == 401
    assert denied.value.code == "invalid_api_key"


def test_gateway_rejects_a_missing_gateway_token(stack: SdkStack) -> None:
    anonymous = OpenAI(base_url=stack.url("openai"), api_key=OPENAI_KEY, max_retries=0,
                       http_client=stack.httpx2_client())
    with pytest.raises(openai.AuthenticationError) as denied:
        anonymous.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    assert denied.value.status_code == 401
    body = denied.value.response.json()
    assert body["success"] is False and body["error"][0]["code"] == 2009
    assert stack.openai.recorder.requests == []
