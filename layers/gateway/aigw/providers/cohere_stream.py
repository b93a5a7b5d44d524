"""Cohere v2 chat stream events -> OpenAI `chat.completion.chunk` objects, one at a time.

    message-start     -> first chunk: {"role": "assistant", "content": ""}
    content-start     -> its text, if any (text or thinking)
    content-delta     -> delta.message.content.text: content; .thinking: reasoning_content
    tool-plan-delta   -> reasoning_content (the model's plan before it calls tools)
    tool-call-start   -> {"tool_calls": [{index, id, type, function{name, arguments}}]}
    tool-call-delta   -> {"tool_calls": [{index, function{arguments}}]}
    message-end       -> empty delta with finish_reason, then the usage chunk when
                         include_usage; an `error` or a failed finish_reason raises
                         UpstreamStreamError (see compat_shapes) instead
    tool-call-end     -> a call that got no argument text: arguments "{}"
    content-end, citation-*, debug, unknown events -> nothing

Tool-call indexes are counted here, one per tool-call-start, rather than trusted from Cohere's
`index`, so they start at 0 and stay stable whatever else the stream numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aigw.errors import UpstreamStreamError
from aigw.providers.cohere_response import FAILED, finish_reason, openai_usage
from aigw.providers.compat_shapes import Chunks, ChunkStream, dispatch, new_tool_call_id
from aigw.providers.spec import StreamEvent


@dataclass
class CohereStream(ChunkStream):
    #: Cohere's event `index` -> OpenAI tool-call index.
    tool_index: dict[int, int] = field(default_factory=dict)


def _message(data: dict[str, Any]) -> dict[str, Any]:
    return (data.get("delta") or {}).get("message") or {}


def _message_start(state: CohereStream, data: dict[str, Any]) -> Chunks:
    state.id = data.get("id") or state.id
    return [state.chunk({"role": "assistant", "content": ""})]


def _content(state: CohereStream, data: dict[str, Any]) -> Chunks:
    content = _message(data).get("content") or {}
    if content.get("text"):
        return [state.chunk({"content": content["text"]})]
    if content.get("thinking"):
        return [state.chunk({"reasoning_content": content["thinking"]})]
    return []


def _tool_plan(state: CohereStream, data: dict[str, Any]) -> Chunks:
    plan = _message(data).get("tool_plan")
    return [state.chunk({"reasoning_content": plan})] if plan else []


def _tool_call_start(state: CohereStream, data: dict[str, Any]) -> Chunks:
    call = _message(data).get("tool_calls") or {}
    index = len(state.tool_index)
    state.tool_index[data.get("index", index)] = index
    function = call.get("function") or {}
    state.tool_arguments_sent(index, function.get("arguments") or "")
    out = {"index": index, "id": call.get("id") or new_tool_call_id(), "type": "function",
           "function": {"name": function.get("name", ""),
                        "arguments": function.get("arguments") or ""}}
    return [state.chunk({"tool_calls": [out]})]


def _tool_call_delta(state: CohereStream, data: dict[str, Any]) -> Chunks:
    arguments = ((_message(data).get("tool_calls") or {}).get("function") or {}).get("arguments")
    index = state.tool_index.get(data.get("index", -1), len(state.tool_index) - 1)
    if not arguments or index < 0:
        return []
    state.tool_arguments_sent(index, arguments)
    return [state.chunk({"tool_calls": [{"index": index,
                                         "function": {"arguments": arguments}}]})]


def _tool_call_end(state: CohereStream, data: dict[str, Any]) -> Chunks:
    index = state.tool_index.get(data.get("index", -1), len(state.tool_index) - 1)
    return state.empty_arguments(index if index >= 0 else None)


def _message_end(state: CohereStream, data: dict[str, Any]) -> Chunks:
    delta = data.get("delta") or {}
    reason = delta.get("finish_reason")
    if delta.get("error") or reason in FAILED:
        raise UpstreamStreamError(str(delta.get("error") or f"cohere stopped generating: {reason}"))
    if isinstance(delta.get("usage"), dict):
        state.usage = openai_usage(delta["usage"])
    state.finish_reason = finish_reason(reason)
    return [state.chunk({}, state.finish_reason), *state.close()]


#: Cohere event type -> handler; the others (content-end, citation-*, debug) produce nothing.
HANDLERS: dict[str, Callable[[CohereStream, dict[str, Any]], Chunks]] = {
    "message-start": _message_start,
    "content-start": _content,
    "content-delta": _content,
    "tool-plan-delta": _tool_plan,
    "tool-call-start": _tool_call_start,
    "tool-call-delta": _tool_call_delta,
    "tool-call-end": _tool_call_end,
    "message-end": _message_end,
}


def new_stream_state(model: str, include_usage: bool) -> CohereStream:
    return CohereStream(model=model, include_usage=include_usage)


def parse_stream_event(state: CohereStream, event: StreamEvent) -> Chunks:
    return dispatch(HANDLERS, state, event)


def finish_stream(state: CohereStream) -> Chunks:
    return state.finish("cohere")
