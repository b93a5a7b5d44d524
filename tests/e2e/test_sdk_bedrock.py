"""`boto3`'s bedrock-runtime client against the local gateway, through `endpoint_url`.

The client does not sign (`UNSIGNED`): the gateway signs with the AWS credentials JSON stored as
its provider key, and the fake Bedrock verifies that SigV4 signature. Converse, ConverseStream
(AWS event stream, decoded by boto3), InvokeModel with an Anthropic-on-Bedrock body and
InvokeModelWithResponseStream; then the client-signed variant, forwarded unchanged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import EventStreamError

from tests.e2e.sdk_stack import SdkStack
from tests.fakes import credentials

REGION = credentials.AWS_REGION
MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
PROFILE_ARN = f"arn:aws:bedrock:{REGION}:123456789012:inference-profile/{MODEL_ID}"
"""An ARN model id: `:` and `/` reach the path percent-encoded, and must stay so (signed)."""
NO_RETRIES = {"max_attempts": 1, "mode": "standard"}
WEATHER_TOOL = {"toolSpec": {"name": "get_weather", "description": "Current weather",
                             "inputSchema": {"json": {"type": "object", "properties": {
                                 "city": {"type": "string"}}, "required": ["city"]}}}}


def runtime_path(stack: SdkStack) -> str:
    return f"{stack.url('aws-bedrock')}/bedrock-runtime/{REGION}"


def with_hooks(stack: SdkStack, client: Any, before_send: Any) -> Any:
    client.meta.events.register("before-send.bedrock-runtime", before_send)
    client.meta.events.register("after-call.bedrock-runtime", stack.exchanges.boto3_after_call)
    return client


@pytest.fixture(scope="module")
def bedrock(sdk_stack: SdkStack) -> Any:
    client = boto3.client("bedrock-runtime", endpoint_url=runtime_path(sdk_stack),
                          region_name=REGION,
                          config=Config(signature_version=UNSIGNED, retries=NO_RETRIES))

    def gateway_token(request: Any, **_: Any) -> None:
        request.headers["cf-aig-authorization"] = f"Bearer {sdk_stack.run_token}"

    return with_hooks(sdk_stack, client, gateway_token)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def anthropic_body(text: str) -> bytes:
    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                       "messages": [{"role": "user", "content": text}]}).encode()


@pytest.mark.parametrize("model_id", [MODEL_ID, PROFILE_ARN], ids=["profile-id", "arn"])
def test_converse_signed_by_the_gateway(bedrock: Any, stack: SdkStack, model_id: str) -> None:
    result = bedrock.converse(modelId=model_id, messages=[user("Hello Bedrock")],
                              inferenceConfig={"maxTokens": 50})

    assert result["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert result["output"]["message"] == {"role": "assistant",
                                           "content": [{"text": "Echo: Hello Bedrock"}]}
    assert result["stopReason"] == "end_turn"
    usage = result["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] > 0
    sent = stack.bedrock.recorder.last
    assert sent.path == f"/model/{quote(model_id, safe='')}/converse"
    assert sent.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={credentials.AWS_ACCESS_KEY_ID}/")
    assert not any(h.startswith("cf-aig-") for h in sent.headers)


def test_converse_tool_use_round_trip(bedrock: Any) -> None:
    tools = {"tools": [WEATHER_TOOL]}
    first = bedrock.converse(modelId=MODEL_ID, messages=[user("Lima?")], toolConfig=tools)
    assert first["stopReason"] == "tool_use"
    use = first["output"]["message"]["content"][0]["toolUse"]
    assert use["name"] == "get_weather" and use["input"] == {"city": "Lima?"}

    answer = {"role": "user", "content": [{"toolResult": {
        "toolUseId": use["toolUseId"], "content": [{"text": "19C"}]}}]}
    second = bedrock.converse(modelId=MODEL_ID, toolConfig=tools,
                              messages=[user("Lima?"), first["output"]["message"], answer])
    assert second["output"]["message"]["content"] == [{"text": "The tool returned: 19C"}]


def test_converse_stream_is_decoded_by_boto3(bedrock: Any, stack: SdkStack) -> None:
    result = bedrock.converse_stream(modelId=MODEL_ID, messages=[user("one two three")])
    events = list(result["stream"])
    stack.exchanges.saw(events)

    assert list(events[0]) == ["messageStart"] and list(events[-1]) == ["metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events
                   if "contentBlockDelta" in e)
    assert text == "Echo: one two three"
    assert {"messageStop": {"stopReason": "end_turn"}} in events
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0


def test_error_inside_the_event_stream_reaches_boto3(bedrock: Any, stack: SdkStack) -> None:
    stack.bedrock.stream_error_after = 3
    seen: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as failed:
        for event in bedrock.converse_stream(modelId=MODEL_ID, messages=[user("a b c d")])[
                "stream"]:
            seen.append(event)
    stack.exchanges.saw(seen)

    assert len(seen) == 3
    assert failed.value.response["Error"]["Code"] == "modelStreamErrorException"


def test_invoke_model_with_an_anthropic_body(bedrock: Any, stack: SdkStack) -> None:
    result = bedrock.invoke_model(modelId=MODEL_ID, body=anthropic_body("Hi Claude"),
                                  contentType="application/json", accept="application/json")
    raw = result["body"].read()
    stack.exchanges.saw(raw)
    message = json.loads(raw)

    assert message["type"] == "message" and message["stop_reason"] == "end_turn"
    assert message["content"] == [{"type": "text", "text": "Echo: Hi Claude"}]
    headers = result["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-input-token-count"]) > 0
    assert stack.bedrock.recorder.last.path.endswith("/invoke")


def test_invoke_model_with_response_stream(bedrock: Any, stack: SdkStack) -> None:
    result = bedrock.invoke_model_with_response_stream(modelId=MODEL_ID,
                                                       body=anthropic_body("stream it"))
    events = [json.loads(e["chunk"]["bytes"]) for e in result["body"]]
    stack.exchanges.saw(events)

    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == "Echo: stream it"
    assert events[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0


def test_validation_error_is_boto3s_typed_exception(bedrock: Any) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException) as bad:
        bedrock.converse(modelId=MODEL_ID, messages=[
            {"role": "assistant", "content": [{"text": "I start"}]}])
    error = bad.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"].startswith("A conversation must start with a user message.")


def test_client_signed_request_is_forwarded_unchanged(stack: SdkStack) -> None:
    """boto3 signs for the upstream host (here the fake Bedrock, where the gateway forwards;
    deployed, the real `bedrock-runtime.{region}.amazonaws.com`); a `before-send` hook then
    sends the signed request to the gateway instead. The gateway must not re-sign: the fake
    verifies the client's own signature."""
    client = boto3.client("bedrock-runtime", endpoint_url=stack.bedrock.origin, region_name=REGION,
                          aws_access_key_id=credentials.AWS_SESSION_ACCESS_KEY_ID,
                          aws_secret_access_key=credentials.AWS_SESSION_SECRET_ACCESS_KEY,
                          aws_session_token=credentials.AWS_SESSION_TOKEN,
                          config=Config(retries=NO_RETRIES))

    def to_gateway(request: Any, **_: Any) -> None:
        assert request.url.startswith(stack.bedrock.origin + "/")
        request.url = runtime_path(stack) + request.url[len(stack.bedrock.origin):]
        request.headers["cf-aig-authorization"] = f"Bearer {stack.run_token}"

    with_hooks(stack, client, to_gateway)
    result = client.converse(modelId=PROFILE_ARN, messages=[user("signed by me")])
    streamed = list(client.converse_stream(modelId=MODEL_ID, messages=[user("me too")])["stream"])
    stack.exchanges.saw(streamed)

    assert result["output"]["message"]["content"] == [{"text": "Echo: signed by me"}]
    assert "".join(e["contentBlockDelta"]["delta"]["text"] for e in streamed
                   if "contentBlockDelta" in e) == "Echo: me too"
    sent = stack.bedrock.recorder.last
    assert sent.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={credentials.AWS_SESSION_ACCESS_KEY_ID}/")
    assert sent.headers["x-amz-security-token"] == credentials.AWS_SESSION_TOKEN
