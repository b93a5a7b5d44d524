"""Cohere v2 chat responses -> OpenAI `chat.completion`, and the tables the stream shares.

See `cohere_chat` for the choices made where the two APIs differ.
"""

from __future__ import annotations

from typing import Any

from aigw.errors import UpstreamError
from aigw.providers import finish_reasons
from aigw.providers.compat_shapes import (
    assistant_message,
    completion,
    error_text,
    new_completion_id,
    new_tool_call_id,
    usage,
)

#: Cohere `finish_reason` -> OpenAI `finish_reason`: the v2 chat reference's values (COMPLETE,
#: STOP_SEQUENCE, MAX_TOKENS, TOOL_CALL, ERROR, TIMEOUT) and the older v1 ones still documented
#: for some deployments (ERROR_TOXIC, ERROR_LIMIT, USER_CANCEL). ERROR and TIMEOUT are `FAILED`.
#: Unknown values: `finish_reasons.by_rule`.
FINISH_REASONS: dict[str, str] = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "ERROR_LIMIT": "length",
    "TOOL_CALL": "tool_calls",
    "ERROR_TOXIC": "content_filter",
    "USER_CANCEL": "stop",
}

#: Finish reasons that mean the generation failed: surfaced as errors, never as a finish.
FAILED: frozenset[str] = frozenset({"ERROR", "TIMEOUT"})


def finish_reason(reason: str | None) -> str:
    return finish_reasons.finish_reason(FINISH_REASONS, reason, "cohere")


def openai_usage(u: dict[str, Any]) -> dict[str, Any]:
    """Billed units when Cohere reports them (what costs are computed from), else raw tokens."""
    billed = u.get("billed_units") or {}
    tokens = u.get("tokens") or {}
    prompt = billed.get("input_tokens", tokens.get("input_tokens")) or 0
    output = billed.get("output_tokens", tokens.get("output_tokens")) or 0
    cached = u.get("cached_tokens")
    return usage(int(prompt), int(output), cached=int(cached) if cached is not None else None)


def tool_call(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    return {"id": call.get("id") or new_tool_call_id(), "type": "function",
            "function": {"name": function.get("name", ""),
                         "arguments": function.get("arguments") or "{}"}}


def parse_response(data: dict[str, Any], model: str) -> dict[str, Any]:
    """Text items join into `content`; thinking items, then `tool_plan`, into
    `reasoning_content` — the order a stream sends them in, so both read the same."""
    reason = data.get("finish_reason")
    if reason in FAILED:
        raise UpstreamError(f"cohere stopped generating: {reason}")
    message = data.get("message") or {}
    texts: list[str] = []
    reasoning: list[str] = []
    content = message.get("content")
    if isinstance(content, str):
        texts.append(content)
    for item in content if isinstance(content, list) else []:
        if item.get("type") == "text":
            texts.append(item.get("text", ""))
        elif item.get("type") == "thinking":
            reasoning.append(item.get("thinking", ""))
    if message.get("tool_plan"):
        reasoning.append(message["tool_plan"])
    calls = [tool_call(c) for c in message.get("tool_calls") or []]
    u = data.get("usage")
    return completion(id=data.get("id") or new_completion_id(), model=model,
                      message=assistant_message(texts, calls, reasoning),
                      finish_reason=finish_reason(reason),
                      usage=openai_usage(u) if isinstance(u, dict) else None)


def error_message(status: int, data: Any) -> str:
    """Cohere errors are `{"message": "..."}` (older references show `{"data": "..."}`)."""
    fields = data if isinstance(data, dict) else {}
    return error_text("cohere", status, data, fields.get("message") or fields.get("data"))
