"""Anthropic Messages responses -> OpenAI `chat.completion`, and the tables the stream shares.

The stream module reads the same stop reasons, usage fields and error types, so they live here
once. See `anthropic_chat` for the choices made where the two APIs differ.
"""

from __future__ import annotations

import json
from typing import Any

from aigw.providers import finish_reasons
from aigw.providers.compat_shapes import (
    ANTHROPIC_FORMAT,
    assistant_message,
    completion,
    error_text,
    new_completion_id,
    new_tool_call_id,
    reasoning_detail,
    usage,
)

#: Anthropic `stop_reason` -> OpenAI `finish_reason`: every value the Messages API reference
#: documents ("Stop reasons and fallback"). `pause_turn` (a server-tool loop hit its iteration
#: limit; the client must send the content back to continue) is an unfinished answer, so it
#: reads as "length", never as a normal "stop". Unknown values: `finish_reasons.by_rule`.
STOP_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "length",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

#: Anthropic error `type` -> the HTTP status Anthropic documents for it. Used for errors that
#: arrive inside a stream, where the HTTP status was already 200.
ERROR_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}

#: Error types a later attempt may not hit.
RETRYABLE_ERRORS = frozenset({"rate_limit_error", "api_error", "timeout_error",
                              "overloaded_error"})


def finish_reason(stop_reason: str | None) -> str:
    """`STOP_REASONS`; a missing one is "stop", an unknown one is mapped by the shared rule."""
    return finish_reasons.finish_reason(STOP_REASONS, stop_reason, "anthropic")


def openai_usage(u: dict[str, Any]) -> dict[str, Any]:
    """Anthropic counts cached input apart from `input_tokens`; OpenAI's prompt includes it.

    prompt_tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens, with
    the reads as `cached_tokens` and the writes as `cache_write_tokens`.
    """
    read = u.get("cache_read_input_tokens")
    write = u.get("cache_creation_input_tokens")
    prompt = (u.get("input_tokens") or 0) + (read or 0) + (write or 0)
    details = u.get("output_tokens_details") or {}
    return usage(prompt, u.get("output_tokens") or 0, cached=read, cache_write=write,
                 reasoning=details.get("thinking_tokens"))


def tool_call(block: dict[str, Any]) -> dict[str, Any]:
    """A `tool_use` block as an OpenAI tool call; `input` becomes a JSON string."""
    arguments = json.dumps(block.get("input") or {}, ensure_ascii=False, separators=(",", ":"))
    return {"id": block.get("id") or new_tool_call_id(), "type": "function",
            "function": {"name": block.get("name", ""), "arguments": arguments}}


def parse_response(data: dict[str, Any], model: str) -> dict[str, Any]:
    """Text blocks join into `content`, `tool_use` blocks become `tool_calls`, thinking text
    becomes `reasoning_content`; thinking and redacted thinking blocks, signatures included,
    become `reasoning_details` (so a client can send them back); server-tool blocks are
    dropped."""
    texts: list[str] = []
    reasoning: list[str] = []
    details: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for block in data.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "thinking":
            reasoning.append(block.get("thinking", ""))
            details.append(reasoning_detail(len(details), ANTHROPIC_FORMAT,
                                            text=block.get("thinking", ""),
                                            signature=block.get("signature")))
        elif kind == "redacted_thinking":
            details.append(reasoning_detail(len(details), ANTHROPIC_FORMAT,
                                            data=str(block.get("data", ""))))
        elif kind == "tool_use":
            calls.append(tool_call(block))
    u = data.get("usage")
    return completion(id=data.get("id") or new_completion_id(), model=model,
                      message=assistant_message(texts, calls, reasoning, details),
                      finish_reason=finish_reason(data.get("stop_reason")),
                      usage=openai_usage(u) if isinstance(u, dict) else None)


def error_message(status: int, data: Any) -> str:
    """Anthropic errors are `{"type": "error", "error": {"type", "message"}}`."""
    error = data.get("error") if isinstance(data, dict) else None
    return error_text("anthropic", status, data,
                      error.get("message") if isinstance(error, dict) else error)
