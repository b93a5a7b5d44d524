"""The Bedrock fake is realistic: boto3 talks to it unchanged (SigV4, event streams), and it
rejects what Bedrock rejects."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import botocore.exceptions
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from tests.fakes import credentials as creds
from tests.fakes.aws_eventstream import encode_exception, encode_json_event
from tests.fakes.upstreams import bedrock
from tests.fakes.upstreams.common import FakeUpstream

CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
WEATHER_SCHEMA = {"type": "object", "properties": {"location": {"type": "string"}},
                  "required": ["location"]}


@pytest.fixture(scope="module")
def bedrock_server() -> Iterator[bedrock.BedrockFake]:
    fake = bedrock.create()
    with fake:
        yield fake


@pytest.fixture
def aws(bedrock_server: bedrock.BedrockFake) -> bedrock.BedrockFake:
    bedrock_server.reset()
    return bedrock_server



# ---------------------------------------------------------------- Bedrock


def bedrock_client(fake: FakeUpstream, secret: str = creds.AWS_SECRET_ACCESS_KEY,
                   key_id: str = creds.AWS_ACCESS_KEY_ID, token: str | None = None) -> Any:
    return boto3.client("bedrock-runtime", endpoint_url=fake.origin, region_name=creds.AWS_REGION,
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        aws_session_token=token)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


TOOL_CONFIG = {"tools": [{"toolSpec": {"name": "get_weather", "description": "Current weather",
                                       "inputSchema": {"json": WEATHER_SCHEMA}}}]}


def test_boto3_converse_and_tool_round_trip(aws: bedrock.BedrockFake) -> None:
    client = bedrock_client(aws)
    answer = client.converse(modelId=CLAUDE, messages=[user("Why is the sky blue?")],
                             inferenceConfig={"maxTokens": 100})
    assert answer["output"]["message"]["content"] == [{"text": "Echo: Why is the sky blue?"}]
    assert answer["stopReason"] == "end_turn" and answer["metrics"]["latencyMs"] > 0
    usage = answer["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse" == aws.recorder.last.path

    call = client.converse(modelId=CLAUDE, messages=[user("Paris")], toolConfig=TOOL_CONFIG)
    assert call["stopReason"] == "tool_use"
    use = call["output"]["message"]["content"][0]["toolUse"]
    assert use["name"] == "get_weather" and use["input"] == {"location": "Paris"}
    result = {"role": "user", "content": [{"toolResult": {
        "toolUseId": use["toolUseId"], "content": [{"json": {"temperature": 18}}]}}]}
    final = client.converse(modelId=CLAUDE, toolConfig=TOOL_CONFIG, messages=[
        user("Paris"), call["output"]["message"], result])
    text = final["output"]["message"]["content"][0]["text"]
    assert text == 'The tool returned: {"temperature": 18}'


def test_boto3_converse_stream(aws: bedrock.BedrockFake) -> None:
    client = bedrock_client(aws)
    events = list(client.converse_stream(modelId=CLAUDE, messages=[user("a b c")])["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart" and kinds[-3:] == ["contentBlockStop", "messageStop",
                                                         "metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events
                   if "contentBlockDelta" in e)
    assert text == "Echo: a b c"
    assert events[-1]["metadata"]["usage"]["outputTokens"] == 4

    tool_events = list(client.converse_stream(modelId=CLAUDE, messages=[user("Paris")],
                                              toolConfig=TOOL_CONFIG)["stream"])
    start = next(e["contentBlockStart"] for e in tool_events if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "get_weather"
    partial = "".join(e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in tool_events
                      if "contentBlockDelta" in e)
    assert json.loads(partial) == {"location": "Paris"}
    assert tool_events[-2] == {"messageStop": {"stopReason": "tool_use"}}


def test_boto3_stream_error_midway(aws: bedrock.BedrockFake) -> None:
    aws.stream_error_after = 2
    stream = bedrock_client(aws).converse_stream(modelId=CLAUDE, messages=[user("a b c")])["stream"]
    seen = []
    with pytest.raises(botocore.exceptions.EventStreamError, match="modelStreamErrorException"):
        for event in stream:
            seen.append(event)
    assert len(seen) == 2


def anthropic_body(**overrides: Any) -> bytes:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
            "messages": [{"role": "user", "content": "Why is the sky blue?"}], **overrides}
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_boto3_invoke_model_native_bodies(aws: bedrock.BedrockFake) -> None:
    client = bedrock_client(aws)
    answer = client.invoke_model(modelId=CLAUDE, body=anthropic_body())
    message = json.loads(answer["body"].read())
    assert message["type"] == "message" and message["id"].startswith("msg_bdrk_")
    assert message["content"] == [{"type": "text", "text": "Echo: Why is the sky blue?"}]
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-output-token-count"] == str(message["usage"]["output_tokens"])

    titan = client.invoke_model(modelId="amazon.titan-embed-text-v2:0",
                                body=json.dumps({"inputText": "hello world", "dimensions": 256}))
    titan_body = json.loads(titan["body"].read())
    assert len(titan_body["embedding"]) == 256 and titan_body["inputTextTokenCount"] == 2
    cohere = client.invoke_model(modelId="cohere.embed-english-v3", body=json.dumps(
        {"texts": ["a", "b"], "input_type": "search_document"}))
    cohere_body = json.loads(cohere["body"].read())
    assert cohere_body["response_type"] == "embeddings_floats"
    assert [len(v) for v in cohere_body["embeddings"]] == [1024, 1024]


def test_boto3_invoke_model_with_response_stream(aws: bedrock.BedrockFake) -> None:
    stream = bedrock_client(aws).invoke_model_with_response_stream(
        modelId="us." + CLAUDE, body=anthropic_body())
    events = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    assert [e["type"] for e in events][:2] == ["message_start", "content_block_start"]
    assert "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta") \
        == "Echo: Why is the sky blue?"
    assert events[-1]["type"] == "message_stop"
    assert events[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0


def test_session_credentials_need_their_token(aws: bedrock.BedrockFake) -> None:
    good = bedrock_client(aws, creds.AWS_SESSION_SECRET_ACCESS_KEY,
                          creds.AWS_SESSION_ACCESS_KEY_ID, creds.AWS_SESSION_TOKEN)
    assert good.converse(modelId=CLAUDE, messages=[user("hi")])["stopReason"] == "end_turn"
    tokenless = bedrock_client(aws, creds.AWS_SESSION_SECRET_ACCESS_KEY,
                               creds.AWS_SESSION_ACCESS_KEY_ID)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        tokenless.converse(modelId=CLAUDE, messages=[user("hi")])
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def signed_headers(url: str, body: bytes, *, secret: str = creds.AWS_SECRET_ACCESS_KEY,
                   region: str = creds.AWS_REGION,
                   when: dt.datetime | None = None) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"content-type": "application/json"})
    signer = SigV4Auth(Credentials(creds.AWS_ACCESS_KEY_ID, secret), "bedrock", region)
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=when or dt.datetime.now(dt.UTC).replace(tzinfo=None)):
        signer.add_auth(request)
    return dict(request.headers.items())


def converse_url(fake: FakeUpstream) -> str:
    return f"{fake.origin}/model/{CLAUDE.replace(':', '%3A')}/converse"


def test_sigv4_is_verified(aws: bedrock.BedrockFake) -> None:
    url, body = converse_url(aws), json.dumps({"messages": [user("hi")]}).encode()
    assert httpx.post(url, content=body, headers=signed_headers(url, body)).status_code == 200

    missing = httpx.post(url, content=body)
    assert missing.status_code == 403
    assert missing.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert missing.json() == {"message": "Missing Authentication Token"}

    tampered = httpx.post(url, content=body.replace(b"hi", b"yo"),
                          headers=signed_headers(url, body))
    assert tampered.status_code == 403
    assert tampered.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert tampered.json()["message"].startswith("The request signature we calculated does not")

    wrong_secret = httpx.post(url, content=body, headers=signed_headers(url, body, secret="x" * 40))
    assert wrong_secret.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    other_region = httpx.post(url, content=body,
                              headers=signed_headers(url, body, region="eu-west-1"))
    assert other_region.status_code == 403 and "valid region" in other_region.json()["message"]
    stale = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=20)
    expired = httpx.post(url, content=body, headers=signed_headers(url, body, when=stale))
    assert expired.status_code == 403 and "Signature expired" in expired.json()["message"]
    unencoded = httpx.post(f"{aws.origin}/model/{CLAUDE}/converse", content=body,
                           headers=signed_headers(url, body))
    assert unencoded.json()["message"].startswith("The request signature we calculated")


def test_boto3_sees_signature_mismatch(aws: bedrock.BedrockFake) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        bedrock_client(aws, secret="x" * 40).converse(modelId=CLAUDE, messages=[user("hi")])
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def _use(tool_id: str = "tooluse_1") -> dict[str, Any]:
    return {"toolUse": {"toolUseId": tool_id, "name": "get_weather", "input": {}}}


def _result(tool_id: str = "tooluse_1") -> dict[str, Any]:
    return {"toolResult": {"toolUseId": tool_id, "content": [{"text": "18C"}]}}


CONVERSE_REJECTIONS = [
    ({"messages": [{"role": "assistant", "content": [{"text": "hi"}]}]}, "must start with a user"),
    ({"messages": [user("a"), user("b")]}, "must alternate between user and assistant"),
    ({"messages": [user("a"), {"role": "assistant", "content": [_use()]},
                   {"role": "user", "content": [_result("tooluse_other")]}],
      "toolConfig": TOOL_CONFIG}, "Expected toolResult blocks at messages.2.content"),
    ({"messages": [{"role": "user", "content": [_result()]}], "toolConfig": TOOL_CONFIG},
     "exceeds the number of toolUse blocks of previous turn"),
    ({"messages": [user("a"), {"role": "assistant", "content": [_use()]},
                   {"role": "user", "content": [_result()]}]}, "toolConfig field must be defined"),
    ({"messages": [user("a")], "inferenceConfig": {"maxTokens": 0}},
     "'inferenceConfig.maxTokens' failed to satisfy constraint"),
]


@pytest.mark.parametrize(("body", "message"), CONVERSE_REJECTIONS)
def test_converse_rejects_what_bedrock_rejects(aws: bedrock.BedrockFake, body: dict[str, Any],
                                               message: str) -> None:
    url, raw = converse_url(aws), json.dumps(body).encode()
    answer = httpx.post(url, content=raw, headers=signed_headers(url, raw))
    assert answer.status_code == 400
    assert answer.headers["x-amzn-ErrorType"] == "ValidationException"
    assert message in answer.json()["message"]


@pytest.mark.parametrize(("body", "message"), [
    (anthropic_body(max_tokens=None), "required key [max_tokens] not found"),
    (anthropic_body(anthropic_version=None), "required key [anthropic_version] not found"),
    (anthropic_body(model="claude-3-5-sonnet"), "extraneous key [model] is not permitted"),
    (anthropic_body(stream=True), "extraneous key [stream] is not permitted"),
    (anthropic_body(anthropic_version="2023-06-01"), "is not a valid enum value"),
    (anthropic_body(messages=[{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_x", "content": "18C"}]}]),
     "unexpected `tool_use_id` found in `tool_result` blocks"),
])
def test_anthropic_on_bedrock_rejections(aws: bedrock.BedrockFake, body: bytes,
                                         message: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        bedrock_client(aws).invoke_model(modelId=CLAUDE, body=body)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert message in raised.value.response["Error"]["Message"]


def test_event_stream_encoder_decodes_with_botocore() -> None:
    wire = encode_json_event("contentBlockDelta", {"delta": {"text": "héllo"}}) + \
        encode_exception("throttlingException", "Too many requests")
    buffer = EventStreamBuffer()
    buffer.add_data(wire[:7])  # a partial prelude must not confuse the decoder
    buffer.add_data(wire[7:])
    first, second = list(buffer)
    assert first.headers == {":event-type": "contentBlockDelta",
                             ":content-type": "application/json", ":message-type": "event"}
    assert json.loads(first.payload) == {"delta": {"text": "héllo"}}
    assert second.headers[":message-type"] == "exception"
    assert second.headers[":exception-type"] == "throttlingException"
    assert json.loads(second.payload) == {"message": "Too many requests"}
    chunk = encode_json_event("chunk", {"bytes": base64.b64encode(b"{}").decode()})
    buffer.add_data(chunk)
    assert json.loads(next(iter(buffer)).payload)["bytes"] == "e30="
