"""Anthropic Messages stream events -> OpenAI `chat.completion.chunk` objects, one at a time.

Anthropic numbers content blocks (text, thinking, tool_use, ...) in one sequence; OpenAI numbers
tool calls on their own. The state maps each `tool_use` block's index to the next tool-call index,
so the first tool call is 0 whatever text came before it, and every later argument fragment finds
its call again.

    message_start         -> first chunk: {"role": "assistant", "content": ""}
    content_block_start   -> tool_use: {"tool_calls": [{index, id, type, function{name, ""}}]};
                             thinking / redacted_thinking: a new `reasoning_details` entry
    content_block_delta   -> text_delta: content; input_json_delta: arguments fragment;
                             thinking_delta: reasoning_content + the entry's text;
                             signature_delta: the entry's signature; citations: nothing
    message_delta         -> empty delta with finish_reason; usage remembered
    message_stop          -> the usage chunk (choices: []) when include_usage
    content_block_stop    -> a tool_use block that got no argument text: arguments "{}"
    ping, unknown events  -> nothing
    error                 -> raises UpstreamStreamError (see compat_shapes)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aigw.errors import UpstreamStreamError
from aigw.providers.anthropic_response import (
    ERROR_STATUS,
    RETRYABLE_ERRORS,
    finish_reason,
    openai_usage,
)
from aigw.providers.compat_shapes import (
    ANTHROPIC_FORMAT,
    Chunks,
    ChunkStream,
    dispatch,
    new_tool_call_id,
    reasoning_detail,
)
from aigw.providers.spec import StreamEvent


@dataclass
class AnthropicStream(ChunkStream):
    #: Anthropic content-block index -> OpenAI tool-call index, for tool_use blocks only.
    tool_index: dict[int, int] = field(default_factory=dict)
    #: Usage as Anthropic reports it; message_delta's counts are cumulative and replace these.
    counts: dict[str, Any] = field(default_factory=dict)
    #: Anthropic content-block index -> `reasoning_details` index, for thinking blocks.
    detail_index: dict[int, int] = field(default_factory=dict)


def _message_start(state: AnthropicStream, data: dict[str, Any]) -> Chunks:
    message = data.get("message") or {}
    state.id = message.get("id") or state.id
    state.counts.update(message.get("usage") or {})
    return [state.chunk({"role": "assistant", "content": ""})]


def _block_start(state: AnthropicStream, data: dict[str, Any]) -> Chunks:
    block = data.get("content_block") or {}
    kind = block.get("type")
    if kind == "tool_use":
        index = len(state.tool_index)
        state.tool_index[data.get("index", -1)] = index
        # `input` is {} when announced; a non-empty one (a proxy that sends the whole call at
        # once) is the arguments already.
        initial = block.get("input")
        arguments = json.dumps(initial, ensure_ascii=False, separators=(",", ":")) \
            if isinstance(initial, dict) and initial else ""
        state.tool_arguments_sent(index, arguments)
        call = {"index": index, "id": block.get("id") or new_tool_call_id(),
                "type": "function",
                "function": {"name": block.get("name", ""), "arguments": arguments}}
        return [state.chunk({"tool_calls": [call]})]
    if kind == "text" and block.get("text"):
        return [state.chunk({"content": block["text"]})]
    if kind in ("thinking", "redacted_thinking"):
        index = state.detail_index[data.get("index", -1)] = len(state.detail_index)
        if kind == "redacted_thinking":
            detail = reasoning_detail(index, ANTHROPIC_FORMAT, data=str(block.get("data", "")))
            return [state.chunk({"reasoning_details": [detail]})]
        text = block.get("thinking") or ""
        delta: dict[str, Any] = {"reasoning_details": [reasoning_detail(
            index, ANTHROPIC_FORMAT, text=text, signature=block.get("signature"))]}
        if text:
            delta["reasoning_content"] = text
        return [state.chunk(delta)]
    return []


def _block_delta(state: AnthropicStream, data: dict[str, Any]) -> Chunks:
    delta = data.get("delta") or {}
    kind = delta.get("type")
    if kind == "text_delta" and delta.get("text"):
        return [state.chunk({"content": delta["text"]})]
    if kind == "input_json_delta" and delta.get("partial_json"):
        index = state.tool_index.get(data.get("index", -1))
        if index is None:  # arguments of a block that is not a client tool call
            return []
        state.tool_arguments_sent(index, delta["partial_json"])
        call = {"index": index, "function": {"arguments": delta["partial_json"]}}
        return [state.chunk({"tool_calls": [call]})]
    detail = state.detail_index.get(data.get("index", -1))
    if kind == "thinking_delta" and delta.get("thinking") and detail is not None:
        return [state.chunk({"reasoning_content": delta["thinking"], "reasoning_details": [
            {"index": detail, "text": delta["thinking"]}]})]
    if kind == "signature_delta" and delta.get("signature") and detail is not None:
        return [state.chunk({"reasoning_details": [
            {"index": detail, "signature": delta["signature"]}]})]
    return []


def _block_stop(state: AnthropicStream, data: dict[str, Any]) -> Chunks:
    return state.empty_arguments(state.tool_index.get(data.get("index", -1)))


def _message_delta(state: AnthropicStream, data: dict[str, Any]) -> Chunks:
    delta = data.get("delta") or {}
    state.counts.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
    state.usage = openai_usage(state.counts)
    state.finish_reason = finish_reason(delta.get("stop_reason"))
    return [state.chunk({}, state.finish_reason)]


def _message_stop(state: AnthropicStream, data: dict[str, Any]) -> Chunks:
    if state.finish_reason is None:
        raise UpstreamStreamError("anthropic stream stopped without a stop reason")
    return state.close()


def _error(state: AnthropicStream, data: dict[str, Any]) -> Chunks:
    error = data.get("error") or {}
    kind = str(error.get("type") or "api_error")
    raise UpstreamStreamError(str(error.get("message") or "anthropic stream failed"),
                              status=ERROR_STATUS.get(kind, 502), error_type=kind,
                              retryable=kind in RETRYABLE_ERRORS)


#: Anthropic event type -> handler; the others (ping, types Anthropic adds later) produce
#: nothing.
HANDLERS: dict[str, Callable[[AnthropicStream, dict[str, Any]], Chunks]] = {
    "message_start": _message_start,
    "content_block_start": _block_start,
    "content_block_delta": _block_delta,
    "content_block_stop": _block_stop,
    "message_delta": _message_delta,
    "message_stop": _message_stop,
    "error": _error,
}


def new_stream_state(model: str, include_usage: bool) -> AnthropicStream:
    return AnthropicStream(model=model, include_usage=include_usage)


def parse_stream_event(state: AnthropicStream, event: StreamEvent) -> Chunks:
    return dispatch(HANDLERS, state, event)


def finish_stream(state: AnthropicStream) -> Chunks:
    return state.finish("anthropic")
