"""The OpenAI Responses API (`POST /responses`) for the OpenAI fake: a realistic response object
answering with text or one function call, and its typed SSE event stream when `stream` is set.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from tests.fakes.upstreams.common import (
    ToolSpec,
    count_tokens,
    decide,
    fixture,
    json_pieces,
    new_id,
    sse,
    sse_response,
    text_of,
    text_pieces,
)


def responses_reply(body: dict[str, Any]) -> Response:
    """A Responses API object (or its event stream) answering `body`."""
    raw = body["input"]
    items = [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw)
    last = items[-1] if items else {}
    prompt = next((text_of(i.get("content")) for i in reversed(items) if i.get("role") == "user"),
                  "")
    tools = [ToolSpec(t["name"], t.get("parameters") or {}) for t in body.get("tools") or []
             if t.get("type") == "function" and t.get("name")]
    answering = last.get("type") == "function_call_output"
    choice = body.get("tool_choice")
    reply = decide(prompt, [] if answering else tools,
                   choice.get("name") if isinstance(choice, dict) else choice,
                   str(last.get("output")) if answering else None, body.get("max_output_tokens"))
    out = fixture("openai", "response")
    out.update(id=new_id("resp_", 48), created_at=int(time.time()), model=body["model"],
               instructions=body.get("instructions"), tools=body.get("tools") or [],
               max_output_tokens=body.get("max_output_tokens"),
               previous_response_id=body.get("previous_response_id"))
    if reply.tool_name:
        out["output"] = [{"type": "function_call", "id": new_id("fc_", 48),
                          "call_id": new_id("call_"), "name": reply.tool_name,
                          "arguments": json.dumps(reply.tool_input), "status": "completed"}]
    else:
        out["output"][0]["id"] = new_id("msg_", 48)
        out["output"][0]["content"][0]["text"] = reply.text
    if reply.truncated:
        out.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
        out["output"][0]["status"] = "incomplete"
    used = count_tokens(reply.text) + count_tokens(reply.tool_input or {})
    out["usage"].update(input_tokens=count_tokens(items), output_tokens=used,
                        total_tokens=count_tokens(items) + used)
    if body.get("stream"):
        return sse_response(_response_events(out))
    return JSONResponse(out, headers={"x-request-id": new_id("req_", 32)})


def _response_events(done: dict[str, Any]) -> list[bytes]:
    seq = itertools.count()

    def event(kind: str, **fields: Any) -> bytes:
        return sse({"type": kind, "sequence_number": next(seq), **fields}, event=kind)

    started = dict(done, status="in_progress", output=[], usage=None)
    frames = [event("response.created", response=started),
              event("response.in_progress", response=started)]
    for index, item in enumerate(done["output"]):
        at = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            part = item["content"][0]
            frames += [event("response.output_item.added", output_index=index,
                             item=dict(item, status="in_progress", content=[])),
                       event("response.content_part.added", **at, content_index=0,
                             part=dict(part, text=""))]
            frames += [event("response.output_text.delta", **at, content_index=0, delta=piece,
                             logprobs=[]) for piece in text_pieces(part["text"])]
            frames += [event("response.output_text.done", **at, content_index=0,
                             text=part["text"], logprobs=[]),
                       event("response.content_part.done", **at, content_index=0, part=part)]
        else:
            frames.append(event("response.output_item.added", output_index=index,
                                item=dict(item, status="in_progress", arguments="")))
            frames += [event("response.function_call_arguments.delta", **at, delta=piece)
                       for piece in json_pieces(json.loads(item["arguments"]))]
            frames.append(event("response.function_call_arguments.done", **at,
                                name=item["name"], arguments=item["arguments"]))
        frames.append(event("response.output_item.done", output_index=index, item=item))
    final = "response.completed" if done["status"] == "completed" else "response.incomplete"
    return frames + [event(final, response=done)]
