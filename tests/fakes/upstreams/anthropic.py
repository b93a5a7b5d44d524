"""Fake Anthropic Messages API: `POST /v1/messages` (JSON or SSE) and `/v1/messages/count_tokens`.

Requires the API key (`x-api-key`, or `Authorization: Bearer` as the current SDK sends it; else
401 `authentication_error`) and `anthropic-version` (400), and rejects with
the real API's messages what it rejects: missing `max_tokens` / `messages`, roles other than
user/assistant (`system` belongs top-level), empty content, `tool_use` ids whose `tool_result`
blocks do not open the next message, `tool_result` ids without a `tool_use` in the message before,
image sources other than base64/url, and the rules in `anthropic_rules` (blank text, tool_use
id grammar and uniqueness, thinking constraints and signatures). As the API reference documents,
consecutive same-role turns are combined into one turn before these checks, and the first turn
may be an assistant turn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tests.fakes.credentials import ANTHROPIC_KEY
from tests.fakes.upstreams import anthropic_rules
from tests.fakes.upstreams.common import (
    FakeHTTPError,
    FakeUpstream,
    ToolSpec,
    bearer_token,
    build_fake,
    count_tokens,
    decide,
    fixture,
    json_object,
    json_pieces,
    new_id,
    sse,
    sse_response,
    text_of,
    text_pieces,
)

VERSIONS = ("2023-01-01", "2023-06-01", "2026-10-21")
"""Versions the API accepts; the installed SDK sends the newest."""
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
USER_BLOCKS = ("text", "image", "document", "tool_result", "search_result")
ASSISTANT_BLOCKS = ("text", "tool_use", "thinking", "redacted_thinking", "server_tool_use",
                    "web_search_tool_result")


def create() -> FakeUpstream:
    fake = build_fake("anthropic")

    @fake.app.post("/v1/messages")
    async def messages(request: Request) -> Response:
        body = await _checked(request)
        turns = validate(body)
        return reply(body, turns)

    @fake.app.post("/v1/messages/count_tokens")
    async def count(request: Request) -> Response:
        body = await _checked(request)
        validate(dict(body, max_tokens=1))
        return JSONResponse({"input_tokens": _input_tokens(body)})

    @fake.app.exception_handler(StarletteHTTPException)
    async def not_found(_: Request, exc: StarletteHTTPException) -> Response:
        err = error(exc.status_code, "not_found_error", "Not Found")
        return JSONResponse(err.body, status_code=err.status, headers=err.headers)

    return fake


def error(status: int, kind: str, message: str) -> FakeHTTPError:
    request_id = new_id("req_011C", 20)
    return FakeHTTPError(status, {"type": "error", "error": {"type": kind, "message": message},
                                  "request_id": request_id},
                         headers={"request-id": request_id, "x-should-retry": "false"})


def invalid(message: str) -> FakeHTTPError:
    return error(400, "invalid_request_error", message)


async def _checked(request: Request) -> dict[str, Any]:
    key, bearer = request.headers.get("x-api-key"), bearer_token(request)
    if not key and not bearer:
        raise error(401, "authentication_error", "x-api-key header is required")
    if (key or bearer) != ANTHROPIC_KEY:
        raise error(401, "authentication_error",
                    "invalid x-api-key" if key else "Invalid bearer token")
    version = request.headers.get("anthropic-version")
    if not version:
        raise invalid("anthropic-version: header is required")
    if version not in VERSIONS:
        raise invalid(f"anthropic-version: invalid version {version!r}")
    body = await json_object(request)
    if body is None:
        raise invalid("There was an issue with your request body: expected a JSON object")
    return body


# ---------------------------------------------------------------- validation


@dataclass
class Turn:
    """One conversational turn after consecutive same-role messages are combined."""

    role: str
    blocks: list[dict[str, Any]]
    index: int
    """Index of the first request message of the turn, used in error messages."""


def validate(body: dict[str, Any]) -> list[Turn]:
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            raise invalid(f"{name}: Field required")
    if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1:
        raise invalid("max_tokens: Input should be greater than or equal to 1")
    if not isinstance(body["messages"], list) or not body["messages"]:
        raise invalid("messages: at least one message is required")
    turns: list[Turn] = []
    for i, msg in enumerate(body["messages"]):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role == "system":
            raise invalid('messages: Unexpected role "system". The Messages API accepts a '
                          'top-level `system` parameter, not "system" as an input message role.')
        if role not in ("user", "assistant"):
            raise invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        blocks = _blocks(i, role, msg.get("content"), last=i == len(body["messages"]) - 1)
        if turns and turns[-1].role == role:
            turns[-1].blocks.extend(blocks)
        else:
            turns.append(Turn(role, blocks, i))
    _check_tool_pairing(turns)
    _check_tools(body)
    anthropic_rules.check(body, invalid)
    return turns


def _blocks(i: int, role: str, content: Any, *, last: bool) -> list[dict[str, Any]]:
    if isinstance(content, str):
        content = [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise invalid(f"messages.{i}.content: Input should be a valid string or list")
    if not content and not (last and role == "assistant"):
        raise invalid(f"messages.{i}: all messages must have non-empty content except for the "
                      "optional final assistant message")
    allowed = USER_BLOCKS if role == "user" else ASSISTANT_BLOCKS
    for k, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in allowed:
            raise invalid(f"messages.{i}.content.{k}.type: Input tag '{kind}' found using 'type' "
                          f"does not match any of the expected tags: "
                          + ", ".join(f"'{t}'" for t in allowed))
        if kind == "text" and not block.get("text"):
            raise invalid("messages: text content blocks must be non-empty")
        if kind == "image":
            _check_image(f"messages.{i}.content.{k}", block.get("source") or {})
    if last and role == "assistant" and content and content[-1].get("type") == "text" \
            and content[-1]["text"] != content[-1]["text"].rstrip():
        raise invalid("messages: final assistant content cannot end with trailing whitespace")
    return list(content)


def _check_image(where: str, source: dict[str, Any]) -> None:
    kind = source.get("type")
    if kind == "base64":
        if source.get("media_type") not in IMAGE_TYPES:
            raise invalid(f"{where}.source.base64.media_type: Input should be 'image/jpeg', "
                          "'image/png', 'image/gif' or 'image/webp'")
        if not source.get("data"):
            raise invalid(f"{where}.source.base64.data: Field required")
    elif kind == "url":
        if not str(source.get("url", "")).startswith(("http://", "https://")):
            raise invalid(f"{where}.source.url.url: Input should be a valid URL")
    else:
        raise invalid(f"{where}.source: Input tag '{kind}' found using 'type' does not match any "
                      "of the expected tags: 'base64', 'url'")


def _check_tool_pairing(turns: list[Turn]) -> None:
    for n, turn in enumerate(turns):
        if turn.role == "user":
            before = _ids(turns[n - 1], "tool_use") if n and turns[n - 1].role == "assistant" \
                else set()
            for k, block in enumerate(turn.blocks):
                if block.get("type") == "tool_result" and block.get("tool_use_id") not in before:
                    raise invalid(
                        f"messages.{turn.index}.content.{k}: unexpected `tool_use_id` found in "
                        f"`tool_result` blocks: {block.get('tool_use_id')}. Each `tool_result` "
                        "block must have a corresponding `tool_use` block in the previous message.")
            continue
        used = _ids(turn, "tool_use")
        following = turns[n + 1].blocks if n + 1 < len(turns) else []
        leading: set[str] = set()
        for block in following:
            if block.get("type") != "tool_result":
                break
            leading.add(str(block.get("tool_use_id")))
        if used - leading:
            ids = ", ".join(sorted(used - leading))
            raise invalid(f"messages.{turn.index}: `tool_use` ids were found without "
                          f"`tool_result` blocks immediately after: {ids}. Each `tool_use` block "
                          "must have a corresponding `tool_result` block in the next message.")


def _ids(turn: Turn, kind: str) -> set[str]:
    return {str(b.get("id")) for b in turn.blocks if b.get("type") == kind}


def _check_tools(body: dict[str, Any]) -> None:
    names = []
    for j, tool in enumerate(body.get("tools") or []):
        if "type" in tool and tool["type"] != "custom":
            continue  # server tools (web_search_..., bash_...) carry no schema
        for field in ("name", "input_schema"):
            if field not in tool:
                raise invalid(f"tools.{j}.custom.{field}: Field required")
        names.append(tool["name"])
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool" and choice.get("name") not in names:
        raise invalid(f"tool_choice.name: tool '{choice.get('name')}' was not found in `tools`")


# ---------------------------------------------------------------- replies


def _input_tokens(body: dict[str, Any]) -> int:
    return count_tokens([body.get("messages"), body.get("system") or "", body.get("tools") or []])


def _output_tokens(blocks: list[dict[str, Any]]) -> int:
    return sum(count_tokens(b.get("text", "")) + count_tokens(b.get("thinking", ""))
               + (count_tokens(b["input"]) if "input" in b else 0) for b in blocks)


def _content(body: dict[str, Any], turns: list[Turn]) -> tuple[list[dict[str, Any]], str]:
    last = turns[-1]
    prompt = next((text_of([b for b in t.blocks if b.get("type") == "text"])
                   for t in reversed(turns) if t.role == "user"), "")
    results = [b for b in last.blocks if b.get("type") == "tool_result"]
    tool_output = " ".join(text_of(b.get("content")) for b in results) if results else None
    tools = [ToolSpec(t["name"], t["input_schema"]) for t in body.get("tools") or []
             if "input_schema" in t]
    choice = body.get("tool_choice") or {"type": "auto"}
    wanted = {"auto": "auto", "any": "required", "none": "none"}.get(choice.get("type", ""),
                                                                      choice.get("name"))
    offered = tools if last.role == "user" else []
    decided = decide(prompt, offered, wanted, tool_output, body["max_tokens"])
    blocks: list[dict[str, Any]] = []
    if (body.get("thinking") or {}).get("type") in ("enabled", "adaptive"):
        thought = f"The user wrote: {prompt}"
        blocks.append({"type": "thinking", "thinking": thought,
                       "signature": anthropic_rules.signature_for(thought)})
        if "redact" in prompt:  # the safety system encrypts some reasoning
            blocks.append({"type": "redacted_thinking",
                           "data": anthropic_rules.redacted_data_for(prompt)})
    if decided.tool_name is None:
        blocks.append({"type": "text", "text": decided.text})
        return blocks, "max_tokens" if decided.truncated else "end_turn"
    if wanted == "auto":
        blocks.append({"type": "text", "text": f"I'll use the {decided.tool_name} tool."})
    blocks.append({"type": "tool_use", "id": new_id("toolu_01", 22), "name": decided.tool_name,
                   "input": decided.tool_input})
    return blocks, "tool_use"


def reply(body: dict[str, Any], turns: list[Turn]) -> Response:
    blocks, stop_reason = _content(body, turns)
    message = fixture("anthropic", "message")
    message.update(id=new_id("msg_01", 22), model=body["model"], content=blocks,
                   stop_reason=stop_reason)
    used = _input_tokens(body)
    cached = max(1, used // 2) if "cache_control" in json.dumps(body) else 0
    message["usage"].update(input_tokens=used - cached, cache_read_input_tokens=cached,
                            output_tokens=_output_tokens(blocks))
    request_id = new_id("req_011C", 20)
    if body.get("stream"):
        return sse_response(_events(message), headers={"request-id": request_id})
    return JSONResponse(message, headers={"request-id": request_id})


def _events(message: dict[str, Any]) -> list[bytes]:
    def event(kind: str, **fields: Any) -> bytes:
        return sse({"type": kind, **fields}, event=kind)

    usage = message["usage"]
    start = dict(message, content=[], stop_reason=None, stop_sequence=None,
                 usage=dict(usage, output_tokens=1))
    frames = [event("message_start", message=start)]
    for index, block in enumerate(message["content"]):
        empty, deltas = _block_stream(block)
        frames.append(event("content_block_start", index=index, content_block=empty))
        if index == 0:
            frames.append(event("ping"))
        frames += [event("content_block_delta", index=index, delta=d) for d in deltas]
        frames.append(event("content_block_stop", index=index))
    final_usage = {k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens",
                                         "cache_read_input_tokens", "output_tokens")}
    frames.append(event("message_delta", delta={"stop_reason": message["stop_reason"],
                                                "stop_sequence": None}, usage=final_usage))
    return frames + [event("message_stop")]


def _block_stream(block: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A block as first announced by `content_block_start`, and the deltas that fill it."""
    if block["type"] == "tool_use":
        pieces = ["", *json_pieces(block["input"])]
        return (dict(block, input={}),
                [{"type": "input_json_delta", "partial_json": p} for p in pieces])
    if block["type"] == "redacted_thinking":
        return dict(block), []
    if block["type"] == "thinking":
        thoughts = [{"type": "thinking_delta", "thinking": p}
                    for p in text_pieces(block["thinking"])]
        return (dict(block, thinking="", signature=""),
                [*thoughts, {"type": "signature_delta", "signature": block["signature"]}])
    return (dict(block, text=""),
            [{"type": "text_delta", "text": p} for p in text_pieces(block["text"])])
