"""Gemini GenerateContentResponse -> OpenAI `chat.completion` and `chat.completion.chunk`.

`streamGenerateContent?alt=sse` sends a whole GenerateContentResponse per event holding only the
new parts, so one reading of a candidate serves both the full response and each stream event.

    candidate text parts        -> content (parts marked `thought` -> reasoning_content)
    functionCall parts          -> tool_calls; Gemini gives calls no id, so each gets a random
                                   one, `call_<uuid4 hex>` (the upstream's own `id` wins when
                                   present); its thoughtSignature rides along
                                   as extra_content.google.thought_signature
    finishReason                -> FINISH_REASONS; "tool_calls" whenever the candidate called
                                   a function and otherwise stopped normally
    promptFeedback.blockReason  -> one empty choice with finish_reason "content_filter"
    usageMetadata               -> usage: prompt = promptTokenCount (cached included, as Gemini
                                   counts it) + toolUsePromptTokenCount; completion =
                                   candidatesTokenCount + thoughtsTokenCount (Gemini bills
                                   thinking as output); cachedContentTokenCount ->
                                   cached_tokens; thoughtsTokenCount -> reasoning_tokens
    candidate index             -> choice index (n > 1 maps to candidateCount)

Stream: the first event for a candidate opens its choice with {"role": "assistant"}; each
function call arrives whole and is sent as one tool-call delta with the next index; the event
carrying finishReason closes the choice. An `{"error": ...}` event raises UpstreamStreamError.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aigw.errors import UpstreamStreamError
from aigw.providers import finish_reasons
from aigw.providers.compat_shapes import (
    ChunkStream,
    completion,
    new_completion_id,
    new_tool_call_id,
    usage,
)
from aigw.providers.spec import StreamEvent

Chunks = list[dict[str, Any]]

#: Gemini finishReason -> OpenAI finish_reason: every value of the `FinishReason` enum in the
#: Gemini API (generativelanguage v1beta) and Vertex AI (aiplatform v1) references. Reasons that
#: mean "the output was withheld" are content_filter — OTHER, IMAGE_OTHER and NO_IMAGE included:
#: a candidate that ended normally says STOP, so an undisclosed reason is not a normal end. Too
#: many tool calls cut the turn short ("length"). The rest ended the turn: "stop" ("tool_calls"
#: when the candidate called a function). Unknown values: `finish_reasons.by_rule`.
FINISH_REASONS: dict[str, str] = {
    "FINISH_REASON_UNSPECIFIED": "stop",
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "LANGUAGE": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "IMAGE_OTHER": "content_filter",
    "NO_IMAGE": "content_filter",
    "MODEL_ARMOR": "content_filter",
    "OTHER": "content_filter",
    "MALFORMED_FUNCTION_CALL": "stop",
    "UNEXPECTED_TOOL_CALL": "stop",
    "MISSING_THOUGHT_SIGNATURE": "stop",
    "MALFORMED_RESPONSE": "stop",
    "TOO_MANY_TOOL_CALLS": "length",
}

#: Google error `status` -> (OpenAI error type, whether a retry may succeed), for errors that
#: arrive inside a stream.
ERROR_TYPES: dict[str, tuple[str, bool]] = {
    "INVALID_ARGUMENT": ("invalid_request_error", False),
    "FAILED_PRECONDITION": ("invalid_request_error", False),
    "UNAUTHENTICATED": ("authentication_error", False),
    "PERMISSION_DENIED": ("permission_error", False),
    "NOT_FOUND": ("not_found_error", False),
    "RESOURCE_EXHAUSTED": ("rate_limit_error", True),
    "INTERNAL": ("api_error", True),
    "UNAVAILABLE": ("api_error", True),
    "DEADLINE_EXCEEDED": ("timeout", True),
}


def new_id(response_id: Any) -> str:
    return f"chatcmpl-{response_id}" if response_id else new_completion_id()


def tool_call(part: dict[str, Any], index: int) -> dict[str, Any]:
    """A functionCall part as an OpenAI tool call; Gemini's own `id` if it sent one, else a
    random one (`new_tool_call_id`): never derived from the content, which repeats."""
    call = part.get("functionCall") or {}
    name, args = call.get("name", ""), call.get("args") or {}
    arguments = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
    out: dict[str, Any] = {"id": call.get("id") or new_tool_call_id(), "type": "function",
                           "function": {"name": name, "arguments": arguments}}
    if part.get("thoughtSignature"):
        out["extra_content"] = {"google": {"thought_signature": part["thoughtSignature"]}}
    return out


def read_parts(parts: list[dict[str, Any]], first_index: int) -> tuple[str, str, list[dict]]:
    """(text, thought text, tool calls numbered from `first_index`)."""
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in parts:
        if "functionCall" in part:
            calls.append(tool_call(part, first_index + len(calls)))
        elif isinstance(part.get("text"), str):
            (thoughts if part.get("thought") else texts).append(part["text"])
    return "".join(texts), "".join(thoughts), calls


def finish_reason(reason: str | None, called: bool) -> str:
    return finish_reasons.finish_reason(FINISH_REASONS, reason, "gemini", called=called)


def openai_usage(meta: dict[str, Any]) -> dict[str, Any]:
    thoughts = meta.get("thoughtsTokenCount")
    prompt = (meta.get("promptTokenCount") or 0) + (meta.get("toolUsePromptTokenCount") or 0)
    return usage(prompt, (meta.get("candidatesTokenCount") or 0) + (thoughts or 0),
                 cached=meta.get("cachedContentTokenCount"), reasoning=thoughts)


def candidates(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The response's candidates; a blocked prompt reads as one filtered, empty candidate."""
    found = data.get("candidates") or []
    if not found and (data.get("promptFeedback") or {}).get("blockReason"):
        return [{"index": 0, "finishReason": "PROHIBITED_CONTENT"}]
    return found


def parse_response(data: dict[str, Any], model: str) -> dict[str, Any]:
    choices = []
    for position, cand in enumerate(candidates(data)):
        text, thought, calls = read_parts((cand.get("content") or {}).get("parts") or [], 0)
        message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        if thought:
            message["reasoning_content"] = thought
        choices.append({"index": cand.get("index", position), "message": message,
                        "logprobs": None,
                        "finish_reason": finish_reason(cand.get("finishReason"), bool(calls))})
    meta = data.get("usageMetadata")
    first: dict[str, Any] = choices[0] if choices else {
        "message": {"role": "assistant", "content": None}, "finish_reason": "stop"}
    out = completion(id=new_id(data.get("responseId")), model=model, message=first["message"],
                     finish_reason=first["finish_reason"],
                     usage=openai_usage(meta) if isinstance(meta, dict) else None)
    return {**out, "choices": choices or out["choices"]}


@dataclass
class GeminiStream(ChunkStream):
    #: Whether the stream's id is settled (by the first event's responseId, or random).
    named: bool = False
    #: Candidate index -> tool calls sent so far (the next call's index).
    calls: dict[int, int] = field(default_factory=dict)
    #: Candidates whose choice is open / closed.
    opened: set[int] = field(default_factory=set)
    closed_choices: set[int] = field(default_factory=set)


def _chunk(state: GeminiStream, index: int, delta: dict[str, Any],
           finish: str | None = None) -> dict[str, Any]:
    chunk = state.chunk(delta, finish)
    return {**chunk, "choices": [{**chunk["choices"][0], "index": index}]}


def _candidate_chunks(state: GeminiStream, position: int, cand: dict[str, Any]) -> Chunks:
    index = cand.get("index", position)
    out: Chunks = []
    if index not in state.opened:
        state.opened.add(index)
        out.append(_chunk(state, index, {"role": "assistant", "content": ""}))
    sent = state.calls.get(index, 0)
    text, thought, calls = read_parts((cand.get("content") or {}).get("parts") or [], sent)
    if thought:
        out.append(_chunk(state, index, {"reasoning_content": thought}))
    if text:
        out.append(_chunk(state, index, {"content": text}))
    if calls:
        state.calls[index] = sent + len(calls)
        out.append(_chunk(state, index, {"tool_calls": [
            {"index": sent + k, **call} for k, call in enumerate(calls)]}))
    if cand.get("finishReason") and index not in state.closed_choices:
        state.closed_choices.add(index)
        reason = finish_reason(cand["finishReason"], index in state.calls)
        out.append(_chunk(state, index, {}, reason))
        if state.closed_choices >= state.opened:
            state.finish_reason = reason
    return out


def parse_stream_event(state: GeminiStream, event: StreamEvent) -> Chunks:
    data = event.data
    error = data.get("error")
    if isinstance(error, dict):
        kind, retryable = ERROR_TYPES.get(str(error.get("status")), ("api_error", False))
        code = error.get("code")
        raise UpstreamStreamError(str(error.get("message") or "the Gemini stream failed"),
                                  status=code if isinstance(code, int) else 502,
                                  error_type=kind, retryable=retryable)
    if not state.named and data.get("responseId"):
        state.id = new_id(data["responseId"])
    state.named = True  # the first event decides: one id for every chunk of the stream
    if isinstance(data.get("usageMetadata"), dict):
        state.usage = openai_usage(data["usageMetadata"])
    out: Chunks = []
    for position, cand in enumerate(candidates(data)):
        out += _candidate_chunks(state, position, cand)
    return out


def error_message(provider: str, status: int, data: Any) -> str:
    """Google errors are `{"error": {"code", "message", "status"}}` (streams: in a list)."""
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    if isinstance(data, str) and data.strip():
        return data.strip()
    return f"{provider} returned HTTP {status}"
