"""OpenAI chat completions <-> Anthropic Messages (`POST /v1/messages`), for compat.

Request (OpenAI -> Anthropic):

- `system` and `developer` messages, wherever they appear, become `system` text blocks in order;
  Anthropic has no system turns inside `messages`.
- Every other message becomes a turn of text/image/document/tool blocks. Consecutive turns of
  the same role are merged, so roles alternate as Anthropic requires; a `tool` message is a
  `tool_result` block in a user turn, and inside a user turn the `tool_result` blocks come first.
- assistant `tool_calls` -> `tool_use` blocks (`arguments` parsed as JSON); ids are kept, with
  characters outside Anthropic's `[a-zA-Z0-9_-]` replaced by `_` on both sides, so pairs stay,
  and an id an earlier turn already used renamed (`openai_request.ToolIds`): Anthropic
  requires unique `tool_use` ids.
- Blank (empty or whitespace-only) text parts and system messages are left out, and a final
  assistant turn loses its trailing whitespace: Anthropic refuses both (see the README's
  constraint list).
- `tools` (functions only) -> `{name, description, input_schema, strict?}`; `tool_choice`
  auto/none/required/named -> auto/none/any/tool; `parallel_tool_calls: false` ->
  `disable_parallel_tool_use: true`. `tool_choice` is only sent with `tools`.
- images: data URLs -> base64 source (jpeg, png, gif, webp); http(s) URLs -> url source.
  `file` parts with a PDF data URL -> a base64 `document` block. Other parts are rejected.
- `response_format` json_schema -> `output_config.format` (Anthropic's structured outputs);
  `json_object` is rejected: Anthropic has no schema-less JSON mode, and silently answering
  with prose would break the client's parser.
- `max_completion_tokens` / `max_tokens` -> `max_tokens`, default 4096 (Anthropic requires it).
- `temperature` (Anthropic accepts 0..1; above 1 is rejected here), `top_p`, `stop` ->
  `stop_sequences`, `user` -> `metadata.user_id`.
- `reasoning_effort` -> `thinking` (table in `compat_shapes.REASONING_BUDGETS`): "none" ->
  `{"type": "disabled"}`, otherwise `{"type": "enabled", "budget_tokens": N}`. The budget must be
  below `max_tokens`: without a client `max_tokens` the default becomes budget + 4096; with one,
  the budget is capped at max_tokens - 1, and a cap under Anthropic's 1024 minimum is rejected.
- Rejected (400, with `param`): `n` > 1, `logprobs`/`top_logprobs`, `json_object`, audio input.
- Dropped: `seed` (no equivalent), `frequency_penalty`, `presence_penalty`, `logit_bias`,
  `service_tier`, `store`, OpenAI `metadata`, `prediction`, assistant `reasoning_content`
  (the thinking itself comes back through `reasoning_details`, below).
- Reasoning across a tool loop: thinking and redacted thinking blocks are returned in
  `reasoning_details` (signature and data included); when the client sends the assistant message
  back, they are rebuilt first in its turn. A tool loop whose last assistant turn lost them is
  sent with thinking off for that request (Anthropic refuses it otherwise).

Response (Anthropic -> OpenAI): `anthropic_response` and `anthropic_stream`. Thinking text is
returned as `reasoning_content` on the message (and on stream deltas), and every thinking or
redacted thinking block as a `reasoning_details` entry: fields the OpenAI SDK keeps as extras.
"""

from __future__ import annotations

import json
from typing import Any

from aigw.errors import InvalidRequest
from aigw.providers import anthropic_response, anthropic_stream
from aigw.providers.anthropic_tools import (
    convert_response_format,
    convert_tool_choice,
    convert_tools,
)
from aigw.providers.compat_shapes import (
    ANTHROPIC_FORMAT,
    ChatFunctions,
    as_parts,
    data_url,
    max_tokens,
    reasoning_budget,
    reject_unsupported_choices,
    replayed_details,
    stop_sequences,
    text_only,
)
from aigw.providers.openai_request import ToolIds, blank
from aigw.providers.spec import UpstreamCall

MESSAGES_PATH = "/v1/messages"
DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024
IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

#: OpenAI message roles -> the Anthropic turn they land in (system ones go to `system`).
ROLES: dict[str, str] = {"user": "user", "tool": "user", "assistant": "assistant"}
SYSTEM_ROLES = frozenset({"system", "developer"})

Block = dict[str, Any]


def _image(url: Any, where: str) -> Block:
    if not isinstance(url, str) or not url:
        raise InvalidRequest(f"{where}.image_url.url must be a URL", param=where)
    parsed = data_url(url, where)
    if parsed is not None:
        media_type, data = parsed
        if media_type not in IMAGE_MEDIA_TYPES:
            accepted = ", ".join(sorted(IMAGE_MEDIA_TYPES))
            raise InvalidRequest(f"{where}: anthropic accepts {accepted} images, not {media_type}",
                                 param=where)
        return {"type": "image", "source": {"type": "base64", "media_type": media_type,
                                            "data": data}}
    if url.startswith(("https://", "http://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise InvalidRequest(f"{where}: images must be data: or http(s) URLs", param=where)


def _file(file: Any, where: str) -> Block:
    parsed = data_url(file.get("file_data", ""), where) if isinstance(file, dict) else None
    if parsed is None or parsed[0] != "application/pdf":
        raise InvalidRequest(f"{where}: anthropic accepts files only as PDF data "
                             "(file_data: data:application/pdf;base64,...)", param=where)
    return {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                           "data": parsed[1]}}


def _user_blocks(content: Any, where: str) -> list[Block]:
    blocks: list[Block] = []
    for j, part in enumerate(as_parts(content, where)):
        at = f"{where}.content[{j}]"
        kind = part.get("type")
        if kind == "text":
            if not blank(part.get("text")):
                blocks.append({"type": "text", "text": part["text"]})
        elif kind == "image_url":
            image = part.get("image_url")
            blocks.append(_image(image.get("url") if isinstance(image, dict) else image, at))
        elif kind == "file":
            blocks.append(_file(part.get("file"), at))
        else:
            raise InvalidRequest(f"{at}: content part type '{kind}' is not supported by "
                                 "anthropic (text, image_url, file)", param=at)
    return blocks


def thinking_blocks(msg: dict[str, Any]) -> list[Block]:
    """The thinking and redacted thinking blocks a client sent back on an assistant message
    (`reasoning_details` of Anthropic's format, or LiteLLM's `thinking_blocks`), rebuilt as
    Anthropic blocks. A thinking entry without its signature cannot be verified by Anthropic,
    so it is left out."""
    blocks: list[Block] = []
    for d in replayed_details(msg, ANTHROPIC_FORMAT):
        if d["type"] == "reasoning.encrypted" and d.get("data"):
            blocks.append({"type": "redacted_thinking", "data": str(d["data"])})
        elif d["type"] == "reasoning.text" and d.get("signature"):
            blocks.append({"type": "thinking", "thinking": str(d.get("text") or ""),
                           "signature": str(d["signature"])})
    return blocks


def _assistant_blocks(msg: dict[str, Any], where: str, ids: ToolIds) -> list[Block]:
    content = msg.get("content")
    blocks: list[Block] = thinking_blocks(msg)  # first: Anthropic wants thinking to lead
    if isinstance(content, str):
        if not blank(content):
            blocks.append({"type": "text", "text": content})
    elif isinstance(content, list):
        for j, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") not in ("text", "refusal"):
                raise InvalidRequest(f"{where}.content[{j}]: assistant content must be text",
                                     param=f"{where}.content")
            text = part.get("text") or part.get("refusal")
            if not blank(text):
                blocks.append({"type": "text", "text": text})
    for k, call in enumerate(msg.get("tool_calls") or []):
        at = f"{where}.tool_calls[{k}]"
        function = call.get("function") or {}
        if call.get("type", "function") != "function" or not function.get("name"):
            raise InvalidRequest(f"{at}: only function tool calls with a name are supported",
                                 param=at)
        raw = function.get("arguments") or "{}"
        try:
            arguments = json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise InvalidRequest(f"{at}.function.arguments is not valid JSON",
                                 param=f"{at}.function.arguments") from exc
        if not isinstance(arguments, dict):
            raise InvalidRequest(f"{at}.function.arguments must be a JSON object",
                                 param=f"{at}.function.arguments")
        blocks.append({"type": "tool_use", "id": ids.call(call.get("id", "")),
                       "name": function["name"], "input": arguments})
    return blocks


def _tool_result(msg: dict[str, Any], where: str, ids: ToolIds) -> list[Block]:
    if not msg.get("tool_call_id"):
        raise InvalidRequest(f"{where}.tool_call_id is required", param=f"{where}.tool_call_id")
    return [{"type": "tool_result", "tool_use_id": ids.result(msg["tool_call_id"]),
             "content": text_only(msg.get("content") or "", where)}]


def _tool_results_first(blocks: list[Block]) -> list[Block]:
    """Anthropic wants a user turn's `tool_result` blocks before anything else in it."""
    return ([b for b in blocks if b["type"] == "tool_result"]
            + [b for b in blocks if b["type"] != "tool_result"])


def convert_messages(messages: Any) -> tuple[list[Block], list[dict[str, Any]]]:
    """OpenAI messages -> (system blocks, alternating Anthropic turns)."""
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages must be a non-empty list", param="messages")
    system: list[Block] = []
    turns: list[dict[str, Any]] = []
    ids = ToolIds(limit=128)
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        role = msg.get("role") if isinstance(msg, dict) else None
        if role in SYSTEM_ROLES:
            text = text_only(msg.get("content") or "", where)
            if not blank(text):
                system.append({"type": "text", "text": text})
            continue
        if role not in ROLES:
            raise InvalidRequest(f"{where}.role '{role}' is not supported", param=f"{where}.role")
        if role == "user":
            blocks = _user_blocks(msg.get("content"), where)
        elif role == "tool":
            blocks = _tool_result(msg, where, ids)
        else:
            blocks = _assistant_blocks(msg, where, ids)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == ROLES[role]:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": ROLES[role], "content": blocks})
    if not turns:
        raise InvalidRequest("anthropic needs at least one user or assistant message",
                             param="messages")
    for turn in turns:
        if turn["role"] == "user":
            turn["content"] = _tool_results_first(turn["content"])
    _no_trailing_whitespace(turns)
    return system, turns


def _no_trailing_whitespace(turns: list[dict[str, Any]]) -> None:
    """A final assistant turn (a prefill) may not end with whitespace: Anthropic refuses it."""
    last = turns[-1]
    if last["role"] == "assistant" and last["content"][-1]["type"] == "text":
        last["content"][-1] = {**last["content"][-1], "text": last["content"][-1]["text"].rstrip()}


def _limits(body: dict[str, Any]) -> tuple[int, Block | None]:
    """(max_tokens, thinking): the thinking budget has to fit under max_tokens."""
    requested = max_tokens(body)
    given, budget = reasoning_budget(body)
    if not given:
        return requested or DEFAULT_MAX_TOKENS, None
    if budget is None:
        return requested or DEFAULT_MAX_TOKENS, {"type": "disabled"}
    if requested is None:
        return budget + DEFAULT_MAX_TOKENS, {"type": "enabled", "budget_tokens": budget}
    budget = min(budget, requested - 1)
    if budget < MIN_THINKING_BUDGET:
        raise InvalidRequest(f"reasoning needs max_tokens above {MIN_THINKING_BUDGET} on "
                             "anthropic (thinking budget minimum)", param="max_tokens")
    return requested, {"type": "enabled", "budget_tokens": budget}


def _loop_keeps_thinking(turns: list[dict[str, Any]]) -> bool:
    """Whether thinking may stay on: in a tool loop (the last user turn answers the assistant
    turn before it with tool results) that assistant turn must open with its thinking block.

    A client that did not keep `reasoning_details` sends history Anthropic refuses with
    thinking enabled ("a final assistant message must start with a thinking block"), so for
    that request thinking is left off — what the provider accepts — rather than sending a
    request known to fail. The next request that starts a new loop thinks again.
    """
    if len(turns) < 2 or turns[-1]["role"] != "user" or turns[-2]["role"] != "assistant":
        return True
    if not any(b["type"] == "tool_result" for b in turns[-1]["content"]):
        return True
    blocks = turns[-2]["content"]
    if not any(b["type"] == "tool_use" for b in blocks):
        return True
    return blocks[0]["type"] in ("thinking", "redacted_thinking")


def history_tools(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """Anthropic refuses `tool_use` / `tool_result` blocks in a request without `tools`. A
    client that sends a tool history but no tools (a final answer after a loop) gets the tools
    its history names, with an open schema, and `tool_choice: none`: nothing new is called."""
    names = list(dict.fromkeys(b["name"] for t in turns for b in t["content"]
                               if b["type"] == "tool_use"))
    if not names:
        return {}
    return {"tools": [{"name": n, "input_schema": {"type": "object"}} for n in names],
            "tool_choice": {"type": "none"}}


def _check_thinking(out: dict[str, Any]) -> None:
    """What Anthropic refuses with thinking on; a faithful translation cannot drop the client's
    setting, so the client hears it from the gateway, naming the parameter."""
    if out["thinking"].get("type") != "enabled":
        return
    if out.get("temperature") not in (None, 1):
        raise InvalidRequest("anthropic accepts only temperature 1 (or none) with "
                             "reasoning_effort", param="temperature")
    if out.get("top_p") is not None and out["top_p"] < 0.95:
        raise InvalidRequest("anthropic accepts top_p between 0.95 and 1 with reasoning_effort",
                             param="top_p")
    if (out.get("tool_choice") or {}).get("type") in ("any", "tool"):
        raise InvalidRequest("anthropic cannot force a tool call (tool_choice required or "
                             "named) while thinking; use tool_choice auto or drop "
                             "reasoning_effort", param="tool_choice")


def build_request(body: dict[str, Any], model: str) -> UpstreamCall:
    reject_unsupported_choices(body, "anthropic")
    system, turns = convert_messages(body.get("messages"))
    limit, thinking = _limits(body)
    out: dict[str, Any] = {"model": model, "max_tokens": limit, "messages": turns}
    if system:
        out["system"] = system
    temperature = body.get("temperature")
    if temperature is not None:
        if not isinstance(temperature, int | float) or not 0 <= temperature <= 1:
            raise InvalidRequest("anthropic accepts temperature between 0 and 1",
                                 param="temperature")
        out["temperature"] = temperature
    if body.get("top_p") is not None:
        out["top_p"] = body["top_p"]
    stops = stop_sequences(body)
    if stops:
        out["stop_sequences"] = stops
    if body.get("user"):
        out["metadata"] = {"user_id": str(body["user"])}
    tools = convert_tools(body)
    if tools:
        out["tools"] = tools
        choice = convert_tool_choice(body)
        if choice:
            out["tool_choice"] = choice
    else:
        out.update(history_tools(turns))
    output_config = convert_response_format(body)
    if output_config:
        out["output_config"] = output_config
    if thinking and thinking.get("type") == "enabled" and not _loop_keeps_thinking(turns):
        thinking = None  # the client dropped the turn's thinking: Anthropic would refuse it
    if thinking:
        out["thinking"] = thinking
        _check_thinking(out)
    elif turns[-1]["role"] == "assistant":  # a prefill may not hold thinking without it
        turns[-1]["content"] = [b for b in turns[-1]["content"]
                                if b["type"] not in ("thinking", "redacted_thinking")] or \
            turns[-1]["content"]
    stream = bool(body.get("stream"))
    if stream:
        out["stream"] = True
    return UpstreamCall(path=MESSAGES_PATH, body=out, stream=stream)


#: The `ChatTranslation` compat uses for the `anthropic` provider.
ANTHROPIC_CHAT = ChatFunctions(
    build_request=build_request,
    parse_response=anthropic_response.parse_response,
    new_stream_state=anthropic_stream.new_stream_state,
    parse_stream_event=anthropic_stream.parse_stream_event,
    finish_stream=anthropic_stream.finish_stream,
    error_message=anthropic_response.error_message,
)
