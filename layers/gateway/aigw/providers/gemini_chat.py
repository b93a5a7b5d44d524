"""OpenAI chat -> Gemini `generateContent`, for Google AI Studio and Vertex AI alike.

The two surfaces speak the same GenerateContent wire format and differ only in the URL, so one
translation, parameterised by its model path, gives both objects (`GOOGLE_AI_STUDIO_CHAT`,
`VERTEX_CHAT`). Responses and streams are read in `gemini_stream`.

Request mapping (where the formats differ, the choice made):

    system, developer      -> systemInstruction.parts (every such message, in order, wherever
                              it stands in the history)
    user                   -> role "user"; text, image_url, input_audio, file parts
    assistant              -> role "model"; text + one functionCall part per tool call
    tool                   -> a functionResponse part in a "user" turn; the function name is
                              looked up from the matching tool call id; all results answering
                              one assistant turn share one user turn, in the order of the calls
    consecutive same role  -> merged into one turn (Gemini pairs calls and results by turn)
    image data URL         -> inlineData {mimeType, data}
    image http(s)/gs URL   -> fileData {mimeType guessed from the extension, fileUri}
    tools                  -> tools[0].functionDeclarations, parameters cleaned (see
                              `clean_schema`); tool_choice -> toolConfig (TOOL_MODES)
    response_format        -> json_object: responseMimeType application/json;
                              json_schema: + responseSchema (cleaned, property order kept)
    reasoning_effort       -> thinkingConfig (THINKING_BUDGETS / THINKING_LEVELS)
    n                      -> candidateCount
    user, parallel_tool_calls, stream_options -> nothing to map; dropped

Gemini 3 models reject a replayed functionCall without the `thoughtSignature` they produced.
Responses carry it on the tool call as `extra_content.google.thought_signature` (the field
Google's own OpenAI-compatible endpoint uses); when a client sends it back it is restored, and
when it is missing the documented `skip_thought_signature_validator` value stands in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from aigw.errors import InvalidRequest
from aigw.providers import gemini_stream
from aigw.providers.compat_shapes import data_url, max_tokens, stop_sequences, text_only
from aigw.providers.openai_request import (
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

#: OpenAI tool_choice -> Gemini functionCallingConfig.mode ("function" adds
#: allowedFunctionNames with that one name).
TOOL_MODES: dict[str, str] = {"auto": "AUTO", "none": "NONE", "required": "ANY",
                              "function": "ANY"}

#: reasoning_effort -> thinkingBudget for Gemini 2.x (the budgets Google's OpenAI-compatible
#: endpoint documents; "none" turns thinking off where the model allows it), and ->
#: thinkingLevel for Gemini 3+, where levels replace budgets and thinking cannot be turned off.
THINKING_BUDGETS: dict[str, int] = {"none": 0, "minimal": 1024, "low": 1024, "medium": 8192,
                                    "high": 24576, "xhigh": 24576}
THINKING_LEVELS: dict[str, str] = {"none": "MINIMAL", "minimal": "MINIMAL", "low": "LOW",
                                   "medium": "MEDIUM", "high": "HIGH", "xhigh": "HIGH"}

#: OpenAI sampling parameters Gemini's generationConfig takes under another name.
GENERATION_PARAMS: dict[str, str] = {"temperature": "temperature", "top_p": "topP",
                                     "seed": "seed", "presence_penalty": "presencePenalty",
                                     "frequency_penalty": "frequencyPenalty"}

#: File extension -> MIME type for URLs handed to Gemini as fileData (it needs one).
URL_MIME_TYPES: dict[str, str] = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                                  "gif": "image/gif", "webp": "image/webp", "heic": "image/heic",
                                  "heif": "image/heif", "pdf": "application/pdf"}

#: input_audio.format -> MIME type.
AUDIO_MIME_TYPES: dict[str, str] = {"wav": "audio/wav", "mp3": "audio/mp3"}

#: Documented stand-in for a thought signature the client did not keep.
SKIP_SIGNATURE = "skip_thought_signature_validator"

_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_GENERATION = re.compile(r"gemini-(\d+)")


# ----------------------------------------------------------------- JSON Schema -> Gemini Schema

#: Keys of Gemini's `Schema` (a subset of OpenAPI 3.0). Everything else JSON Schema allows —
#: `additionalProperties`, `$schema`, `$defs`, `strict`, `examples`, ... — is rejected by
#: Gemini, so it is dropped; `$ref`, `const`, `oneOf`, `allOf` and type lists are rewritten.
SCHEMA_KEYS = frozenset({"type", "format", "title", "description", "nullable", "enum", "items",
                         "maxItems", "minItems", "properties", "required", "minProperties",
                         "maxProperties", "minLength", "maxLength", "pattern", "example",
                         "anyOf", "propertyOrdering", "default", "minimum", "maximum"})

#: `format` values Gemini accepts; JSON Schema's others (email, uri, uuid, ...) are dropped.
SCHEMA_FORMATS = frozenset({"enum", "date-time", "int32", "int64", "float", "double"})


def clean_schema(schema: dict[str, Any], where: str, *, keep_order: bool = False) -> dict[str, Any]:
    """A JSON Schema as Gemini's Schema. `keep_order` adds `propertyOrdering` (structured
    output otherwise comes back with its properties in alphabetical order)."""
    defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}
    return _clean(schema, defs, where, keep_order, ())


def _clean(node: Any, defs: dict[str, Any], where: str, keep_order: bool,
           seen: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise InvalidRequest(f"{where} must be a JSON schema object", param=where)
    ref = node.get("$ref")
    if isinstance(ref, str):  # inline local definitions; Gemini's Schema has no references
        name = ref.rsplit("/", 1)[-1]
        if not ref.startswith(("#/$defs/", "#/definitions/")) or name not in defs:
            raise InvalidRequest(f"{where}: $ref '{ref}' is not a local definition", param=where)
        if name in seen:
            raise InvalidRequest(f"{where}: recursive schemas ($ref '{ref}') cannot be "
                                 "expressed for Gemini", param=where)
        merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return _clean(merged, defs, where, keep_order, (*seen, name))

    def sub(value: Any, path: str) -> dict[str, Any]:
        return _clean(value, defs, f"{where}.{path}", keep_order, seen)

    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type":
            out.update(_type(value))
        elif key == "const":
            out["enum"] = [value]
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {k: sub(v, f"properties.{k}") for k, v in value.items()}
            if keep_order and value:
                out["propertyOrdering"] = list(value)
        elif key == "items":
            out["items"] = sub(value, "items")
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            out.update(_variants([sub(v, f"{key}[{i}]") for i, v in enumerate(value)]))
        elif key == "allOf" and isinstance(value, list):
            for i, v in enumerate(value):  # merged: Gemini has no schema intersection
                part = sub(v, f"allOf[{i}]")
                props = {**out.get("properties", {}), **part.pop("properties", {})}
                required = [*out.get("required", []), *part.pop("required", [])]
                out.update(part, **({"properties": props} if props else {}),
                           **({"required": required} if required else {}))
        elif key == "format":
            out.update({"format": value} if value in SCHEMA_FORMATS else {})
        elif key in SCHEMA_KEYS and key not in out:
            out[key] = value
    return out


def _type(value: Any) -> dict[str, Any]:
    """JSON Schema `type` (a name or a list) as Gemini's upper-case type, `nullable`, `anyOf`."""
    types = value if isinstance(value, list) else [value]
    names = [str(t).upper() for t in types if t != "null"]
    out: dict[str, Any] = {"nullable": True} if "null" in types else {}
    if len(names) == 1:
        out["type"] = names[0]
    elif names:
        out["anyOf"] = [{"type": n} for n in names]
    else:
        out["type"] = "NULL"
    return out


def _variants(variants: list[dict[str, Any]]) -> dict[str, Any]:
    """anyOf/oneOf: a `null` variant becomes `nullable`; a single remaining variant is inlined."""
    rest = [v for v in variants if v.get("type") != "NULL"]
    out: dict[str, Any] = {"nullable": True} if len(rest) < len(variants) else {}
    if len(rest) == 1:
        return {**rest[0], **out}
    return {**out, "anyOf": rest} if rest else out


# ----------------------------------------------------------------- Gemini contents

def guessed_mime(url: str) -> str:
    """fileData needs a MIME type and the URL is all there is; an image_url part with no known
    extension is most likely a JPEG."""
    ext = url.split("?", 1)[0].split("#", 1)[0].rsplit(".", 1)[-1].lower()
    return URL_MIME_TYPES.get(ext, "image/jpeg")


def user_part(part: dict[str, Any], where: str) -> dict[str, Any] | None:
    """One OpenAI content part as a Gemini part; None for empty text (Gemini refuses it)."""
    kind = part.get("type")
    if kind == "text":
        return None if blank(part.get("text")) else {"text": part["text"]}
    if kind == "image_url":
        url = image_url(part)
        inline = data_url(url)
        if inline:
            return {"inlineData": {"mimeType": inline[0], "data": inline[1]}}
        if url.startswith(("https://", "http://", "gs://")):
            return {"fileData": {"mimeType": guessed_mime(url), "fileUri": url}}
        raise InvalidRequest(f"{where}.image_url.url must be a data: or http(s) URL",
                             param=f"{where}.image_url")
    if kind == "input_audio":
        audio = part.get("input_audio") or {}
        fmt = str(audio.get("format", ""))
        return {"inlineData": {"mimeType": AUDIO_MIME_TYPES.get(fmt, f"audio/{fmt}"),
                               "data": audio.get("data", "")}}
    if kind == "file":
        inline = data_url(str((part.get("file") or {}).get("file_data", "")))
        if inline:
            return {"inlineData": {"mimeType": inline[0], "data": inline[1]}}
        raise InvalidRequest(f"{where}: files must be sent inline as file_data data URLs",
                             param=where)
    raise InvalidRequest(f"{where}: content part type '{kind}' is not supported for Gemini",
                         param=where)


def model_parts(message: dict[str, Any], where: str,
                needs_signature: bool) -> list[dict[str, Any]]:
    """An assistant message as model parts; only a turn's first functionCall carries the
    thought signature, so the stand-in goes there alone."""
    content = message.get("content")
    text = text_only(content, where) if content else ""
    parts: list[dict[str, Any]] = [] if blank(text) else [{"text": text}]
    for j, call in enumerate(message.get("tool_calls") or []):
        part: dict[str, Any] = {"functionCall": {
            "name": (call.get("function") or {}).get("name", ""),
            "args": call_arguments(call, f"{where}.tool_calls[{j}]")}}
        google = (call.get("extra_content") or {}).get("google") or {}
        if google.get("thought_signature"):
            part["thoughtSignature"] = google["thought_signature"]
        elif needs_signature and j == 0:
            part["thoughtSignature"] = SKIP_SIGNATURE
        parts.append(part)
    return parts


def function_response(message: dict[str, Any], where: str,
                      calls: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """Gemini wants `response` to be an object: anything else is wrapped as {"result": ...}."""
    name = call_name(message, where, calls)
    value, text = tool_result(message, where)
    if not isinstance(value, dict):
        value = {"result": text if value is None else value}
    return {"functionResponse": {"name": name, "response": value}}


def contents(messages: list[dict[str, Any]], gemini3: bool) -> tuple[list[dict[str, Any]],
                                                                       list[dict[str, Any]]]:
    """(systemInstruction parts, contents)."""
    return turns_of(messages, "parts", "model", {
        "user": lambda m, where, calls: user_content(m, where, user_part),
        "assistant": lambda m, where, calls: model_parts(m, where, gemini3),
        "tool": lambda m, where, calls: [function_response(m, where, calls)]})


# ----------------------------------------------------------------- generation settings

def generation_config(body: dict[str, Any], gemini3: bool) -> dict[str, Any]:
    config = {gemini: body[openai] for openai, gemini in GENERATION_PARAMS.items()
              if body.get(openai) is not None}
    limit, stops, n = max_tokens(body), stop_sequences(body), body.get("n")
    if limit is not None:
        config["maxOutputTokens"] = limit
    if stops:
        config["stopSequences"] = stops
    if n is not None and n != 1:
        config["candidateCount"] = n
    if body.get("logprobs") or body.get("top_logprobs"):
        raise InvalidRequest("Gemini token logprobs are not available through compat",
                             param="logprobs")
    config.update(response_format(body.get("response_format")))
    effort = body.get("reasoning_effort")
    if effort is not None:
        if effort not in THINKING_BUDGETS:
            raise InvalidRequest(f"unknown reasoning_effort '{effort}'; expected one of "
                                 f"{', '.join(THINKING_BUDGETS)}", param="reasoning_effort")
        config["thinkingConfig"] = ({"thinkingLevel": THINKING_LEVELS[effort]} if gemini3
                                    else {"thinkingBudget": THINKING_BUDGETS[effort]})
    return config


def response_format(fmt: Any) -> dict[str, Any]:
    kind = fmt.get("type") if isinstance(fmt, dict) else fmt
    if kind in (None, "text"):
        return {}
    if kind == "json_object":
        return {"responseMimeType": "application/json"}
    schema = (fmt.get("json_schema") or {}).get("schema") if kind == "json_schema" else None
    if not isinstance(schema, dict):
        raise InvalidRequest("response_format must be text, json_object or json_schema with "
                             "a schema object", param="response_format")
    return {"responseMimeType": "application/json",
            "responseSchema": clean_schema(schema, "response_format.json_schema.schema",
                                           keep_order=True)}


def tool_settings(body: dict[str, Any]) -> dict[str, Any]:
    functions = function_tools(body)
    if not functions:
        return {}
    declarations = []
    for i, fn in enumerate(functions):
        decl = {k: fn[k] for k in ("name", "description") if fn.get(k)}
        params = clean_schema(fn.get("parameters") or {}, f"tools[{i}].function.parameters")
        if params.get("properties"):  # Gemini refuses an OBJECT without properties
            decl["parameters"] = params
        declarations.append(decl)
    out: dict[str, Any] = {"tools": [{"functionDeclarations": declarations}]}
    if body.get("tool_choice") is not None:
        mode, name = tool_choice(body)
        config: dict[str, Any] = {"mode": TOOL_MODES[mode]}
        if name:
            config["allowedFunctionNames"] = [name]
        out["toolConfig"] = {"functionCallingConfig": config}
    return out


def request_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise InvalidRequest("messages must be a list", param="messages")
    match = _GENERATION.match(model)
    gemini3 = bool(match and int(match.group(1)) >= 3)
    system, turns = contents(messages, gemini3)
    out: dict[str, Any] = {"contents": turns}
    if system:
        out["systemInstruction"] = {"parts": system}
    out.update(tool_settings(body))
    config = generation_config(body, gemini3)
    if config:
        out["generationConfig"] = config
    return out


# ----------------------------------------------------------------- the translation

@dataclass(frozen=True)
class GeminiChat:
    """ChatTranslation for one Gemini surface; `model_path` holds `{model}` and whatever
    placeholders the core fills (`{project}`, `{region}`)."""

    provider: str
    model_path: str
    #: Publisher prefix the compat model may carry ("google/" on Vertex); stripped.
    publisher: str = ""
    stream_framing: Literal["sse", "aws-eventstream"] = "sse"

    def model_name(self, model: str) -> str:
        name = model[len(self.publisher):] if self.publisher and model.startswith(
            self.publisher) else model
        name = name.removeprefix("models/")
        if not _MODEL_NAME.fullmatch(name):
            served = " (compat serves Google's own publisher models)" if self.publisher else ""
            raise InvalidRequest(f"'{model}' is not a Gemini model name{served}", param="model")
        return name

    def build_request(self, body: dict[str, Any], model: str) -> UpstreamCall:
        name = self.model_name(model)
        stream = bool(body.get("stream"))
        method = ":streamGenerateContent?alt=sse" if stream else ":generateContent"
        return UpstreamCall(path=self.model_path.replace("{model}", name) + method,
                            body=request_body(body, name), stream=stream)

    def parse_response(self, data: dict[str, Any], model: str) -> dict[str, Any]:
        return gemini_stream.parse_response(data, model)

    def new_stream_state(self, model: str, include_usage: bool) -> gemini_stream.GeminiStream:
        return gemini_stream.GeminiStream(model=model, include_usage=include_usage)

    def parse_stream_event(self, state: gemini_stream.GeminiStream,
                           event: StreamEvent) -> list[dict[str, Any]]:
        return gemini_stream.parse_stream_event(state, event)

    def finish_stream(self, state: gemini_stream.GeminiStream) -> list[dict[str, Any]]:
        return state.finish(self.provider)

    def error_message(self, status: int, data: Any) -> str:
        return gemini_stream.error_message(self.provider, status, data)


GOOGLE_AI_STUDIO_CHAT = GeminiChat("google-ai-studio", "/v1beta/models/{model}")
VERTEX_CHAT = GeminiChat(
    "google-vertex-ai",
    "/v1/projects/{project}/locations/{region}/publishers/google/models/{model}",
    publisher="google/")
