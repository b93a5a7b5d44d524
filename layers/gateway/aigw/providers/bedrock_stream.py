"""Bedrock Converse responses and ConverseStream events -> OpenAI chat objects.

Converse numbers content blocks (text, toolUse, reasoning) in one sequence; OpenAI numbers tool
calls on their own. The stream state maps each toolUse block's index to the next tool-call
index, so later argument fragments find their call again.

    messageStart        -> first chunk: {"role": "assistant", "content": ""}
    contentBlockStart   -> toolUse: {"tool_calls": [{index, id: toolUseId, type, function{name,
                           arguments: ""}}]}
    contentBlockDelta   -> text: content; toolUse.input: arguments fragment;
                           reasoningContent: text -> reasoning_content; text, signature
                           and redactedContent -> the block's `reasoning_details` entry
    contentBlockStop    -> a toolUse block that got no input text: arguments "{}"
    messageStop         -> empty delta with finish_reason (STOP_REASONS)
    metadata            -> usage remembered; sent as the final chunk when include_usage
    *Exception          -> raises UpstreamStreamError with Bedrock's documented status

The core decodes AWS event-stream frames and hands an exception frame (`:message-type`
exception) over as an event named by its `:exception-type`; it raises here, so the client gets
an error event with Bedrock's status and kind, never a finish_reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aigw.errors import UpstreamStreamError
from aigw.providers import finish_reasons
from aigw.providers.compat_shapes import (
    BEDROCK_FORMAT,
    ChunkStream,
    assistant_message,
    completion,
    new_completion_id,
    new_tool_call_id,
    reasoning_detail,
    usage,
)
from aigw.providers.spec import StreamEvent

Chunks = list[dict[str, Any]]

#: Converse stopReason -> OpenAI finish_reason: every value of the Converse API reference's
#: `stopReason` enum. Malformed output or tool use has no OpenAI counterpart; the turn did end,
#: so it reads as "stop". Unknown values: `finish_reasons.by_rule`.
STOP_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "malformed_model_output": "stop",
    "malformed_tool_use": "stop",
}

#: ConverseStream exception event -> (HTTP status Bedrock documents, OpenAI error type,
#: whether a retry may succeed).
STREAM_EXCEPTIONS: dict[str, tuple[int, str, bool]] = {
    "internalServerException": (500, "api_error", True),
    "modelStreamErrorException": (424, "api_error", True),
    "validationException": (400, "invalid_request_error", False),
    "throttlingException": (429, "rate_limit_error", True),
    "serviceUnavailableException": (503, "api_error", True),
}


def new_id() -> str:
    """Converse responses carry no id (only the x-amzn-RequestId header)."""
    return new_completion_id()


def finish_reason(stop_reason: str | None) -> str:
    return finish_reasons.finish_reason(STOP_REASONS, stop_reason, "aws-bedrock")


def openai_usage(u: dict[str, Any]) -> dict[str, Any]:
    """Converse counts cache reads and writes apart from `inputTokens`; OpenAI's prompt
    includes them, with the reads as cached_tokens and the writes as cache_write_tokens."""
    read, write = u.get("cacheReadInputTokens"), u.get("cacheWriteInputTokens")
    prompt = (u.get("inputTokens") or 0) + (read or 0) + (write or 0)
    return usage(prompt, u.get("outputTokens") or 0, cached=read, cache_write=write)


def tool_call(block: dict[str, Any]) -> dict[str, Any]:
    arguments = json.dumps(block.get("input") or {}, ensure_ascii=False, separators=(",", ":"))
    return {"id": block.get("toolUseId") or new_tool_call_id(), "type": "function",
            "function": {"name": block.get("name", ""), "arguments": arguments}}


def parse_response(data: dict[str, Any], model: str) -> dict[str, Any]:
    """Text blocks join into content, toolUse blocks become tool_calls, reasoning text becomes
    reasoning_content; other blocks (citations, guard content) are dropped."""
    texts: list[str] = []
    reasoning: list[str] = []
    details: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for block in ((data.get("output") or {}).get("message") or {}).get("content") or []:
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif isinstance(block.get("toolUse"), dict):
            calls.append(tool_call(block["toolUse"]))
        elif isinstance(block.get("reasoningContent"), dict):
            content = block["reasoningContent"]
            if "redactedContent" in content:
                details.append(reasoning_detail(len(details), BEDROCK_FORMAT,
                                                data=str(content["redactedContent"])))
                continue
            text = content.get("reasoningText") or {}
            reasoning.append(text.get("text", ""))
            details.append(reasoning_detail(len(details), BEDROCK_FORMAT,
                                            text=text.get("text", ""),
                                            signature=text.get("signature")))
    message = assistant_message(texts, calls, reasoning, details)
    u = data.get("usage")
    return completion(id=new_id(), model=model, message=message,
                      finish_reason=finish_reason(data.get("stopReason")),
                      usage=openai_usage(u) if isinstance(u, dict) else None)


@dataclass
class ConverseStream(ChunkStream):
    id: str = field(default_factory=new_id)
    #: Converse content-block index -> OpenAI tool-call index, for toolUse blocks only.
    tool_index: dict[int, int] = field(default_factory=dict)
    #: Converse content-block index -> `reasoning_details` index, for reasoning blocks.
    detail_index: dict[int, int] = field(default_factory=dict)


def _message_start(state: ConverseStream, data: dict[str, Any]) -> Chunks:
    return [state.chunk({"role": "assistant", "content": ""})]


def _block_start(state: ConverseStream, data: dict[str, Any]) -> Chunks:
    start = (data.get("start") or {}).get("toolUse")
    if not isinstance(start, dict):
        return []
    index = len(state.tool_index)
    state.tool_index[data.get("contentBlockIndex", -1)] = index
    call = {"index": index, "id": start.get("toolUseId") or new_tool_call_id(),
            "type": "function",
            "function": {"name": start.get("name", ""), "arguments": ""}}
    return [state.chunk({"tool_calls": [call]})]


def _block_delta(state: ConverseStream, data: dict[str, Any]) -> Chunks:
    delta = data.get("delta") or {}
    if delta.get("text"):
        return [state.chunk({"content": delta["text"]})]
    fragment = (delta.get("toolUse") or {}).get("input")
    index = state.tool_index.get(data.get("contentBlockIndex", -1))
    if fragment and index is not None:
        state.tool_arguments_sent(index, fragment)
        return [state.chunk({"tool_calls": [{"index": index,
                                             "function": {"arguments": fragment}}]})]
    reasoning = delta.get("reasoningContent")
    return _reasoning(state, data.get("contentBlockIndex", -1), reasoning) \
        if isinstance(reasoning, dict) else []


def _reasoning(state: ConverseStream, block: int, delta: dict[str, Any]) -> Chunks:
    """A reasoningContent delta: text, signature or redactedContent of one reasoning block,
    which opens a `reasoning_details` entry the first time its block is seen."""
    opened = block not in state.detail_index
    index = state.detail_index.setdefault(block, len(state.detail_index))
    if "redactedContent" in delta:
        return [state.chunk({"reasoning_details": [reasoning_detail(
            index, BEDROCK_FORMAT, data=str(delta["redactedContent"]))]})]
    entry: dict[str, Any] = (reasoning_detail(index, BEDROCK_FORMAT, text="") if opened
                             else {"index": index})
    out: dict[str, Any] = {}
    if delta.get("text"):
        entry["text"] = delta["text"]
        out["reasoning_content"] = delta["text"]
    if delta.get("signature"):
        entry["signature"] = delta["signature"]
    if len(entry) == 1 and not opened:
        return []
    return [state.chunk({**out, "reasoning_details": [entry]})]


def _block_stop(state: ConverseStream, data: dict[str, Any]) -> Chunks:
    return state.empty_arguments(state.tool_index.get(data.get("contentBlockIndex", -1)))


def _message_stop(state: ConverseStream, data: dict[str, Any]) -> Chunks:
    state.finish_reason = finish_reason(data.get("stopReason"))
    return [state.chunk({}, state.finish_reason)]


def _metadata(state: ConverseStream, data: dict[str, Any]) -> Chunks:
    if isinstance(data.get("usage"), dict):
        state.usage = openai_usage(data["usage"])
    return []


def _nothing(state: ConverseStream, data: dict[str, Any]) -> Chunks:
    return []


#: ConverseStream event type -> handler. Event types Bedrock adds later produce nothing.
HANDLERS: dict[str, Callable[[ConverseStream, dict[str, Any]], Chunks]] = {
    "messageStart": _message_start,
    "contentBlockStart": _block_start,
    "contentBlockDelta": _block_delta,
    "contentBlockStop": _block_stop,
    "messageStop": _message_stop,
    "metadata": _metadata,
}


def parse_stream_event(state: ConverseStream, event: StreamEvent) -> Chunks:
    kind = event.event or ""
    if kind in STREAM_EXCEPTIONS:
        status, error_type, retryable = STREAM_EXCEPTIONS[kind]
        message = event.data.get("message") or event.data.get("Message") or kind
        raise UpstreamStreamError(f"{kind}: {message}", status=status, error_type=error_type,
                                  retryable=retryable)
    return HANDLERS.get(kind, _nothing)(state, event.data)


def error_message(status: int, data: Any) -> str:
    """Bedrock errors are `{"message": ...}` (some services spell it `Message`)."""
    if isinstance(data, dict):
        for key in ("message", "Message"):
            if isinstance(data.get(key), str) and data[key]:
                return data[key]
    if isinstance(data, str) and data.strip():
        return data.strip()
    return f"aws-bedrock returned HTTP {status}"
