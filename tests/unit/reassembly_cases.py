"""Upstream answers in both shapes, for the stream-reassembly property (issue 9, kind 1).

For each translated provider this module knows, in the provider's own terms and independently
of aigw's translation:

- `render(answer, cuts)`: the provider's stream events for an abstract `Answer`, each text,
  thought and arguments string cut into fragments where `cuts` says (empty fragments included:
  Anthropic sends `partial_json: ""` for a tool without parameters);
- `fold(events)`: the provider's non-stream answer that a stream of events stands for (the way
  the provider's own SDK accumulates a stream).

The property then says: the translated stream, accumulated the way the openai SDK does, equals
the translated non-stream answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Events = list[dict[str, Any]]  # {"event": name or None, "data": {...}}


@dataclass
class Block:
    """One piece of an answer: kind "text", "thinking" (with `signature`), "redacted"
    (opaque `data`) or "tool" (`id`, `name`, `args`)."""

    kind: str
    text: str = ""
    signature: str = ""
    data: str = ""
    id: str = ""
    name: str = ""
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Answer:
    blocks: list[Block]
    reason: str
    prompt_tokens: int = 3
    output_tokens: int = 5


Cuts = Callable[[str], list[str]]


def _ev(name: str | None, data: dict[str, Any]) -> dict[str, Any]:
    return {"event": name, "data": data}


# ---------------------------------------------------------------- Anthropic Messages


def anthropic_render(answer: Answer, cut: Cuts) -> Events:
    out = [_ev("message_start", {"type": "message_start", "message": {
        "id": "msg_prop", "type": "message", "role": "assistant", "content": [],
        "usage": {"input_tokens": answer.prompt_tokens, "output_tokens": 1}}})]
    for i, b in enumerate(answer.blocks):
        if b.kind == "text":
            start, deltas = {"type": "text", "text": ""}, [
                {"type": "text_delta", "text": p} for p in cut(b.text)]
        elif b.kind == "thinking":
            start, deltas = {"type": "thinking", "thinking": "", "signature": ""}, [
                *({"type": "thinking_delta", "thinking": p} for p in cut(b.text)),
                {"type": "signature_delta", "signature": b.signature}]
        elif b.kind == "redacted":
            start, deltas = {"type": "redacted_thinking", "data": b.data}, []
        else:
            start = {"type": "tool_use", "id": b.id, "name": b.name, "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": p}
                      for p in ["", *cut(json.dumps(b.args) if b.args else "")]]
        out.append(_ev("content_block_start", {"type": "content_block_start", "index": i,
                                               "content_block": start}))
        out += [_ev("content_block_delta", {"type": "content_block_delta", "index": i,
                                            "delta": d}) for d in deltas]
        out.append(_ev("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(_ev("message_delta", {"type": "message_delta", "delta": {
        "stop_reason": answer.reason, "stop_sequence": None},
        "usage": {"output_tokens": answer.output_tokens}}))
    return out + [_ev("message_stop", {"type": "message_stop"})]


def anthropic_fold(events: Events) -> dict[str, Any]:
    message: dict[str, Any] = {}
    json_parts: dict[int, str] = {}
    for e in events:
        d = e["data"]
        kind = d.get("type")
        if kind == "message_start":
            message = {**d["message"], "content": []}
        elif kind == "content_block_start":
            message["content"].append(dict(d["content_block"]))
        elif kind == "content_block_delta":
            block, delta = message["content"][d["index"]], d["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "input_json_delta":
                json_parts[d["index"]] = json_parts.get(d["index"], "") + delta["partial_json"]
        elif kind == "content_block_stop" and d["index"] in json_parts:
            raw = json_parts[d["index"]]
            message["content"][d["index"]]["input"] = json.loads(raw) if raw.strip() else {}
        elif kind == "message_delta":
            message["stop_reason"] = d["delta"]["stop_reason"]
            message["usage"] = {**message["usage"], **d["usage"]}
    return message


# ---------------------------------------------------------------- Bedrock Converse


def bedrock_render(answer: Answer, cut: Cuts) -> Events:
    out = [_ev("messageStart", {"role": "assistant"})]
    for i, b in enumerate(answer.blocks):
        if b.kind == "text":
            deltas = [{"text": p} for p in cut(b.text)]
        elif b.kind == "thinking":
            deltas = [*({"reasoningContent": {"text": p}} for p in cut(b.text)),
                      {"reasoningContent": {"signature": b.signature}}]
        elif b.kind == "redacted":
            deltas = [{"reasoningContent": {"redactedContent": b.data}}]
        else:
            out.append(_ev("contentBlockStart", {"contentBlockIndex": i, "start": {
                "toolUse": {"toolUseId": b.id, "name": b.name}}}))
            deltas = [{"toolUse": {"input": p}}
                      for p in cut(json.dumps(b.args) if b.args else "")]
        out += [_ev("contentBlockDelta", {"contentBlockIndex": i, "delta": d}) for d in deltas]
        out.append(_ev("contentBlockStop", {"contentBlockIndex": i}))
    out.append(_ev("messageStop", {"stopReason": answer.reason}))
    return out + [_ev("metadata", {"usage": {
        "inputTokens": answer.prompt_tokens, "outputTokens": answer.output_tokens,
        "totalTokens": answer.prompt_tokens + answer.output_tokens}})]


def bedrock_fold(events: Events) -> dict[str, Any]:
    blocks: dict[int, dict[str, Any]] = {}
    inputs: dict[int, str] = {}
    out: dict[str, Any] = {}
    for e in events:
        d, name = e["data"], e["event"]
        if name == "contentBlockStart":
            use = d["start"]["toolUse"]
            blocks[d["contentBlockIndex"]] = {"toolUse": {**use, "input": {}}}
            inputs[d["contentBlockIndex"]] = ""
        elif name == "contentBlockDelta":
            i, delta = d["contentBlockIndex"], d["delta"]
            if "text" in delta:
                blocks.setdefault(i, {"text": ""})["text"] += delta["text"]
            elif "toolUse" in delta:
                inputs[i] += delta["toolUse"]["input"]
            elif "reasoningContent" in delta:
                r = delta["reasoningContent"]
                if "redactedContent" in r:
                    blocks[i] = {"reasoningContent": {"redactedContent": r["redactedContent"]}}
                    continue
                text = blocks.setdefault(i, {"reasoningContent": {"reasoningText": {
                    "text": ""}}})["reasoningContent"]["reasoningText"]
                if "text" in r:
                    text["text"] += r["text"]
                if "signature" in r:
                    text["signature"] = r["signature"]
        elif name == "contentBlockStop" and d["contentBlockIndex"] in inputs:
            raw = inputs[d["contentBlockIndex"]]
            blocks[d["contentBlockIndex"]]["toolUse"]["input"] = json.loads(raw) if raw else {}
        elif name == "messageStop":
            out["stopReason"] = d["stopReason"]
        elif name == "metadata":
            out["usage"] = d["usage"]
    out["output"] = {"message": {"role": "assistant",
                                 "content": [blocks[i] for i in sorted(blocks)]}}
    return out


# ---------------------------------------------------------------- Cohere v2 chat


def cohere_render(answer: Answer, cut: Cuts) -> Events:
    def msg(kind: str, message: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return _ev(kind, {"type": kind, **extra, "delta": {"message": message}})

    out = [_ev("message-start", {"type": "message-start", "id": "co_prop", "delta": {
        "message": {"role": "assistant"}}})]
    content = [b for b in answer.blocks if b.kind in ("text", "thinking")]
    calls = [b for b in answer.blocks if b.kind == "tool"]
    plan = [b for b in answer.blocks if b.kind == "plan"]
    for i, b in enumerate(content):
        key = "text" if b.kind == "text" else "thinking"
        out.append(msg("content-start", {"content": {"type": key, key: ""}}, index=i))
        out += [msg("content-delta", {"content": {key: p}}, index=i) for p in cut(b.text)]
        out.append(_ev("content-end", {"type": "content-end", "index": i}))
    for b in plan:
        out += [msg("tool-plan-delta", {"tool_plan": p}) for p in cut(b.text)]
    for i, b in enumerate(calls):
        pieces = cut(json.dumps(b.args) if b.args else "")
        out.append(msg("tool-call-start", {"tool_calls": {
            "id": b.id, "type": "function", "function": {"name": b.name, "arguments": ""}}},
            index=i))
        out += [msg("tool-call-delta", {"tool_calls": {"function": {"arguments": p}}}, index=i)
                for p in pieces]
        out.append(_ev("tool-call-end", {"type": "tool-call-end", "index": i}))
    return out + [_ev("message-end", {"type": "message-end", "delta": {
        "finish_reason": answer.reason, "usage": {"billed_units": {
            "input_tokens": answer.prompt_tokens, "output_tokens": answer.output_tokens}}}})]


def cohere_fold(events: Events) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": []}
    out: dict[str, Any] = {"message": message}
    for e in events:
        d = e["data"]
        m = (d.get("delta") or {}).get("message") or {}
        kind = d["type"]
        if kind == "message-start":
            out["id"] = d["id"]
        elif kind == "content-start":
            message["content"].append(dict(m["content"]))
        elif kind == "content-delta":
            item = message["content"][d["index"]]
            key = "text" if "text" in m["content"] else "thinking"
            item[key] += m["content"][key]
        elif kind == "tool-plan-delta":
            message["tool_plan"] = message.get("tool_plan", "") + m["tool_plan"]
        elif kind == "tool-call-start":
            call = json.loads(json.dumps(m["tool_calls"]))
            message.setdefault("tool_calls", []).append(call)
        elif kind == "tool-call-delta":
            message["tool_calls"][d["index"]]["function"]["arguments"] += \
                m["tool_calls"]["function"]["arguments"]
        elif kind == "message-end":
            out["finish_reason"] = d["delta"]["finish_reason"]
            out["usage"] = d["delta"]["usage"]
    for call in message.get("tool_calls") or []:
        call["function"]["arguments"] = call["function"]["arguments"] or "{}"
    return out


# ---------------------------------------------------------------- Gemini generateContent


def gemini_render(answer: Answer, cut: Cuts) -> Events:
    """Gemini streams whole GenerateContentResponses: text cut into parts across events,
    function calls whole; the last event carries finishReason and usage."""
    parts: list[dict[str, Any]] = []
    for b in answer.blocks:
        if b.kind == "text":
            parts += [{"text": p} for p in cut(b.text) if p]
        elif b.kind == "thinking":
            parts += [{"text": p, "thought": True} for p in cut(b.text) if p]
        elif b.kind == "tool":
            call: dict[str, Any] = {"functionCall": {"name": b.name, "args": b.args}}
            if b.signature:
                call["thoughtSignature"] = b.signature
            parts.append(call)
    events = [_ev(None, {"responseId": "gem_prop", "candidates": [{"index": 0, "content": {
        "role": "model", "parts": [p]}}]}) for p in parts] or [
        _ev(None, {"responseId": "gem_prop", "candidates": [{"index": 0, "content": {
            "role": "model", "parts": []}}]})]
    last = events[-1]["data"]
    last["candidates"][0]["finishReason"] = answer.reason
    last["usageMetadata"] = {"promptTokenCount": answer.prompt_tokens,
                             "candidatesTokenCount": answer.output_tokens,
                             "totalTokenCount": answer.prompt_tokens + answer.output_tokens}
    return events


def gemini_fold(events: Events) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    reason = None
    for e in events:
        d = e["data"]
        out["responseId"] = d.get("responseId", out.get("responseId"))
        for cand in d.get("candidates") or []:
            parts += (cand.get("content") or {}).get("parts") or []
            reason = cand.get("finishReason", reason)
        if "usageMetadata" in d:
            out["usageMetadata"] = d["usageMetadata"]
    candidate: dict[str, Any] = {"index": 0, "content": {"role": "model", "parts": parts}}
    if reason:
        candidate["finishReason"] = reason
    out["candidates"] = [candidate]
    return out


@dataclass(frozen=True)
class Provider:
    render: Callable[[Answer, Cuts], Events]
    fold: Callable[[Events], dict[str, Any]]
    #: Documented finish reasons an answer may end with.
    reasons: tuple[str, ...]
    #: Block kinds the provider's answers can hold.
    kinds: tuple[str, ...]


PROVIDERS: dict[str, Provider] = {
    "anthropic": Provider(anthropic_render, anthropic_fold,
                          ("end_turn", "max_tokens", "stop_sequence", "tool_use", "refusal",
                           "pause_turn", "model_context_window_exceeded"),
                          ("text", "thinking", "redacted", "tool")),
    "aws-bedrock": Provider(bedrock_render, bedrock_fold,
                            ("end_turn", "tool_use", "max_tokens", "stop_sequence",
                             "guardrail_intervened", "content_filtered"),
                            ("text", "thinking", "redacted", "tool")),
    "cohere": Provider(cohere_render, cohere_fold,
                       ("COMPLETE", "STOP_SEQUENCE", "MAX_TOKENS", "TOOL_CALL"),
                       ("text", "thinking", "plan", "tool")),
    "google-ai-studio": Provider(gemini_render, gemini_fold,
                                 ("STOP", "MAX_TOKENS", "SAFETY", "OTHER", "IMAGE_SAFETY"),
                                 ("text", "thinking", "tool")),
    "google-vertex-ai": Provider(gemini_render, gemini_fold, ("STOP", "MAX_TOKENS", "SAFETY"),
                                 ("text", "thinking", "tool")),
}
