"""OpenAI chat completions <-> Cohere v2 chat (`POST /v2/chat`), for compat.

Cohere v2 is close to OpenAI's shape (roles, `tools` as functions, tool calls with JSON-string
arguments, `image_url` parts), so most of this is renaming and rejecting what has no equivalent.

Request (OpenAI -> Cohere):

- roles: system and developer -> `system`; user, assistant and tool keep their role and order.
- user content: a string, or `text` / `image_url` parts (data URLs and http(s) URLs, `detail`
  kept); other part types are rejected.
- assistant: text content, `tool_calls` as they are; when it has tool calls, a
  `reasoning_content` the client echoed back becomes `tool_plan` (the field it came from).
- tool messages: `tool_call_id` kept, content sent as one string (Cohere takes a JSON string).
- `tools` -> the same function objects; any `strict: true` tool turns on `strict_tools`.
- `tool_choice`: auto -> omitted, none -> NONE, required -> REQUIRED; a named function has no
  Cohere equivalent, so only that tool is sent, with REQUIRED. `parallel_tool_calls` is dropped:
  Cohere cannot limit a turn to one call.
- `response_format`: json_object -> json_object; json_schema -> json_object with `json_schema`.
- `max_completion_tokens` / `max_tokens` -> `max_tokens` (optional for Cohere, no default),
  `stop` -> `stop_sequences`, `temperature`, `top_p` -> `p`, `seed`, `frequency_penalty`,
  `presence_penalty` kept.
- `reasoning_effort` -> `thinking`: "none" -> `{"type": "disabled"}`, otherwise
  `{"type": "enabled", "token_budget": N}` from `compat_shapes.REASONING_BUDGETS`.
- Rejected (400, with `param`): `n` > 1, `logprobs`, `top_logprobs`.
- Dropped: `user` (no Cohere field), `logit_bias`, `service_tier`, `store`, OpenAI `metadata`.

Response (Cohere -> OpenAI): `cohere_response` and `cohere_stream`. `tool_plan` and thinking text
become `reasoning_content`; citations are dropped. Usage is Cohere's billed units.
"""

from __future__ import annotations

from typing import Any

from aigw.errors import InvalidRequest
from aigw.providers import cohere_response, cohere_stream
from aigw.providers.compat_shapes import (
    ChatFunctions,
    as_parts,
    max_tokens,
    reasoning_budget,
    reject_unsupported_choices,
    stop_sequences,
    text_only,
)
from aigw.providers.openai_request import blank
from aigw.providers.spec import UpstreamCall

CHAT_PATH = "/v2/chat"

#: OpenAI message roles -> Cohere roles.
ROLES: dict[str, str] = {"system": "system", "developer": "system", "user": "user",
                         "assistant": "assistant", "tool": "tool"}

#: OpenAI `tool_choice` strings -> Cohere `tool_choice` (None: leave it out).
TOOL_CHOICES: dict[str, str | None] = {"auto": None, "none": "NONE", "required": "REQUIRED"}

#: OpenAI request fields copied under another (or the same) name.
RENAMED: dict[str, str] = {"temperature": "temperature", "top_p": "p", "seed": "seed",
                           "frequency_penalty": "frequency_penalty",
                           "presence_penalty": "presence_penalty"}

Part = dict[str, Any]


def _user_content(content: Any, where: str) -> str | list[Part]:
    if isinstance(content, str):
        return content
    parts: list[Part] = []
    for j, part in enumerate(as_parts(content, where)):
        at = f"{where}.content[{j}]"
        kind = part.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": part.get("text", "")})
        elif kind == "image_url":
            image = part.get("image_url")
            image = image if isinstance(image, dict) else {"url": image}
            url = image.get("url")
            if not isinstance(url, str) or not url.startswith(("data:", "https://", "http://")):
                raise InvalidRequest(f"{at}: images must be data: or http(s) URLs", param=at)
            converted = {"url": url, **({"detail": image["detail"]} if image.get("detail") else {})}
            parts.append({"type": "image_url", "image_url": converted})
        else:
            raise InvalidRequest(f"{at}: content part type '{kind}' is not supported by cohere "
                                 "(text, image_url)", param=at)
    return parts


def _assistant(msg: dict[str, Any], where: str) -> dict[str, Any] | None:
    out: dict[str, Any] = {"role": "assistant"}
    content = msg.get("content")
    if isinstance(content, list):
        content = "".join(str(p.get("text") or p.get("refusal") or "") for p in content
                          if isinstance(p, dict))
    if not blank(content):
        out["content"] = content
    calls = msg.get("tool_calls") or []
    for k, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not function.get("name") or not call.get("id"):
            raise InvalidRequest(f"{where}.tool_calls[{k}] needs an id and a function name",
                                 param=f"{where}.tool_calls[{k}]")
    if calls:
        out["tool_calls"] = [{"id": c["id"], "type": "function",
                              "function": {"name": c["function"]["name"],
                                           "arguments": c["function"].get("arguments") or "{}"}}
                             for c in calls]
        if isinstance(msg.get("reasoning_content"), str) and msg["reasoning_content"]:
            out["tool_plan"] = msg["reasoning_content"]
    return out if len(out) > 1 else None


def convert_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages must be a non-empty list", param="messages")
    out: list[dict[str, Any]] = []
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        given = msg.get("role") if isinstance(msg, dict) else None
        role = ROLES.get(given) if isinstance(given, str) else None
        if role is None:
            raise InvalidRequest(f"{where}.role '{given}' is not supported", param=f"{where}.role")
        if role == "system":
            text = text_only(msg.get("content") or "", where)
            if not blank(text):  # Cohere refuses a message without a token
                out.append({"role": "system", "content": text})
        elif role == "user":
            out.append({"role": "user", "content": _user_content(msg.get("content"), where)})
        elif role == "tool":
            if not msg.get("tool_call_id"):
                raise InvalidRequest(f"{where}.tool_call_id is required",
                                     param=f"{where}.tool_call_id")
            out.append({"role": "tool", "tool_call_id": msg["tool_call_id"],
                        "content": text_only(msg.get("content") or "", where)})
        else:
            assistant = _assistant(msg, where)
            if assistant is not None:
                out.append(assistant)
    return out


def convert_tools(body: dict[str, Any]) -> tuple[list[Part] | None, str | None, bool]:
    """(tools, tool_choice, strict_tools)."""
    tools = body.get("tools") or []
    converted: list[Part] = []
    strict = False
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function" \
                or not function.get("name"):
            raise InvalidRequest(f"tools[{i}]: only function tools with a name are supported",
                                 param=f"tools[{i}]")
        strict = strict or bool(function.get("strict"))
        converted.append({"type": "function", "function": {
            k: v for k, v in function.items() if k in ("name", "description", "parameters")}})
    if not converted:
        return None, None, False
    choice = body.get("tool_choice")
    if choice is None or (isinstance(choice, str) and choice in TOOL_CHOICES):
        return converted, TOOL_CHOICES.get(choice or "auto"), strict
    name = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    named = [t for t in converted if t["function"]["name"] == name]
    if not named:
        raise InvalidRequest("tool_choice must be auto, none, required or the name of one of "
                             "the tools", param="tool_choice")
    return named, "REQUIRED", strict


def convert_response_format(body: dict[str, Any]) -> Part | None:
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if fmt is None or kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise InvalidRequest("response_format.json_schema.schema is required",
                                 param="response_format")
        return {"type": "json_object", "json_schema": schema}
    raise InvalidRequest(f"response_format type '{kind}' is not supported",
                         param="response_format")


def build_request(body: dict[str, Any], model: str) -> UpstreamCall:
    reject_unsupported_choices(body, "cohere")
    out: dict[str, Any] = {"model": model, "messages": convert_messages(body.get("messages"))}
    tools, choice, strict = convert_tools(body)
    if tools:
        out["tools"] = tools
    if choice:
        out["tool_choice"] = choice
    if strict:
        out["strict_tools"] = True
    response_format = convert_response_format(body)
    if response_format:
        out["response_format"] = response_format
    limit = max_tokens(body)
    if limit is not None:
        out["max_tokens"] = limit
    stops = stop_sequences(body)
    if stops:
        out["stop_sequences"] = stops
    out.update({theirs: body[ours] for ours, theirs in RENAMED.items()
                if body.get(ours) is not None})
    given, budget = reasoning_budget(body)
    if given:
        out["thinking"] = ({"type": "disabled"} if budget is None
                           else {"type": "enabled", "token_budget": budget})
    stream = bool(body.get("stream"))
    out["stream"] = stream
    return UpstreamCall(path=CHAT_PATH, body=out, stream=stream)


#: The `ChatTranslation` compat uses for the `cohere` provider.
COHERE_CHAT = ChatFunctions(
    build_request=build_request,
    parse_response=cohere_response.parse_response,
    new_stream_state=cohere_stream.new_stream_state,
    parse_stream_event=cohere_stream.parse_stream_event,
    finish_stream=cohere_stream.finish_stream,
    error_message=cohere_response.error_message,
)
