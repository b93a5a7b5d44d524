"""OpenAI chat -> Amazon Bedrock Converse (`/model/{modelId}/converse`, `.../converse-stream`).

Responses and ConverseStream events are read in `bedrock_stream`.

Request mapping (where the formats differ, the choice made):

    system, developer      -> system: [{text}] (every such message, in order)
    user                   -> role "user"; text and image blocks
    assistant              -> role "assistant"; text + one toolUse {toolUseId, name, input} per
                              tool call (the OpenAI id is the toolUseId, so pairing survives;
                              outside `[a-zA-Z0-9_-]{1,64}` or repeated: `ToolIds`)
    blank text             -> left out (empty or whitespace-only text blocks are refused)
    tool                   -> a toolResult {toolUseId, content} block in a "user" turn; a JSON
                              object result is sent as {json}, anything else as {text}; all
                              results of one assistant turn share one turn, in call order.
                              `status` is never sent: OpenAI tool messages carry no error flag
    consecutive same role  -> merged (Converse requires user/assistant alternation)
    image data URL         -> image {format, source: {bytes: base64}} (png, jpeg, gif, webp)
    image http(s) URL      -> 400: Converse takes images inline or from S3 only
    max_(completion_)tokens, temperature, top_p, stop -> inferenceConfig
    tools                  -> toolConfig.tools[].toolSpec {name, description,
                              inputSchema.json, strict}; tool_choice -> TOOL_CHOICES
    tool_choice "none"     -> no toolConfig; 400 if the history holds tool calls (Converse then
                              requires toolConfig and has no way to forbid calls)
    response_format        -> json_schema: outputConfig.textFormat (Bedrock structured
                              output, the schema as a JSON string); json_object: 400 — Converse
                              has no schema-less JSON mode
    reasoning_effort       -> outputConfig.effort (EFFORTS); "none" sends nothing; a tool
                              loop whose last assistant turn lost its reasoning is sent
                              without it (`loop_keeps_reasoning`)
    reasoning_details      -> reasoningContent blocks first in their assistant turn
                              (reasoningText with signature, or redactedContent)
    n > 1, logprobs, presence/frequency penalties -> 400 (Converse cannot express them)
    seed, user, parallel_tool_calls -> dropped (no Converse equivalent; seed is best-effort
                              even at OpenAI)

The model id goes into the path percent-encoded (`:` -> `%3A`, an ARN's `/` -> `%2F`), as
Bedrock's REST binding requires; SigV4 signs that path once more encoded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from aigw.errors import InvalidRequest
from aigw.providers import bedrock_stream
from aigw.providers.compat_shapes import (
    BEDROCK_FORMAT,
    data_url,
    max_tokens,
    reject_unsupported_choices,
    replayed_details,
    stop_sequences,
    text_only,
)
from aigw.providers.openai_request import (
    Message,
    ToolIds,
    blank,
    call_arguments,
    call_name,
    function_tools,
    image_url,
    tool_choice,
    tool_result,
    turns_of,
    user_content,
)
from aigw.providers.spec import StreamEvent, UpstreamCall

#: Image media type -> Converse ImageBlock.format.
IMAGE_FORMATS: dict[str, str] = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg",
                                 "image/gif": "gif", "image/webp": "webp"}

#: OpenAI tool_choice -> Converse toolChoice ("function" becomes {"tool": {"name": ...}}).
TOOL_CHOICES: dict[str, dict[str, Any]] = {"auto": {"auto": {}}, "required": {"any": {}}}

#: reasoning_effort -> outputConfig.effort (Bedrock: low, medium, high, xhigh, max).
EFFORTS: dict[str, str | None] = {"none": None, "minimal": "low", "low": "low",
                                  "medium": "medium", "high": "high", "xhigh": "xhigh"}

#: OpenAI parameters Converse has no counterpart for; a non-zero value is refused.
UNSUPPORTED_PENALTIES = ("presence_penalty", "frequency_penalty")


def user_block(part: dict[str, Any], where: str) -> dict[str, Any] | None:
    kind = part.get("type")
    if kind == "text":
        return None if blank(part.get("text")) else {"text": part["text"]}
    if kind != "image_url":
        raise InvalidRequest(f"{where}: content part type '{kind}' is not supported for "
                             "Bedrock Converse", param=where)
    inline = data_url(image_url(part))
    if inline is None:
        raise InvalidRequest(f"{where}: Bedrock Converse takes images inline (or from S3), it "
                             "cannot fetch URLs; send the image as a base64 data URL",
                             param=f"{where}.image_url")
    fmt = IMAGE_FORMATS.get(inline[0].lower())
    if fmt is None:
        raise InvalidRequest(f"{where}: image type '{inline[0]}' is not supported by Bedrock "
                             "Converse (png, jpeg, gif, webp)", param=f"{where}.image_url")
    return {"image": {"format": fmt, "source": {"bytes": inline[1]}}}


def reasoning_blocks(message: Message) -> list[dict[str, Any]]:
    """reasoningContent blocks rebuilt from the `reasoning_details` a client sent back (Bedrock
    format only: signatures are the API's own); unsigned text is left out."""
    blocks: list[dict[str, Any]] = []
    for d in replayed_details(message, BEDROCK_FORMAT):
        if d["type"] == "reasoning.encrypted" and d.get("data"):
            blocks.append({"reasoningContent": {"redactedContent": str(d["data"])}})
        elif d["type"] == "reasoning.text" and d.get("signature"):
            blocks.append({"reasoningContent": {"reasoningText": {
                "text": str(d.get("text") or ""), "signature": str(d["signature"])}}})
    return blocks


def assistant_blocks(message: Message, where: str, ids: ToolIds) -> list[dict[str, Any]]:
    content = message.get("content")
    text = text_only(content, where) if content else ""
    blocks = reasoning_blocks(message)  # first, as the model produced them
    blocks += [] if blank(text) else [{"text": text}]
    for j, call in enumerate(message.get("tool_calls") or []):
        blocks.append({"toolUse": {"toolUseId": ids.call(call.get("id")),
                                   "name": (call.get("function") or {}).get("name", ""),
                                   "input": call_arguments(call, f"{where}.tool_calls[{j}]")}})
    return blocks


def result_block(message: Message, where: str, calls: dict[str, tuple[str, int]],
                 ids: ToolIds) -> dict[str, Any]:
    call_name(message, where, calls)
    value, text = tool_result(message, where)
    content = [{"json": value}] if isinstance(value, dict) else [{"text": text}]
    return {"toolResult": {"toolUseId": ids.result(message.get("tool_call_id")),
                           "content": content}}


def conversation(messages: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages). Blank text blocks are left out (Converse refuses them), and
    tool ids follow `ToolIds` (Converse: `[a-zA-Z0-9_-]{1,64}`)."""
    ids = ToolIds(limit=64)
    return turns_of(messages, "content", "assistant", {
        "user": lambda m, where, calls: user_content(m, where, user_block),
        "assistant": lambda m, where, calls: assistant_blocks(m, where, ids),
        "tool": lambda m, where, calls: [result_block(m, where, calls, ids)]})


# ----------------------------------------------------------------- settings

def tool_config(body: dict[str, Any], history_names: list[str]) -> dict[str, Any] | None:
    """`toolConfig` from `tools`. Converse requires one whenever the history holds toolUse or
    toolResult blocks; a client that sends such a history without `tools` (a final answer after
    a tool loop) gets the tools its history names, declared with an open object schema."""
    functions = function_tools(body)
    mode, name = tool_choice(body)
    if mode == "none" or not functions:
        if history_names and mode == "none":
            raise InvalidRequest("tool_choice 'none' cannot be expressed for Bedrock Converse "
                                 "once the conversation holds tool calls; send tools with "
                                 "tool_choice 'auto'", param="tool_choice")
        if history_names:
            return {"tools": [{"toolSpec": {"name": n, "inputSchema": {"json": {
                "type": "object"}}}} for n in history_names]}
        return None
    specs = []
    for fn in functions:
        spec: dict[str, Any] = {"name": fn["name"]}
        if fn.get("description"):
            spec["description"] = fn["description"]
        spec["inputSchema"] = {"json": fn.get("parameters") or {"type": "object",
                                                                "properties": {}}}
        if fn.get("strict"):
            spec["strict"] = True
        specs.append({"toolSpec": spec})
    config: dict[str, Any] = {"tools": specs}
    if mode == "function":
        config["toolChoice"] = {"tool": {"name": name}}
    elif body.get("tool_choice") is not None:
        config["toolChoice"] = TOOL_CHOICES[mode]
    return config


def output_config(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else fmt
    if kind == "json_object":
        raise InvalidRequest("Bedrock Converse has no schema-less JSON mode; use response_format "
                             "json_schema", param="response_format")
    if kind == "json_schema" and isinstance(fmt, dict):
        spec = fmt.get("json_schema") or {}
        if not isinstance(spec.get("schema"), dict):
            raise InvalidRequest("response_format.json_schema.schema must be an object",
                                 param="response_format")
        definition = {"schema": json.dumps(spec["schema"], separators=(",", ":")),
                      **{k: spec[k] for k in ("name", "description") if spec.get(k)}}
        out["textFormat"] = {"type": "json_schema", "structure": {"jsonSchema": definition}}
    elif kind not in (None, "text"):
        raise InvalidRequest(f"response_format type '{kind}' is not supported",
                             param="response_format")
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in EFFORTS:
        raise InvalidRequest(f"unknown reasoning_effort '{effort}'; expected one of "
                             f"{', '.join(EFFORTS)}", param="reasoning_effort")
    if effort is not None and EFFORTS[effort]:
        out["effort"] = EFFORTS[effort]
    return out


def request_body(body: dict[str, Any]) -> dict[str, Any]:
    reject_unsupported_choices(body, "Bedrock Converse")
    for name in UNSUPPORTED_PENALTIES:
        if body.get(name):
            raise InvalidRequest(f"Bedrock Converse has no {name}", param=name)
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise InvalidRequest("messages must be a list", param="messages")
    system, turns = conversation(messages)
    out: dict[str, Any] = {"messages": turns}
    if system:
        out["system"] = system
    inference = {"maxTokens": max_tokens(body), "temperature": body.get("temperature"),
                 "topP": body.get("top_p"), "stopSequences": stop_sequences(body)}
    inference = {k: v for k, v in inference.items() if v is not None}
    if inference:
        out["inferenceConfig"] = inference
    names = list(dict.fromkeys(b["toolUse"]["name"] for t in turns for b in t["content"]
                               if "toolUse" in b))
    if not names and any("toolResult" in b for t in turns for b in t["content"]):
        names = ["tool"]  # results whose calls are not in the history still need a toolConfig
    tools = tool_config(body, names)
    if tools:
        out["toolConfig"] = tools
    output = output_config(body)
    if output.get("effort") and not loop_keeps_reasoning(turns):
        del output["effort"]  # the client dropped the turn's reasoning: see loop_keeps_reasoning
    if output:
        out["outputConfig"] = output
    return out


def loop_keeps_reasoning(turns: list[dict[str, Any]]) -> bool:
    """In a tool loop (the last user turn holds toolResults for the assistant turn before it)
    a reasoning model requires that assistant turn to open with its reasoningContent. History
    without it is sent with reasoning off for that request, which Bedrock accepts."""
    if len(turns) < 2 or turns[-2]["role"] != "assistant":
        return True
    if not any("toolResult" in b for b in turns[-1]["content"]):
        return True
    blocks = turns[-2]["content"]
    return not any("toolUse" in b for b in blocks) or "reasoningContent" in blocks[0]


# ----------------------------------------------------------------- the translation

def model_path(model: str) -> str:
    if not model or len(model) > 2048:
        raise InvalidRequest("an aws-bedrock model id is required", param="model")
    return "/model/" + quote(model, safe="")


@dataclass(frozen=True)
class BedrockConverse:
    """ChatTranslation for Bedrock's Converse API (every chat model Bedrock serves)."""

    stream_framing: Literal["sse", "aws-eventstream"] = "aws-eventstream"

    def build_request(self, body: dict[str, Any], model: str) -> UpstreamCall:
        stream = bool(body.get("stream"))
        action = "/converse-stream" if stream else "/converse"
        return UpstreamCall(path=model_path(model) + action, body=request_body(body),
                            stream=stream)

    def parse_response(self, data: dict[str, Any], model: str) -> dict[str, Any]:
        return bedrock_stream.parse_response(data, model)

    def new_stream_state(self, model: str, include_usage: bool) -> bedrock_stream.ConverseStream:
        return bedrock_stream.ConverseStream(model=model, include_usage=include_usage)

    def parse_stream_event(self, state: bedrock_stream.ConverseStream,
                           event: StreamEvent) -> list[dict[str, Any]]:
        return bedrock_stream.parse_stream_event(state, event)

    def finish_stream(self, state: bedrock_stream.ConverseStream) -> list[dict[str, Any]]:
        return state.finish("aws-bedrock")

    def error_message(self, status: int, data: Any) -> str:
        return bedrock_stream.error_message(status, data)


BEDROCK_CONVERSE = BedrockConverse()
