"""Fake Google AI Studio (Gemini API): `/v1beta/models/{model}:{method}` with the API key.

`create()` serves `:generateContent`, `:streamGenerateContent` (SSE with `?alt=sse`, else a JSON
array as Google sends it), `:embedContent`, `:batchEmbedContents`, `:countTokens`; the key is
`x-goog-api-key` or `?key=`. Requests are held to the real API's rules (unknown field names, roles,
function call / response turns) with Google's error shape. Validation and replies are public for
the Vertex fake, which speaks the same bodies behind another path and OAuth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from tests.fakes import credentials
from tests.fakes.upstreams import google_thoughts
from tests.fakes.upstreams.common import (
    FakeHTTPError,
    FakeUpstream,
    Reply,
    ToolSpec,
    build_fake,
    count_tokens,
    decide,
    embedding,
    fixture,
    json_object,
    new_id,
    text_pieces,
)

SLUG = "google-ai-studio"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
GENERATE_FIELDS = frozenset(
    "model contents tools toolConfig safetySettings systemInstruction generationConfig "
    "cachedContent".split())
CONTENT_FIELDS = frozenset({"role", "parts"})
PART_FIELDS = frozenset(
    "text inlineData fileData functionCall functionResponse executableCode codeExecutionResult "
    "thought thoughtSignature videoMetadata partMetadata mediaResolution".split())
GENERATION_CONFIG_FIELDS = frozenset(
    "stopSequences responseMimeType responseSchema responseJsonSchema responseModalities "
    "candidateCount maxOutputTokens temperature topP topK seed presencePenalty frequencyPenalty "
    "responseLogprobs logprobs enableEnhancedCivicAnswers speechConfig thinkingConfig "
    "mediaResolution imageConfig audioTimestamp".split())
TOOL_FIELDS = frozenset(
    "functionDeclarations googleSearchRetrieval codeExecution googleSearch urlContext computerUse "
    "fileSearch googleMaps retrieval enterpriseWebSearch".split())
FUNCTION_DECLARATION_FIELDS = frozenset(
    "name description parameters parametersJsonSchema response responseJsonSchema behavior".split())
EMBED_FIELDS = frozenset({"model", "content", "taskType", "title", "outputDimensionality"})
EMBED_METHODS = frozenset({"embedContent", "batchEmbedContents"})
MODEL_NAME = re.compile(r"(gemini|gemma|learnlm|text-embedding|embedding)-")

CALL_AFTER_USER = ("Please ensure that function call turn comes immediately after a user turn "
                   "or after a function response turn.")
RESPONSE_AFTER_CALL = ("Please ensure that function response turn comes immediately after a "
                       "function call turn.")
RESPONSE_COUNT = ("Please ensure that the number of function response parts is equal to the "
                  "number of function call parts of the function call turn.")
BAD_KEY = "API key not valid. Please pass a valid API key."
RESPONSE_NAMES = ("Please ensure that the name of each function response part matches the name "
                  "of a function call part of the function call turn.")


def create() -> FakeUpstream:
    fake = build_fake(SLUG)

    @fake.app.post("/{version}/models/{target}")
    async def models_method(version: str, target: str, request: Request) -> Response:
        check_api_key(request)
        model, _, method = target.partition(":")
        body = await body_or_400(request)
        serves = ("embedding" in model) == (method in EMBED_METHODS)
        if version not in ("v1beta", "v1") or method not in METHODS or not serves \
                or not MODEL_NAME.match(model):
            raise not_found(f"models/{model}", version, method)
        return METHODS[method](body, model, request)

    return fake


# ---------------------------------------------------------------- errors and auth


def google_error(status: int, code: str, message: str,
                 details: list[dict[str, Any]] | None = None) -> FakeHTTPError:
    """`{"error": {"code", "message", "status", "details"?}}`, the google.rpc.Status shape."""
    err: dict[str, Any] = {"code": status, "message": message, "status": code}
    if details:
        err["details"] = details
    return FakeHTTPError(status, {"error": err})


def invalid(message: str, details: list[dict[str, Any]] | None = None) -> FakeHTTPError:
    return google_error(400, "INVALID_ARGUMENT", message, details)


def not_found(name: str, version: str, method: str) -> FakeHTTPError:
    return google_error(404, "NOT_FOUND", f"{name} is not found for API version {version}, or "
                        f"is not supported for {method}. Call ListModels to see the list of "
                        "available models and their supported methods.")


def check_api_key(request: Request) -> None:
    key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
    if not key:
        raise google_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers "
                           "(callers without established identity). Please use API Key or other "
                           "form of API consumer identity to call this API.")
    if key != credentials.GOOGLE_AI_STUDIO_KEY:
        raise invalid(BAD_KEY, [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "domain": "googleapis.com",
             "metadata": {"service": "generativelanguage.googleapis.com"}},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
             "message": BAD_KEY}])


async def body_or_400(request: Request) -> dict[str, Any]:
    body = await json_object(request)
    if body is None:
        raise invalid("Invalid JSON payload received. Unexpected token.")
    return body


# ---------------------------------------------------------------- field names and validation


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def field(obj: Mapping[str, Any], name: str) -> Any:
    """A field by its JSON (lowerCamel) name or its proto (snake) name; Google accepts both."""
    return obj[name] if name in obj else obj.get(snake(name))


def unknown_fields(obj: Any, allowed: frozenset[str], at: str) -> list[tuple[str, str]]:
    if not isinstance(obj, Mapping):
        return []
    where = f" at '{at}'" if at else ""
    return [(at, f'Invalid JSON payload received. Unknown name "{k}"{where}: Cannot find field.')
            for k in obj if k not in allowed and camel(k) not in allowed]


def raise_violations(bad: list[tuple[str, str]]) -> None:
    if bad:
        raise invalid("\n".join(m for _, m in bad), [{"@type": BAD_REQUEST, "fieldViolations": [
            {"field": f, "description": m} if f else {"description": m} for f, m in bad]}])


def _list(obj: Mapping[str, Any], name: str) -> list[Any]:
    value = field(obj, name)
    return value if isinstance(value, list) else []


def _content_violations(content: Any, at: str) -> list[tuple[str, str]]:
    out = unknown_fields(content, CONTENT_FIELDS, at)
    if isinstance(content, Mapping):
        for j, part in enumerate(_list(content, "parts")):
            out += unknown_fields(part, PART_FIELDS, f"{at}.parts[{j}]")
    return out


def validate_generate(body: Mapping[str, Any], extra_fields: frozenset[str] = frozenset()) -> None:
    """Raise the 400 the real API answers for an invalid GenerateContentRequest."""
    bad = unknown_fields(body, GENERATE_FIELDS | extra_fields, "")
    for i, content in enumerate(_list(body, "contents")):
        bad += _content_violations(content, f"contents[{i}]")
    bad += _content_violations(field(body, "systemInstruction"), "system_instruction")
    bad += unknown_fields(field(body, "generationConfig"), GENERATION_CONFIG_FIELDS,
                          "generation_config")
    for i, tool in enumerate(_list(body, "tools")):
        bad += unknown_fields(tool, TOOL_FIELDS, f"tools[{i}]")
        for j, decl in enumerate(_list(tool, "functionDeclarations")):
            bad += unknown_fields(decl, FUNCTION_DECLARATION_FIELDS,
                                  f"tools[{i}].function_declarations[{j}]")
    raise_violations(bad)
    contents = _list(body, "contents")
    if not contents:
        raise invalid("* GenerateContentRequest.contents: contents is not specified\n")
    for i, content in enumerate(contents):
        if not isinstance(content, Mapping) or not _list(content, "parts"):
            raise invalid(f"* GenerateContentRequest.contents[{i}].parts: contents.parts must "
                          "not be empty.\n")
        if content.get("role") not in (None, "", "user", "model"):
            raise invalid("Please use a valid role: user, model.")
        for j, part in enumerate(_list(content, "parts")):
            if isinstance(part, Mapping) and set(part) <= {"text", "thought", "thoughtSignature"} \
                    and not part.get("text"):
                raise invalid(f"* GenerateContentRequest.contents[{i}].parts[{j}].data: required "
                              "oneof field 'data' must have one initialized field\n")
    system = field(body, "systemInstruction")
    if isinstance(system, Mapping) and system.get("role") not in (None, "", "user"):
        raise invalid("Please use a valid role for system_instruction: user.")
    validate_function_turns(contents)


def _parts_with(content: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    return [field(p, name) or {} for p in _list(content, "parts")
            if isinstance(p, Mapping) and field(p, name) is not None]


def validate_function_turns(contents: list[Mapping[str, Any]]) -> None:
    """A functionCall turn follows a user turn; the next turn answers every call, by name."""
    for i, content in enumerate(contents):
        calls = _parts_with(content, "functionCall")
        responses = _parts_with(content, "functionResponse")
        previous = contents[i - 1] if i else None
        if calls and (previous is None or previous.get("role", "user") != "user"):
            raise invalid(CALL_AFTER_USER)
        if responses and (previous is None or not _parts_with(previous, "functionCall")):
            raise invalid(RESPONSE_AFTER_CALL)
        if not calls:
            continue
        answers = _parts_with(contents[i + 1], "functionResponse") if i + 1 < len(contents) else []
        if len(answers) != len(calls):
            raise invalid(RESPONSE_COUNT)
        names = {c.get("name") for c in calls}
        if any(a.get("name") not in names for a in answers):
            raise invalid(RESPONSE_NAMES)


# ---------------------------------------------------------------- replies


def reply_for(body: Mapping[str, Any]) -> Reply:
    """The deterministic answer (see `common.decide`) to a validated request."""
    contents = _list(body, "contents")
    last = contents[-1]
    texts = [" ".join(str(p["text"]) for p in _list(c, "parts") if isinstance(p.get("text"), str))
             for c in contents if c.get("role", "user") == "user"]
    prompt = next((t for t in reversed(texts) if t), "")
    tools = [ToolSpec(str(d.get("name")), field(d, "parameters") or
                      field(d, "parametersJsonSchema") or {})
             for t in _list(body, "tools") for d in _list(t, "functionDeclarations")]
    mode_config = field(field(body, "toolConfig") or {}, "functionCallingConfig") or {}
    mode = str(mode_config.get("mode", "AUTO")).upper()
    allowed = field(mode_config, "allowedFunctionNames") or []
    choice = "none" if mode == "NONE" else allowed[0] if mode == "ANY" and allowed else None
    responses = _parts_with(last, "functionResponse")
    output = json.dumps(responses[0].get("response")) if responses else None
    limit = field(field(body, "generationConfig") or {}, "maxOutputTokens")
    offered = tools if last.get("role", "user") == "user" else []
    return decide(prompt, offered, choice, output, limit)


def prompt_tokens(body: Mapping[str, Any]) -> int:
    """Words in the parts of the system instruction and the contents (roles do not count)."""
    contents = [field(body, "systemInstruction") or {}, *_list(body, "contents")]
    return sum(count_tokens(p) for c in contents for p in _list(c, "parts"))


def thoughts_tokens(body: Mapping[str, Any], model: str) -> int:
    """Gemini 2.5 / 3 models think unless the budget is 0 (the lite models do not by default)."""
    thinking = field(field(body, "generationConfig") or {}, "thinkingConfig") or {}
    budget = field(thinking, "thinkingBudget")
    thinks = re.match(r"gemini-(2\.5|3)", model) is not None and "lite" not in model
    return 0 if budget == 0 or (not thinks and not budget) else 24


def usage(body: Mapping[str, Any], model: str, reply: Reply,
          template: dict[str, Any]) -> dict[str, Any]:
    prompt = prompt_tokens(body)
    answer = count_tokens(reply.text) + (count_tokens(reply.tool_input) if reply.tool_input else 0)
    thoughts = thoughts_tokens(body, model)
    out = dict(template, promptTokenCount=prompt, candidatesTokenCount=answer,
               totalTokenCount=prompt + answer + thoughts)
    out["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if "candidatesTokensDetails" in template:
        out["candidatesTokensDetails"] = [{"modality": "TEXT", "tokenCount": answer}]
    if thoughts:
        out["thoughtsTokenCount"] = thoughts
    return out


def reply_parts(reply: Reply) -> list[dict[str, Any]]:
    if reply.tool_name:
        return [{"functionCall": {"name": reply.tool_name, "args": reply.tool_input or {}}}]
    return [{"text": reply.text}]


def generate(body: Mapping[str, Any], model: str, provider: str = "google") -> dict[str, Any]:
    """A GenerateContentResponse in the shape of `<provider>/generate_content_text.json`."""
    reply = reply_for(body)
    out = fixture(provider, "generate_content_function_call" if reply.tool_name
                  else "generate_content_text")
    candidate = out["candidates"][0]
    candidate["content"]["parts"] = google_thoughts.sign(reply_parts(reply), model)
    candidate["finishReason"] = "MAX_TOKENS" if reply.truncated else "STOP"
    out.update(usageMetadata=usage(body, model, reply, out["usageMetadata"]), modelVersion=model,
               responseId=new_id("", 22))
    return out


def stream_chunks(body: Mapping[str, Any], model: str,
                  provider: str = "google") -> list[dict[str, Any]]:
    """The GenerateContentResponse objects of a stream: text word by word, a call in one piece."""
    whole = generate(body, model, provider)
    part = whole["candidates"][0]["content"]["parts"][0]
    if "text" not in part:
        return [whole]
    pieces, chunks = text_pieces(part["text"]), []
    for n, piece in enumerate(pieces, start=1):
        chunk = json.loads(json.dumps(whole))
        chunk["candidates"][0]["content"]["parts"] = [{"text": piece}]
        if n < len(pieces):
            chunk["candidates"][0].pop("finishReason", None)
            meta = chunk["usageMetadata"]
            meta["candidatesTokenCount"] = count_tokens("".join(pieces[:n]))
            meta["totalTokenCount"] = (meta["promptTokenCount"] + meta["candidatesTokenCount"]
                                       + meta.get("thoughtsTokenCount", 0))
        chunks.append(chunk)
    return chunks


def _sse_frames(chunks: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for chunk in chunks:  # Google separates events with CRLF pairs
        yield b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\r\n\r\n"


def _json_array(chunks: list[dict[str, Any]]) -> Iterator[bytes]:
    for n, chunk in enumerate(chunks):
        yield ("[" if n == 0 else "\n,\r\n").encode() + json.dumps(chunk, indent=2).encode()
    yield b"]"


def stream_response(chunks: list[dict[str, Any]], request: Request) -> Response:
    """SSE with `?alt=sse`, else the progressively written JSON array."""
    if request.query_params.get("alt") == "sse":
        return StreamingResponse(_sse_frames(chunks), media_type="text/event-stream")
    return StreamingResponse(_json_array(chunks), media_type="application/json; charset=UTF-8")


# ---------------------------------------------------------------- methods


def _generate(body: dict[str, Any], model: str, request: Request) -> Response:
    validate_generate(body)
    google_thoughts.check(_list(body, "contents"), model, invalid)
    if request.url.path.endswith(":streamGenerateContent"):
        return stream_response(stream_chunks(body, model), request)
    return JSONResponse(generate(body, model))


def _embedding(request: Mapping[str, Any], dims: int, at: str) -> dict[str, Any]:
    bad = unknown_fields(request, EMBED_FIELDS, at)
    bad += _content_violations(field(request, "content"), f"{at}.content" if at else "content")
    raise_violations(bad)
    content = field(request, "content")
    if not isinstance(content, Mapping) or not _list(content, "parts"):
        raise invalid("* EmbedContentRequest.content: content is not specified\n")
    text = " ".join(str(p.get("text", "")) for p in _list(content, "parts"))
    return {"values": embedding(text, int(field(request, "outputDimensionality") or dims))}


def _dims(model: str) -> int:
    return 3072 if model.startswith("gemini-embedding") else 768


def _embed(body: dict[str, Any], model: str, request: Request) -> Response:
    return JSONResponse({"embedding": _embedding(body, _dims(model), "")})


def _batch_embed(body: dict[str, Any], model: str, request: Request) -> Response:
    raise_violations(unknown_fields(body, frozenset({"requests"}), ""))
    requests = _list(body, "requests")
    if not requests:
        raise invalid("* BatchEmbedContentsRequest.requests: requests is not specified\n")
    for i, item in enumerate(requests):
        if item.get("model") != f"models/{model}":
            raise invalid(f"* BatchEmbedContentsRequest.requests[{i}].model: the model of each "
                          f"request must be the model of the batch (models/{model})\n")
    return JSONResponse({"embeddings": [_embedding(r, _dims(model), f"requests[{i}]")
                                        for i, r in enumerate(requests)]})


def count_response(body: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """A CountTokensResponse for `{contents}` or `{generateContentRequest}` (AI Studio)."""
    inner = field(body, "generateContentRequest")
    if isinstance(inner, Mapping):
        validate_generate(inner)
        body = inner
    else:
        raise_violations(unknown_fields(body, allowed, ""))
    total = prompt_tokens(body)
    return {"totalTokens": total,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}]}


def _count(body: dict[str, Any], model: str, request: Request) -> Response:
    return JSONResponse(count_response(body, frozenset({"contents", "generateContentRequest"})))


METHODS = {"generateContent": _generate, "streamGenerateContent": _generate,
           "embedContent": _embed, "batchEmbedContents": _batch_embed, "countTokens": _count}
