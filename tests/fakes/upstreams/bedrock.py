"""Fake Amazon Bedrock runtime: Converse(Stream) and InvokeModel(WithResponseStream).

`create()` serves `POST /model/{modelId}/{converse|converse-stream|invoke|
invoke-with-response-stream}` (the model id URL-encoded in the path, as the SDKs send it). Every
request must carry a valid AWS SigV4 signature: the fake recomputes it with botocore from the
request as received (method, raw path, query, the signed headers, `x-amz-date`, body) for the
credentials in `tests.fakes.credentials`, and answers mismatches the way AWS does (403 with
`x-amzn-ErrorType`). Streams use the binary event-stream framing (`tests.fakes.aws_eventstream`).

InvokeModel bodies are model-native: Anthropic messages (`anthropic.*`, checked by the Anthropic
fake's rules plus Bedrock's `anthropic_version` / `max_tokens` / no-extra-keys rules), Titan text
embeddings v2 (`amazon.titan-embed-text-v2:0`) and Cohere embed v3 (`cohere.embed-*`).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from fastapi import Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tests.fakes import credentials
from tests.fakes.aws_eventstream import CONTENT_TYPE as EVENT_STREAM
from tests.fakes.aws_eventstream import encode_exception, encode_json_event
from tests.fakes.aws_sigv4 import aws_error, verify_sigv4
from tests.fakes.upstreams import anthropic, bedrock_reasoning
from tests.fakes.upstreams.common import (
    FakeHTTPError,
    FakeUpstream,
    Reply,
    ToolSpec,
    build_fake,
    count_tokens,
    decide,
    embedding,
    fixture,
    json_pieces,
    new_id,
    text_pieces,
)

SLUG = "aws-bedrock"
MODEL_ID = re.compile(r"(arn:aws(-[a-z]+)*:bedrock:[a-z0-9-]+:\d{12}:[a-z-]+/)?"
                      r"([a-z]{2,7}\.)?[a-z0-9-]+\.[a-zA-Z0-9.:_-]+")
ALTERNATE = ("A conversation must alternate between user and assistant roles. Make sure the "
             "conversation alternates between user and assistant roles and try again.")
START_USER = ("A conversation must start with a user message. Try again with a conversation "
              "that starts with a user message.")
ANTHROPIC_KEYS = frozenset({"anthropic_version", "anthropic_beta", "max_tokens", "messages",
                            "system", "temperature", "top_p", "top_k", "stop_sequences", "tools",
                            "tool_choice", "thinking", "metadata"})
TITAN_KEYS = frozenset({"inputText", "dimensions", "normalize", "embeddingTypes"})
COHERE_KEYS = frozenset({"texts", "images", "input_type", "truncate", "embedding_types"})
COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
LATENCY_MS = 412


@dataclass
class BedrockFake(FakeUpstream):
    region: str = credentials.AWS_REGION
    """The region the signature's credential scope must name."""
    stream_error_after: int | None = None
    """Streams end with `stream_error` (an event-stream exception frame) after this many events."""
    stream_error: tuple[str, str] = ("modelStreamErrorException",
                                     "The model stream was interrupted. Try your request again.")

    def reset(self) -> None:
        super().reset()
        self.stream_error_after = None

    def frames(self, events: Iterator[bytes]) -> Iterator[bytes]:
        for n, frame in enumerate(events):
            if n == self.stream_error_after:
                yield encode_exception(*self.stream_error)
                return
            yield frame


def create(region: str = credentials.AWS_REGION) -> BedrockFake:
    """A fake bedrock-runtime for `region`; `fake.recorder` holds what it received."""
    base = build_fake(SLUG)
    fake = BedrockFake(base.slug, base.app, base.recorder, base.control, base.base_path,
                       region=region)

    @fake.app.post("/model/{rest:path}")
    async def model_operation(request: Request) -> Response:
        body = await request.body()
        verify_sigv4(request, body, fake.region, "bedrock")
        segments = request.scope["raw_path"].decode("latin-1").split("/")
        if len(segments) != 4 or segments[3] not in UNARY | STREAMS:
            raise aws_error(404, "UnknownOperationException", "")
        model_id = unquote(segments[2])
        if not MODEL_ID.fullmatch(model_id):
            raise validation("The provided model identifier is invalid.")
        try:
            parsed = json.loads(body)
        except ValueError as exc:
            raise validation("Malformed input request, please reformat your input and try "
                             "again.") from exc
        if not isinstance(parsed, dict):
            raise validation("Malformed input request: #: expected type: JSONObject, found: "
                             f"{type(parsed).__name__}, please reformat your input and try again.")
        if segments[3] in STREAMS:
            return StreamingResponse(fake.frames(STREAMS[segments[3]](parsed, model_id)),
                                     media_type=EVENT_STREAM,
                                     headers={"x-amzn-RequestId": str(uuid.uuid4())})
        return UNARY[segments[3]](parsed, model_id)

    @fake.app.exception_handler(StarletteHTTPException)
    async def unknown(_: Request, exc: StarletteHTTPException) -> Response:
        err = aws_error(exc.status_code, "UnknownOperationException", "")
        return JSONResponse(err.body, status_code=err.status, headers=err.headers)

    return fake


# ---------------------------------------------------------------- errors


def validation(message: str) -> FakeHTTPError:
    return aws_error(400, "ValidationException", message)


# ---------------------------------------------------------------- Converse


def validate_converse(body: dict[str, Any]) -> None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) for m in messages):
        raise validation(START_USER)
    for i, msg in enumerate(messages):
        role, content = msg.get("role"), msg.get("content")
        if role not in ("user", "assistant"):
            raise validation(f"1 validation error detected: Value '{role}' at 'messages.{i + 1}."
                             "member.role' failed to satisfy constraint: Member must satisfy "
                             "enum value set: [user, assistant]")
        if i == 0 and role != "user":
            raise validation(START_USER)
        if i and role == messages[i - 1].get("role"):
            raise validation(ALTERNATE)
        if not isinstance(content, list) or not content:
            raise validation(f"The content field in the Message object at messages.{i} is empty. "
                             "Add a ContentBlock object to the content field and try again.")
    _check_text_blocks(body, messages)
    _check_tool_blocks(body, messages)
    bedrock_reasoning.check(body, validation)
    max_tokens = (body.get("inferenceConfig") or {}).get("maxTokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise validation(f"1 validation error detected: Value '{max_tokens}' at "
                         "'inferenceConfig.maxTokens' failed to satisfy constraint: Member must "
                         "have value greater than or equal to 1")


TOOL_USE_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _check_text_blocks(body: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    """Blank (empty or whitespace-only) text is refused in messages and system; toolUseIds
    follow `[a-zA-Z0-9_-]{1,64}` (Converse API reference, ToolUseBlock)."""
    for j, block in enumerate(body.get("system") or []):
        if isinstance(block, dict) and "text" in block and not str(block["text"]).strip():
            raise validation(f"The text field in the SystemContentBlock object at system.{j} is "
                             "blank. Add text to the text field, and try again.")
    for i, msg in enumerate(messages):
        for j, block in enumerate(msg["content"]):
            if isinstance(block, dict) and "text" in block and not str(block["text"]).strip():
                raise validation(f"The text field in the ContentBlock object at messages.{i}."
                                 f"content.{j} is blank. Add text to the text field, and try "
                                 "again.")
            use = block.get("toolUse") if isinstance(block, dict) else None
            if isinstance(use, dict) and not TOOL_USE_ID.fullmatch(str(use.get("toolUseId"))):
                raise validation(f"1 validation error detected: Value '{use.get('toolUseId')}' "
                                 f"at 'messages.{i + 1}.member.content.{j + 1}.member.toolUse."
                                 "toolUseId' failed to satisfy constraint: Member must satisfy "
                                 "regular expression pattern: [a-zA-Z0-9_-]+")


def _blocks(msg: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b[kind] for b in msg["content"]
            if isinstance(b, dict) and isinstance(b.get(kind), dict)]


def _check_tool_blocks(body: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    for i, msg in enumerate(messages):
        uses, results = _blocks(msg, "toolUse"), _blocks(msg, "toolResult")
        if (uses or results) and not body.get("toolConfig"):
            raise validation("The toolConfig field must be defined when using toolUse and "
                             "toolResult content blocks.")
        if results:
            before = _blocks(messages[i - 1], "toolUse") if i else []
            asked = {u.get("toolUseId") for u in before}
            if len(results) > len(asked):
                raise validation(f"The number of toolResult blocks at messages.{i}.content exceeds "
                                 "the number of toolUse blocks of previous turn.")
            stray = [r.get("toolUseId") for r in results if r.get("toolUseId") not in asked]
            if stray:
                raise validation(f"The toolUseId {stray[0]} at messages.{i}.content does not match "
                                 "any toolUse block of the previous turn.")
        if uses and i + 1 < len(messages):
            answered = {r.get("toolUseId") for r in _blocks(messages[i + 1], "toolResult")}
            missing = [str(u.get("toolUseId")) for u in uses if u.get("toolUseId") not in answered]
            if missing:
                raise validation(f"Expected toolResult blocks at messages.{i + 1}.content for the "
                                 f"following Ids: {', '.join(missing)}")


def _result_text(result: dict[str, Any]) -> str:
    return " ".join(str(c["text"]) if "text" in c else json.dumps(c.get("json"))
                    for c in result.get("content") or [] if isinstance(c, dict))


def converse_reply(body: dict[str, Any]) -> Reply:
    messages = body["messages"]
    last = messages[-1]
    prompt = next((" ".join(str(b["text"]) for b in m["content"] if "text" in b)
                   for m in reversed(messages) if m["role"] == "user"
                   and any("text" in b for b in m["content"])), "")
    config = body.get("toolConfig") or {}
    tools = [ToolSpec(t["toolSpec"]["name"], (t["toolSpec"].get("inputSchema") or {}).get("json")
                      or {}) for t in config.get("tools") or [] if "toolSpec" in t]
    choice = ((config.get("toolChoice") or {}).get("tool") or {}).get("name")
    results = _blocks(last, "toolResult")
    output = " ".join(_result_text(r) for r in results) if results else None
    return decide(prompt, tools if last["role"] == "user" else [], choice, output,
                  (body.get("inferenceConfig") or {}).get("maxTokens"))


def converse_output(body: dict[str, Any]) -> dict[str, Any]:
    reply = converse_reply(body)
    out = fixture("bedrock", "converse_tool_use" if reply.tool_name else "converse_text")
    content: dict[str, Any] = {"text": reply.text}
    if reply.tool_name:
        content = {"toolUse": {"toolUseId": new_id("tooluse_", 22), "name": reply.tool_name,
                               "input": reply.tool_input}}
    prompt = next((" ".join(str(b["text"]) for b in m["content"] if "text" in b)
                   for m in reversed(body["messages"]) if m["role"] == "user"
                   and any("text" in b for b in m["content"])), "")
    out["output"]["message"]["content"] = [*bedrock_reasoning.blocks_for(body, prompt), content]
    out["stopReason"] = ("tool_use" if reply.tool_name else
                         "max_tokens" if reply.truncated else "end_turn")
    prompt = count_tokens([body.get("system") or [], body["messages"]])
    answer = count_tokens(reply.text) + (count_tokens(reply.tool_input) if reply.tool_input else 0)
    out["usage"] = {"inputTokens": prompt, "outputTokens": answer, "totalTokens": prompt + answer}
    out["metrics"] = {"latencyMs": LATENCY_MS}
    return out


def _converse(body: dict[str, Any], model_id: str) -> Response:
    _chat_model(model_id)
    validate_converse(body)
    return JSONResponse(converse_output(body), headers={"x-amzn-RequestId": str(uuid.uuid4())})


def converse_events(out: dict[str, Any]) -> Iterator[bytes]:
    """ConverseStream events for a Converse answer; each carries AWS's `p` padding field."""
    def event(kind: str, **fields: Any) -> bytes:
        return encode_json_event(kind, {**fields, "p": "abcdefghijklmnopqrstuvwxyz"[:len(kind)]})

    yield event("messageStart", role="assistant")
    for index, block in enumerate(out["output"]["message"]["content"]):
        if "reasoningContent" in block:
            deltas: list[dict[str, Any]] = bedrock_reasoning.deltas_for(block)
        elif "toolUse" in block:
            use = block["toolUse"]
            yield event("contentBlockStart", contentBlockIndex=index, start={"toolUse": {
                "toolUseId": use["toolUseId"], "name": use["name"]}})
            deltas = [{"toolUse": {"input": p}} for p in json_pieces(use["input"])]
        else:
            deltas = [{"text": p} for p in text_pieces(block["text"])]
        for delta in deltas:
            yield event("contentBlockDelta", contentBlockIndex=index, delta=delta)
        yield event("contentBlockStop", contentBlockIndex=index)
    yield event("messageStop", stopReason=out["stopReason"])
    yield event("metadata", usage=out["usage"], metrics=out["metrics"])


def _converse_stream(body: dict[str, Any], model_id: str) -> Iterator[bytes]:
    _chat_model(model_id)
    validate_converse(body)
    return converse_events(converse_output(body))


# ---------------------------------------------------------------- InvokeModel (model-native)


def family(model_id: str) -> str:
    """`us.anthropic.claude-...` / an inference-profile ARN -> `anthropic.claude-...`."""
    name = model_id.rsplit("/", 1)[-1]
    return re.sub(r"^(us|eu|apac|us-gov|global|jp|au|ca)\.", "", name)


def _chat_model(model_id: str) -> None:
    if "embed" in family(model_id):
        raise validation("This action doesn't support the model that you provided. Try again "
                         "with a supported text or chat model.")


def _malformed(detail: str) -> FakeHTTPError:
    return validation(f"Malformed input request: {detail}, please reformat your input and try "
                      "again.")


def _check_keys(body: dict[str, Any], allowed: frozenset[str], required: tuple[str, ...]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise _malformed(f"#: extraneous key [{extra[0]}] is not permitted")
    for key in required:
        if key not in body:
            raise _malformed(f"#: required key [{key}] not found")


def anthropic_message(body: dict[str, Any], model_id: str) -> dict[str, Any]:
    """Checks an Anthropic-on-Bedrock body and answers it through the Anthropic fake's model."""
    _check_keys(body, ANTHROPIC_KEYS, ("anthropic_version", "max_tokens", "messages"))
    if body["anthropic_version"] != "bedrock-2023-05-31":
        raise _malformed(f"#/anthropic_version: {body['anthropic_version']} is not a valid enum "
                         "value")
    model = re.sub(r"^anthropic\.|-v\d+(:\d+)?$", "", family(model_id))
    native = dict(body, model=model)
    try:
        answer = json.loads(bytes(anthropic.reply(native, anthropic.validate(native)).body))
    except FakeHTTPError as exc:
        raise validation(exc.body["error"]["message"]) from exc
    message = fixture("bedrock", "anthropic_message")
    message.update(id=new_id("msg_bdrk_01", 22), model=model, content=answer["content"],
                   stop_reason=answer["stop_reason"])
    message["usage"] = {k: answer["usage"].get(k, 0) for k in message["usage"]}
    return message


def _usage_headers(tokens_in: int, tokens_out: int) -> dict[str, str]:
    return {"X-Amzn-Bedrock-Input-Token-Count": str(tokens_in),
            "X-Amzn-Bedrock-Output-Token-Count": str(tokens_out),
            "X-Amzn-Bedrock-Invocation-Latency": str(LATENCY_MS),
            "x-amzn-RequestId": str(uuid.uuid4())}


def titan_embedding(body: dict[str, Any]) -> dict[str, Any]:
    _check_keys(body, TITAN_KEYS, ("inputText",))
    dims = body.get("dimensions", 1024)
    if dims not in (256, 512, 1024):
        raise _malformed(f"#/dimensions: {dims} is not a valid enum value")
    vector = embedding(str(body["inputText"]), dims)
    return {"embedding": vector, "embeddingsByType": {"float": vector},
            "inputTextTokenCount": count_tokens(body["inputText"])}


def cohere_embedding(body: dict[str, Any]) -> dict[str, Any]:
    _check_keys(body, COHERE_KEYS, ("input_type",))
    if body["input_type"] not in COHERE_INPUT_TYPES:
        raise _malformed(f"#/input_type: {body['input_type']} is not a valid enum value")
    texts = body.get("texts")
    if not isinstance(texts, list) or not 0 < len(texts) <= 96:
        raise _malformed("#/texts: expected minimum item count: 1, maximum: 96")
    vectors = [embedding(str(t), 1024) for t in texts]
    kinds = body.get("embedding_types")
    out: dict[str, Any] = {"id": str(uuid.uuid4()), "texts": texts, "images": None}
    if kinds:
        return dict(out, embeddings={k: vectors for k in kinds},
                    response_type="embeddings_by_type")
    return dict(out, embeddings=vectors, response_type="embeddings_floats")


def _invoke(body: dict[str, Any], model_id: str) -> Response:
    name = family(model_id)
    if name.startswith("anthropic."):
        out = anthropic_message(body, model_id)
        usage = out["usage"]
        return JSONResponse(out, headers=_usage_headers(
            usage["input_tokens"] + usage.get("cache_read_input_tokens", 0),
            usage["output_tokens"]))
    if name.startswith("amazon.titan-embed-text-v2"):
        out = titan_embedding(body)
        return JSONResponse(out, headers=_usage_headers(out["inputTextTokenCount"], 0))
    if name.startswith("cohere.embed"):
        out = cohere_embedding(body)
        return JSONResponse(out, headers=_usage_headers(count_tokens(out["texts"]), 0))
    raise validation("The provided model identifier is invalid.")


def anthropic_stream_events(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The Anthropic stream events of `message`, as Bedrock wraps them (no pings, with metrics)."""
    frames = anthropic._events(message)  # noqa: SLF001 - the Anthropic fake's own event builder
    events = [json.loads(f.decode().split("data: ", 1)[1]) for f in frames]
    events = [e for e in events if e["type"] != "ping"]
    usage = message["usage"]
    events[-1]["amazon-bedrock-invocationMetrics"] = {
        "inputTokenCount": usage["input_tokens"], "outputTokenCount": usage["output_tokens"],
        "invocationLatency": LATENCY_MS, "firstByteLatency": LATENCY_MS // 2}
    return events


def _chunks(events: list[dict[str, Any]]) -> Iterator[bytes]:
    for event in events:
        raw = json.dumps(event, separators=(",", ":")).encode()
        yield encode_json_event("chunk", {"bytes": base64.b64encode(raw).decode()})


def _invoke_stream(body: dict[str, Any], model_id: str) -> Iterator[bytes]:
    if not family(model_id).startswith("anthropic."):
        _invoke(body, model_id)  # the model's own validation errors come first
        raise validation("The model is unsupported for streaming.")
    return _chunks(anthropic_stream_events(anthropic_message(body, model_id)))


UNARY: dict[str, Callable[[dict[str, Any], str], Response]] = {
    "converse": _converse, "invoke": _invoke}
STREAMS: dict[str, Callable[[dict[str, Any], str], Iterator[bytes]]] = {
    "converse-stream": _converse_stream, "invoke-with-response-stream": _invoke_stream}
