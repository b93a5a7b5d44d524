"""Compat errors reach OpenAI SDK users as OpenAI-shaped bodies and the SDK's typed exceptions.

The gateway's own errors carry the Cloudflare code in `code`; an upstream's error keeps its
status and its own message; a stream that fails after it started ends with an error event the
SDK raises on, never with `[DONE]` or a made-up `finish_reason`.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.e2e.compat.cases import ANTHROPIC, BEDROCK, CASES, COHERE, ChatCase
from tests.e2e.compat.conftest import LOCKED, OPEN, CompatStack
from tests.fakes import credentials
from tests.fakes.aws_sigv4 import aws_error
from tests.fakes.upstreams import anthropic, cohere, google_ai_studio, google_vertex, workers_ai
from tests.fakes.upstreams import openai as openai_fake
from tests.fakes.upstreams.bedrock import BedrockFake
from tests.fakes.upstreams.common import FakeHTTPError

HELLO = [{"role": "user", "content": "Tell me a story about a lighthouse keeper"}]

#: What each provider answers when it refuses a request: the fakes' own error builders.
UPSTREAM_ERRORS: dict[str, FakeHTTPError] = {
    "anthropic": anthropic.invalid("messages.0.content: the prompt is too long"),
    "google-ai-studio": google_ai_studio.invalid("Request contains an invalid argument."),
    "google-vertex-ai": google_vertex.permission_denied(
        "projects/aigw-test-project/locations/us-central1/publishers/google/models/x"),
    "aws-bedrock": aws_error(400, "ValidationException", "The provided model is not ready."),
    "cohere": cohere.error(422, "invalid request: too many tokens"),
    "openai": openai_fake.error(404, "The model `gpt-5-mini` does not exist or you do not "
                                     "have access to it.", code="model_not_found"),
    "workers-ai": workers_ai.envelope_error(400, 5006, workers_ai.INPUT_INVALID),
}


def upstream_message(err: FakeHTTPError) -> str:
    body = err.body
    if isinstance(body.get("error"), dict):
        return str(body["error"]["message"])
    return str(body["errors"][0]["message"] if "errors" in body else body["message"])


def test_model_without_provider_prefix(compat: CompatStack) -> None:
    client = compat.client(OPEN, credentials.OPENAI_KEY)
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="gpt-5-mini", messages=HELLO)
    assert bad.value.status_code == 400
    assert bad.value.body == {"message": "model 'gpt-5-mini' has no provider prefix: use "
                                         "'{provider}/{model}', e.g. 'openai/gpt-5-mini'",
                              "type": "invalid_request_error", "code": 2008, "param": "model"}
    assert compat.upstream("openai") == []


def test_unknown_provider(compat: CompatStack) -> None:
    client = compat.client(OPEN, credentials.OPENAI_KEY)
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="nosuch/model-1", messages=HELLO)
    assert isinstance(bad.value.body, dict) and bad.value.body["code"] == 2008
    assert bad.value.body["message"] == "unknown provider 'nosuch'"


@pytest.mark.parametrize("case", [ANTHROPIC, BEDROCK, COHERE], ids=str)
def test_n_above_one_is_refused_naming_n(compat: CompatStack, case: ChatCase) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        compat.client_for(case).chat.completions.create(model=case.ref, messages=HELLO, n=2)
    assert bad.value.param == "n" and "n must be 1" in bad.value.message
    assert compat.upstream(case.slug) == []


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_upstream_error_keeps_status_and_message(compat: CompatStack, case: ChatCase,
                                                 stream: bool) -> None:
    err = UPSTREAM_ERRORS[case.slug]
    compat.fakes[case.slug].control.fail_next.append((err.status, err.body))
    with pytest.raises(openai.APIStatusError) as failed:
        compat.client_for(case).chat.completions.create(model=case.ref, messages=HELLO,
                                                        stream=stream)
    assert failed.value.status_code == err.status
    assert isinstance(failed.value.body, dict)
    assert failed.value.body["message"] == upstream_message(err)
    assert failed.value.message.endswith(upstream_message(err)) and failed.value.type
    expected = {400: openai.BadRequestError, 403: openai.PermissionDeniedError,
                404: openai.NotFoundError, 422: openai.UnprocessableEntityError}[err.status]
    assert type(failed.value) is expected


def test_upstream_rate_limit_is_a_rate_limit_error(compat: CompatStack) -> None:
    err = anthropic.error(429, "rate_limit_error", "Number of request tokens has exceeded your "
                                                   "per-minute rate limit")
    compat.fakes["anthropic"].control.fail_next.append((err.status, err.body))
    with pytest.raises(openai.RateLimitError) as limited:
        compat.client_for(ANTHROPIC).chat.completions.create(model=ANTHROPIC.ref, messages=HELLO)
    assert limited.value.body == {"message": upstream_message(err), "type": "rate_limit_error",
                                  "code": 429, "param": None}


def test_retryable_upstream_failure_is_retried(compat: CompatStack) -> None:
    err = anthropic.error(503, "api_error", "Internal server error")
    compat.fakes["anthropic"].control.fail_next.append((err.status, err.body))
    answer = compat.client_for(ANTHROPIC).chat.completions.create(
        model=ANTHROPIC.ref, messages=HELLO, extra_headers={"cf-aig-max-attempts": "2"})
    assert answer.choices[0].finish_reason == "stop"
    assert len(compat.upstream("anthropic")) == 2


def test_upstream_timeout_is_a_504(compat: CompatStack) -> None:
    compat.fakes["cohere"].control.delay_first_byte_s = 1.0
    with pytest.raises(openai.InternalServerError) as slow:
        compat.client_for(COHERE).chat.completions.create(
            model=COHERE.ref, messages=HELLO, extra_headers={"cf-aig-request-timeout": "200"})
    assert slow.value.status_code == 504
    assert isinstance(slow.value.body, dict)
    assert (slow.value.body["type"], slow.value.body["code"]) == ("timeout", 2006)


def test_embeddings_on_a_chat_only_provider(compat: CompatStack) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        compat.client_for(ANTHROPIC).embeddings.create(model=ANTHROPIC.ref, input="x")
    assert bad.value.param == "model" and "no embeddings" in bad.value.message


@pytest.mark.parametrize("api_key", ["aigw_" + "0" * 32 + "_" + "x" * 43,
                                     credentials.ANTHROPIC_KEY],
                         ids=["wrong-gateway-token", "provider-key-only"])
def test_gateway_authentication_failure(compat: CompatStack, api_key: str) -> None:
    with pytest.raises(openai.AuthenticationError) as denied:
        compat.client(LOCKED, api_key).chat.completions.create(model=ANTHROPIC.ref,
                                                               messages=HELLO)
    assert denied.value.status_code == 401
    assert isinstance(denied.value.body, dict) and denied.value.body["code"] == 2009
    assert denied.value.type == "authentication_error"
    assert compat.upstream("anthropic") == []


def assert_failed_midway(payloads: list[str]) -> dict[str, Any]:
    """The stream began, then ended with an error event: no [DONE], no finish_reason."""
    assert "[DONE]" not in payloads
    events = [json.loads(p) for p in payloads]
    chunks = [e for e in events if "choices" in e]
    assert chunks, "the stream should have started before it failed"
    assert all(c["finish_reason"] is None for e in chunks for c in e["choices"])
    assert "error" in events[-1] and not any("error" in e for e in events[:-1])
    return events[-1]["error"]  # type: ignore[no-any-return]


TEXT_STREAM = {"messages": HELLO, "stream_options": {"include_usage": True}}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_dropped_upstream_stream_raises_in_the_sdk(compat: CompatStack, case: ChatCase) -> None:
    compat.fakes[case.slug].control.drop_connection_midstream = True
    stream = compat.client_for(case).chat.completions.create(model=case.ref, stream=True,
                                                             **TEXT_STREAM)
    seen = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            seen.append(chunk)
    assert all(c.finish_reason is None for chunk in seen for c in chunk.choices)


@pytest.mark.parametrize("case", [c for c in CASES if not c.openai_shaped], ids=str)
def test_dropped_upstream_stream_ends_with_an_error_event(compat: CompatStack,
                                                          case: ChatCase) -> None:
    compat.fakes[case.slug].control.drop_connection_midstream = True
    error = assert_failed_midway(compat.raw_stream(case, TEXT_STREAM))
    assert error["type"] == "api_error" and error["message"]


def test_anthropic_error_event_midstream(compat: CompatStack) -> None:
    compat.anthropic_errors.after = 3
    stream = compat.client_for(ANTHROPIC).chat.completions.create(
        model=ANTHROPIC.ref, stream=True, **TEXT_STREAM)
    with pytest.raises(openai.APIError) as failed:
        list(stream)
    assert failed.value.message == "Overloaded"
    assert failed.value.body["type"] == "overloaded_error"  # type: ignore[index]
    error = assert_failed_midway(compat.raw_stream(ANTHROPIC, TEXT_STREAM))
    assert error == {"message": "Overloaded", "type": "overloaded_error", "code": 529,
                     "param": None}


def test_bedrock_exception_frame_midstream(compat: CompatStack) -> None:
    fake = compat.fakes["aws-bedrock"]
    assert isinstance(fake, BedrockFake)
    fake.stream_error_after = 3
    raw = compat.client_for(BEDROCK).chat.completions.with_raw_response.create(
        model=BEDROCK.ref, stream=True, **TEXT_STREAM)
    with pytest.raises(openai.APIError) as failed:
        list(raw.parse())
    assert "The model stream was interrupted" in failed.value.message
    assert compat.log_record(raw.headers["cf-aig-log-id"])["success"] is False
    error = assert_failed_midway(compat.raw_stream(BEDROCK, TEXT_STREAM))
    assert error["code"] == 424 and "modelStreamErrorException" in error["message"]
