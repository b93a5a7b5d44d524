"""Fake OpenAI API, also serving as every OpenAI-shaped provider (groq, mistral, deepseek, ...).

`create("openai")` serves `/v1/chat/completions`, `/v1/embeddings`, `/v1/responses`,
`GET /v1/models`; other slugs move the routes under that provider's prefix (see `FLAVORS`) and
accept that provider's key. The chat and embeddings builders are public for the Azure and Workers
AI fakes, which speak the same bodies behind other paths and auth.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tests.fakes import credentials
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
    tool_arguments,
)
from tests.fakes.upstreams.openai_responses import responses_reply


@dataclass(frozen=True)
class Flavor:
    key: str
    base_path: str
    """Appended to the fake's origin: the provider's upstream base (`AIGW_UPSTREAM_<SLUG>`)."""
    api_prefix: str
    """Where the routes live (`/chat/completions` is served at `{api_prefix}/chat/completions`)."""


FLAVORS: dict[str, Flavor] = {
    "openai": Flavor(credentials.OPENAI_KEY, "/v1", "/v1"),
    "groq": Flavor(credentials.GROQ_KEY, "/openai/v1", "/openai/v1"),
    "mistral": Flavor(credentials.MISTRAL_KEY, "", "/v1"),
    "deepseek": Flavor(credentials.DEEPSEEK_KEY, "", ""),
    "openrouter": Flavor(credentials.OPENROUTER_KEY, "/api", "/api/v1"),
    "perplexity-ai": Flavor(credentials.PERPLEXITY_KEY, "", ""),
    "grok": Flavor(credentials.GROK_KEY, "", "/v1"),
    "cerebras": Flavor(credentials.CEREBRAS_KEY, "", "/v1"),
}
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
NO_KEY = ("You didn't provide an API key. You need to provide your API key in an Authorization "
          "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
          "field (with blank username) if you're accessing the API from your browser and are "
          "prompted for a username. You can obtain an API key from "
          "https://platform.openai.com/account/api-keys.")


def create(slug: str = "openai") -> FakeUpstream:
    flavor = FLAVORS[slug]
    fake = build_fake(slug, flavor.base_path)
    router = APIRouter(prefix=flavor.api_prefix)

    @router.post("/chat/completions")
    async def chat(request: Request) -> Response:
        check_bearer(request, flavor.key)
        body = await body_or_400(request)
        validate_chat(body)
        return chat_response(body, str(body["model"]))

    @router.post("/embeddings")
    async def embeddings_route(request: Request) -> Response:
        check_bearer(request, flavor.key)
        body = await body_or_400(request)
        validate_embeddings(body)
        return JSONResponse(embeddings(body, str(body["model"])))

    @router.post("/responses")
    async def responses(request: Request) -> Response:
        check_bearer(request, flavor.key)
        body = await body_or_400(request)
        require_model(body)
        if "input" not in body:
            raise missing("input")
        items = body["input"]
        if not isinstance(items, str) and not (
                isinstance(items, list) and all(isinstance(i, dict) for i in items)):
            raise error(400, "Invalid 'input': expected a string or an array of input items.",
                        param="input", code="invalid_type")
        return responses_reply(body)

    @router.get("/models")
    async def models(request: Request) -> Response:
        check_bearer(request, flavor.key)
        return JSONResponse(fixture("openai", "models"))

    fake.app.include_router(router)

    @fake.app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        err = error(exc.status_code, f"Invalid URL ({request.method} {request.url.path})")
        return JSONResponse(err.body, status_code=err.status)

    return fake


# ---------------------------------------------------------------- errors and validation


def error(status: int, message: str, *, param: str | None = None, code: str | None = None,
          kind: str = "invalid_request_error") -> FakeHTTPError:
    return FakeHTTPError(status, {"error": {"message": message, "type": kind, "param": param,
                                            "code": code}})


def missing(param: str) -> FakeHTTPError:
    return error(400, f"Missing required parameter: '{param}'.", param=param,
                 code="missing_required_parameter")


def check_bearer(request: Request, key: str) -> None:
    token = bearer_token(request)
    if token is None:
        raise error(401, NO_KEY)
    if token != key:
        shown = token[:3] + "*" * max(0, len(token) - 7) + token[-4:] if len(token) > 8 else "***"
        raise error(401, f"Incorrect API key provided: {shown}. You can find your API key at "
                         "https://platform.openai.com/account/api-keys.", code="invalid_api_key")


async def body_or_400(request: Request) -> dict[str, Any]:
    body = await json_object(request)
    if body is None:
        raise error(400, "We could not parse the JSON body of your request. (HINT: This likely "
                         "means you aren't using your HTTP library correctly. The OpenAI API "
                         "expects a JSON payload, but what was sent was not valid JSON.")
    return body


def require_model(body: dict[str, Any]) -> None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise error(400, "you must provide a model parameter")


def validate_chat(body: dict[str, Any], *, model_required: bool = True) -> None:
    """What the real Chat Completions API rejects with 400, with its messages and params."""
    if model_required:
        require_model(body)
    messages = body.get("messages")
    if messages is None:
        raise missing("messages")
    if not isinstance(messages, list) or not messages:
        raise error(400, "Invalid 'messages': empty array. Expected an array with minimum length "
                         "1, but got an empty array instead.", param="messages", code="empty_array")
    for i, msg in enumerate(messages):
        _validate_message(i, msg)
    _validate_tool_sequence(messages)
    for j, tool in enumerate(body.get("tools") or []):
        name = (tool.get("function") or {}).get("name") if isinstance(tool, dict) else None
        if not isinstance(name, str) or not name:
            raise missing(f"tools[{j}].function.name")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise error(400, "The 'stream_options' parameter is only allowed when 'stream' is "
                         "enabled.", param="stream_options")


def _validate_message(i: int, msg: Any) -> None:
    role = msg.get("role") if isinstance(msg, dict) else None
    if role not in ROLES:
        raise error(400, f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', "
                         "'user', 'function', 'tool', and 'developer'.",
                    param=f"messages[{i}].role", code="invalid_value")
    content = msg.get("content")
    if content is None and not (role == "assistant" and msg.get("tool_calls")):
        raise missing(f"messages[{i}].content")
    if role == "tool" and not isinstance(msg.get("tool_call_id"), str):
        raise missing(f"messages[{i}].tool_call_id")
    for k, part in enumerate(content if isinstance(content, list) else []):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind != "image_url":
            continue
        if role != "user":
            raise error(400, f"Invalid 'messages[{i}]'. Image URLs are only allowed for messages "
                             f"with role 'user', but this message with role '{role}' contains "
                             "an image URL.", param=f"messages[{i}]", code="invalid_value")
        url = str((part.get("image_url") or {}).get("url", ""))
        if not (url.startswith(("http://", "https://")) or url.startswith("data:image/")):
            param = f"messages[{i}].content[{k}].image_url.url"
            raise error(400, f"Invalid image URL: '{param}'. Expected a base64-encoded data URL "
                             "with an image MIME type (e.g. 'data:image/png;base64,"
                             "aW1nIGJ5dGVzIGhlcmU='), but got a value without the 'data:' prefix.",
                        param=param, code="invalid_value")


def _validate_tool_sequence(messages: list[dict[str, Any]]) -> None:
    """Tool messages answer the assistant message right before them, and all of its calls."""
    pending: set[str] = set()
    open_at: int | None = None
    answerable: set[str] = set()
    for i, msg in enumerate(messages):
        if msg["role"] == "tool":
            if msg["tool_call_id"] not in answerable:
                raise error(400, "Invalid parameter: messages with role 'tool' must be a response "
                                 "to a preceeding message with 'tool_calls'.",
                            param=f"messages.[{i}].role")
            pending.discard(msg["tool_call_id"])
            continue
        _unanswered(pending, open_at)
        answerable = {str(c.get("id")) for c in msg.get("tool_calls") or []
                      if isinstance(c, dict)}
        pending, open_at = set(answerable), i
    _unanswered(pending, open_at)


def _unanswered(pending: set[str], at: int | None) -> None:
    if pending:
        raise error(400, "An assistant message with 'tool_calls' must be followed by tool "
                         "messages responding to each 'tool_call_id'. The following tool_call_ids "
                         f"did not have response messages: {', '.join(sorted(pending))}",
                    param=f"messages.[{at}].role")


def validate_embeddings(body: dict[str, Any], *, model_required: bool = True) -> None:
    if model_required:
        require_model(body)
    if "input" not in body:
        raise missing("input")
    value = body["input"]
    if value in ("", []) or not isinstance(value, (str, list)):
        raise error(400, "'$.input' is invalid. Please check the API reference: "
                         "https://platform.openai.com/docs/api-reference.")
    if body.get("encoding_format") not in (None, "float", "base64"):
        raise error(400, f"Invalid value: '{body['encoding_format']}'. Supported values are: "
                         "'float' and 'base64'.", param="encoding_format", code="invalid_value")


# ---------------------------------------------------------------- replies


def reply_for(body: dict[str, Any]) -> Reply:
    """The deterministic answer to a chat request (see `common.decide`)."""
    messages = body["messages"]
    last = messages[-1]
    prompt = next((text_of(m.get("content")) for m in reversed(messages) if m["role"] == "user"),
                  "")
    tools = [ToolSpec(t["function"]["name"], t["function"].get("parameters") or {})
             for t in body.get("tools") or [] if t.get("type", "function") == "function"]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name")
    tool_output = text_of(last.get("content")) if last["role"] == "tool" else None
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    reply = decide(prompt, tools if last["role"] == "user" else [], choice, tool_output, limit)
    fmt = body.get("response_format") or {}
    if reply.tool_name is None and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        return Reply(json.dumps(tool_arguments(schema, prompt)))
    if reply.tool_name is None and fmt.get("type") == "json_object":
        return Reply(json.dumps({"echo": prompt}))
    return reply


def finish_reason(reply: Reply) -> str:
    return "tool_calls" if reply.tool_name else "length" if reply.truncated else "stop"


def usage(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    prompt = count_tokens(body.get("messages")) + 3 * len(body.get("messages") or [])
    completion = count_tokens(reply.text) + count_tokens(reply.tool_input or {})
    reasoning = 32 if body.get("reasoning_effort") not in (None, "none", "minimal") else 0
    cached = prompt - prompt % 128 if prompt >= 1024 else 0
    out: dict[str, Any] = fixture("openai", "chat_completion")["usage"]
    out.update(prompt_tokens=prompt, completion_tokens=completion + reasoning,
               total_tokens=prompt + completion + reasoning)
    out["prompt_tokens_details"]["cached_tokens"] = cached
    out["completion_tokens_details"]["reasoning_tokens"] = reasoning
    return out


def tool_call(reply: Reply, call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function",
            "function": {"name": reply.tool_name, "arguments": json.dumps(reply.tool_input)}}


def completion(body: dict[str, Any], model: str) -> dict[str, Any]:
    reply = reply_for(body)
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None,
                               "refusal": None, "annotations": []}
    if reply.tool_name:
        message["tool_calls"] = [tool_call(reply, new_id("call_"))]
    out = fixture("openai", "chat_completion")
    out.update(id=new_id("chatcmpl-", 29), created=int(time.time()), model=model,
               usage=usage(body, reply))
    out["choices"] = [{"index": i, "message": message, "logprobs": None,
                       "finish_reason": finish_reason(reply)}
                      for i in range(int(body.get("n") or 1))]
    return out


def completion_chunks(body: dict[str, Any], model: str) -> list[dict[str, Any]]:
    """The `chat.completion.chunk` objects of a stream, without the final `[DONE]`."""
    reply = reply_for(body)
    options = body.get("stream_options") or {}
    base = fixture("openai", "chat_completion_chunk")
    base.update(id=new_id("chatcmpl-", 29), created=int(time.time()), model=model)

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        out = dict(base, choices=[{"index": 0, "delta": delta, "logprobs": None,
                                   "finish_reason": finish}])
        if options.get("include_usage"):
            out["usage"] = None
        if options.get("include_obfuscation", True):
            out["obfuscation"] = new_id("", 6)
        return out

    if reply.tool_name:
        call = dict(tool_call(reply, new_id("call_")), index=0)
        call["function"] = dict(call["function"], arguments="")
        chunks = [chunk({"role": "assistant", "content": None, "tool_calls": [call],
                         "refusal": None})]
        chunks += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                   for piece in json_pieces(reply.tool_input)]
    else:
        chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
        chunks += [chunk({"content": piece}) for piece in text_pieces(reply.text)]
    chunks.append(chunk({}, finish_reason(reply)))
    if options.get("include_usage"):
        chunks.append(dict(chunk({}), choices=[], usage=usage(body, reply)))
    return chunks


def stream(chunks: list[dict[str, Any]]) -> Response:
    return sse_response([*(sse(c) for c in chunks), sse("[DONE]")],
                        headers={"x-request-id": new_id("req_", 32)})


def chat_response(body: dict[str, Any], model: str) -> Response:
    if body.get("stream"):
        return stream(completion_chunks(body, model))
    return JSONResponse(completion(body, model), headers={"x-request-id": new_id("req_", 32)})


def embeddings(body: dict[str, Any], model: str) -> dict[str, Any]:
    raw = body["input"]
    inputs = [raw] if isinstance(raw, str) or (raw and isinstance(raw[0], int)) else raw
    dims = int(body.get("dimensions") or (3072 if "large" in model else 1536))
    out = fixture("openai", "embeddings")
    out["model"] = model
    out["data"] = []
    for i, item in enumerate(inputs):
        vector = embedding(item if isinstance(item, str) else json.dumps(item), dims)
        value: Any = vector
        if body.get("encoding_format") == "base64":
            value = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
        out["data"].append({"object": "embedding", "index": i, "embedding": value})
    tokens = sum(len(x) if isinstance(x, list) else count_tokens(x) or 1 for x in inputs)
    out["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
    return out

