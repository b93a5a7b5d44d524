"""Fake Cohere v2: `POST /v2/chat` (JSON, or SSE with the v2 event types) and `POST /v2/embed`.

Bearer auth; errors are Cohere's `{"id", "message"}` bodies. Chat requires `model` and non-empty
`messages` with roles system/user/assistant/tool, tool results answering the calls of the assistant
message before them; embed requires `model`, `embedding_types`, and `input_type` for v3+ models.
"""

from __future__ import annotations

import base64
import json
import struct
import uuid
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from tests.fakes.credentials import COHERE_KEY
from tests.fakes.upstreams.common import (
    FakeHTTPError,
    FakeUpstream,
    Reply,
    ToolSpec,
    bearer_token,
    build_fake,
    count_tokens,
    decide,
    embedding,
    fixture,
    json_object,
    json_pieces,
    new_id,
    sse,
    sse_response,
    text_of,
    text_pieces,
)

ROLES = ("system", "user", "assistant", "tool")
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary", "base64")
PROMPT_OVERHEAD_TOKENS = 165
"""Cohere counts its own preamble in `usage.tokens` but does not bill it (`billed_units`)."""


def create() -> FakeUpstream:
    fake = build_fake("cohere")

    @fake.app.post("/v2/chat")
    async def chat(request: Request) -> Response:
        body = await _checked(request)
        validate_chat(body)
        return chat_reply(body)

    @fake.app.post("/v2/embed")
    async def embed(request: Request) -> Response:
        body = await _checked(request)
        return JSONResponse(embed_reply(body))

    return fake


def error(status: int, message: str) -> FakeHTTPError:
    return FakeHTTPError(status, {"id": str(uuid.uuid4()), "message": message})


def invalid(message: str) -> FakeHTTPError:
    return error(400, f"invalid request: {message}")


async def _checked(request: Request) -> dict[str, Any]:
    token = bearer_token(request)
    if token is None:
        raise error(401, "no api key supplied")
    if token != COHERE_KEY:
        raise error(401, "invalid api token")
    body = await json_object(request)
    if body is None:
        raise invalid("the request body is not valid JSON")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise invalid("model must be specified")
    return body


# ---------------------------------------------------------------- chat


def validate_chat(body: dict[str, Any]) -> None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages must contain at least one message")
    calls: set[str] = set()
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role not in ROLES:
            raise invalid(f"messages[{i}].role must be one of {', '.join(ROLES)}, got {role!r}")
        if role == "tool":
            if msg.get("tool_call_id") not in calls:
                raise invalid(f"messages[{i}]: tool_call_id {msg.get('tool_call_id')!r} does not "
                              "match any tool call of the preceding assistant message")
            calls.discard(msg["tool_call_id"])
            continue
        if calls:
            raise invalid(f"messages[{i}]: tool calls {', '.join(sorted(calls))} have no tool "
                          "results; each tool call must be followed by a tool message")
        calls = {str(c.get("id")) for c in msg.get("tool_calls") or [] if isinstance(c, dict)}
        if not calls and not text_of(msg.get("content")).strip() and not _images(msg):
            raise invalid("message must be at least 1 token long or tool results must be "
                          "specified.")
        for url in _images(msg):
            if not url.startswith(("http://", "https://", "data:image/")):
                raise invalid(f"messages[{i}]: image_url must be a data URL or an http(s) URL")
    if calls:
        raise invalid(f"tool calls {', '.join(sorted(calls))} have no tool results")
    if body.get("tool_choice") == "REQUIRED" and not body.get("tools"):
        raise invalid("tool_choice REQUIRED requires tools to be specified")


def _images(msg: dict[str, Any]) -> list[str]:
    content = msg.get("content")
    return [str((p.get("image_url") or {}).get("url", "")) for p in content or []
            if isinstance(p, dict) and p.get("type") == "image_url"] \
        if isinstance(content, list) else []


def _tool_text(content: Any) -> str:
    if not isinstance(content, list):
        return text_of(content)
    parts = [json.dumps((p.get("document") or {}).get("data")) if p.get("type") == "document"
             else text_of([p]) for p in content if isinstance(p, dict)]
    return " ".join(parts)


def decide_chat(body: dict[str, Any]) -> Reply:
    messages = body["messages"]
    last = messages[-1]
    prompt = next((text_of(m.get("content")) for m in reversed(messages) if m["role"] == "user"),
                  "")
    tools = [ToolSpec(t["function"]["name"], t["function"].get("parameters") or {})
             for t in body.get("tools") or [] if isinstance(t.get("function"), dict)]
    choice = {"NONE": "none", "REQUIRED": "required"}.get(body.get("tool_choice") or "", "auto")
    tool_output = _tool_text(last.get("content")) if last["role"] == "tool" else None
    return decide(prompt, tools if last["role"] == "user" else [], choice, tool_output,
                  body.get("max_tokens"))


def chat_reply(body: dict[str, Any]) -> Response:
    reply = decide_chat(body)
    billed_in = count_tokens(body["messages"])
    billed_out = count_tokens(reply.text) + count_tokens(reply.tool_input or {})
    usage = {"billed_units": {"input_tokens": billed_in, "output_tokens": billed_out},
             "tokens": {"input_tokens": billed_in + PROMPT_OVERHEAD_TOKENS,
                        "output_tokens": billed_out}}
    finish = "TOOL_CALL" if reply.tool_name else "MAX_TOKENS" if reply.truncated else "COMPLETE"
    message: dict[str, Any] = {"role": "assistant"}
    if reply.tool_name:
        message["tool_plan"] = f"I will use the {reply.tool_name} tool to answer the question."
        message["tool_calls"] = [{"id": new_id(f"{reply.tool_name}_", 12), "type": "function",
                                  "function": {"name": reply.tool_name,
                                               "arguments": json.dumps(reply.tool_input)}}]
    else:
        message["content"] = [{"type": "text", "text": reply.text}]
    out = fixture("cohere", "chat")
    out.update(id=str(uuid.uuid4()), message=message, finish_reason=finish, usage=usage)
    if body.get("stream"):
        return sse_response(_events(out))
    return JSONResponse(out)


def _events(out: dict[str, Any]) -> list[bytes]:
    def event(kind: str, **fields: Any) -> bytes:
        return sse({"type": kind, **fields}, event=kind)

    message = out["message"]
    frames = [event("message-start", id=out["id"],
                    delta={"message": {"role": "assistant", "content": [], "tool_plan": "",
                                       "tool_calls": [], "citations": []}})]
    for piece in text_pieces(message.get("tool_plan", "")) if "tool_plan" in message else []:
        frames.append(event("tool-plan-delta", delta={"message": {"tool_plan": piece}}))
    for index, call in enumerate(message.get("tool_calls", [])):
        start = dict(call, function=dict(call["function"], arguments=""))
        frames.append(event("tool-call-start", index=index,
                            delta={"message": {"tool_calls": start}}))
        frames += [event("tool-call-delta", index=index, delta={"message": {"tool_calls": {
            "function": {"arguments": piece}}}})
            for piece in json_pieces(json.loads(call["function"]["arguments"]))]
        frames.append(event("tool-call-end", index=index))
    for index, part in enumerate(message.get("content", [])):
        frames.append(event("content-start", index=index,
                            delta={"message": {"content": {"type": "text", "text": ""}}}))
        frames += [event("content-delta", index=index,
                         delta={"message": {"content": {"text": piece}}})
                   for piece in text_pieces(part["text"])]
        frames.append(event("content-end", index=index))
    frames.append(event("message-end", delta={"finish_reason": out["finish_reason"],
                                              "usage": out["usage"]}))
    return frames


# ---------------------------------------------------------------- embed


def embed_reply(body: dict[str, Any]) -> dict[str, Any]:
    model = body["model"]
    texts = body.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise invalid("texts must be a non-empty list of strings")
    input_type = body.get("input_type")
    if input_type is None and ("v3" in model or "v4" in model):
        raise invalid("valid input_type must be provided with the provided model")
    if input_type is not None and input_type not in INPUT_TYPES:
        raise invalid(f"input_type must be one of {', '.join(INPUT_TYPES)}")
    kinds = body.get("embedding_types")
    if not isinstance(kinds, list) or not kinds:
        raise invalid("embedding_types is required")
    if any(k not in EMBEDDING_TYPES for k in kinds):
        raise invalid(f"embedding_types must be a subset of {', '.join(EMBEDDING_TYPES)}")
    dims = int(body.get("output_dimension") or (1536 if "v4" in model else
                                                384 if "light" in model else 1024))
    vectors = [embedding(t, dims) for t in texts]
    out = fixture("cohere", "embed")
    out.update(id=str(uuid.uuid4()), texts=texts,
               embeddings={k: [_encode(v, k) for v in vectors] for k in kinds})
    out["meta"]["billed_units"]["input_tokens"] = count_tokens(texts)
    return out


def _encode(vector: list[float], kind: str) -> Any:
    if kind == "float":
        return vector
    if kind == "int8":
        return [round(v * 127) for v in vector]
    if kind == "uint8":
        return [round((v + 1) * 127.5) for v in vector]
    if kind == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    packed = [sum(1 << (7 - b) for b in range(8) if i + b < len(vector) and vector[i + b] > 0)
              for i in range(0, len(vector), 8)]
    return packed if kind == "ubinary" else [p - 256 if p > 127 else p for p in packed]
