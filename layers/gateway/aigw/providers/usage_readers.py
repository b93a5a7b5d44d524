"""Usage readers: where each provider reports token counts in its answers, bodies and streams.

Every reader maps a provider's own fields onto `Usage` (prompt tokens include cache reads and
writes; output includes reasoning). Field names are from each provider's API reference:
OpenAI chat/completions/embeddings `usage` and the Responses API's `response.usage`; Anthropic
Messages `usage` (`message_start`, `message_delta`); Gemini `usageMetadata`; Bedrock Converse
`usage`, InvokeModel's `X-Amzn-Bedrock-*-Token-Count` headers and the stream's
`amazon-bedrock-invocationMetrics`; Cohere v2 `usage` and v1 `meta.billed_units`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from aigw.providers.spec import Provider, StreamEvent, Usage, UsageReader


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def request_model(_path: str, body: Any) -> str | None:
    """The `model` field of a JSON request body."""
    model = _dict(body).get("model")
    return model if isinstance(model, str) else None


def _add(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


# ----------------------------------------------------------------------------- OpenAI-shaped

def openai_usage(u: Any, model: Any = None) -> Usage | None:
    """Chat/completions (`prompt_tokens`...) and Responses API (`input_tokens`...) usage.

    Embeddings report only prompt tokens: they generate none, so output is 0.
    """
    u = _dict(u)
    prompt = _int(u.get("prompt_tokens", u.get("input_tokens")))
    if prompt is None:
        return None
    output = _int(u.get("completion_tokens", u.get("output_tokens")))
    prompt_details = _dict(u.get("prompt_tokens_details") or u.get("input_tokens_details"))
    output_details = _dict(u.get("completion_tokens_details") or u.get("output_tokens_details"))
    # DeepSeek reports its cache hits as `prompt_cache_hit_tokens`.
    cached = _int(prompt_details.get("cached_tokens", u.get("prompt_cache_hit_tokens")))
    return Usage(input_tokens=prompt, output_tokens=output if output is not None else 0,
                 cache_read_tokens=cached,
                 cache_write_tokens=_int(prompt_details.get("cache_write_tokens")),
                 reasoning_tokens=_int(output_details.get("reasoning_tokens")),
                 model=model if isinstance(model, str) else None)


def openai_body(data: Any) -> Usage | None:
    data = _dict(data)
    if "usage" in data:
        return openai_usage(data["usage"], data.get("model"))
    # Groq reports a stream's usage under `x_groq`; Workers AI's native API under `result`.
    for holder in (_dict(data.get("x_groq")), _dict(data.get("result"))):
        if "usage" in holder:
            return openai_usage(holder["usage"], data.get("model"))
    response = _dict(data.get("response"))  # Responses API stream: response.completed etc.
    if "usage" in response:
        return openai_usage(response["usage"], response.get("model"))
    return None


OPENAI_USAGE = UsageReader(body=openai_body, event=lambda e: openai_body(e.data),
                           model=request_model,
                           markers=(b'"usage":{', b'"usage": {'))


def workers_ai_model(path: str, body: Any) -> str | None:
    """Native `/run/{model}` paths name the model; `/v1/...` is OpenAI-shaped."""
    if path.startswith("/v1/"):
        return request_model(path, body)
    return unquote(path.lstrip("/")) or None


WORKERS_AI_USAGE = UsageReader(body=openai_body, event=lambda e: openai_body(e.data),
                               model=workers_ai_model, markers=OPENAI_USAGE.markers)


# ----------------------------------------------------------------------------------- Anthropic

def anthropic_usage(u: Any, model: Any = None) -> Usage | None:
    """Anthropic counts cached input apart from `input_tokens`; the prompt is the sum.

    `message_delta` may carry only `output_tokens`: input then stays unknown (None), so merging
    keeps the count `message_start` gave.
    """
    u = _dict(u)
    if not u:
        return None
    read = _int(u.get("cache_read_input_tokens"))
    write = _int(u.get("cache_creation_input_tokens"))
    plain = _int(u.get("input_tokens"))
    prompt = _add(plain, read, write) if plain is not None else None
    return Usage(input_tokens=prompt, output_tokens=_int(u.get("output_tokens")),
                 cache_read_tokens=read, cache_write_tokens=write,
                 model=model if isinstance(model, str) else None)


def anthropic_body(data: Any) -> Usage | None:
    data = _dict(data)
    message = _dict(data.get("message"))  # stream: message_start
    if "usage" in message:
        return anthropic_usage(message["usage"], message.get("model"))
    if "usage" in data:
        return anthropic_usage(data["usage"], data.get("model"))
    return None


ANTHROPIC_USAGE = UsageReader(body=anthropic_body, event=lambda e: anthropic_body(e.data),
                              model=request_model, markers=(b'"usage"',))


# -------------------------------------------------------------------------------------- Gemini

def gemini_usage(meta: Any, model: Any = None) -> Usage | None:
    """`promptTokenCount` includes cached content; thinking is billed as output."""
    meta = _dict(meta)
    prompt = _int(meta.get("promptTokenCount"))
    if prompt is None:
        return None
    tool_prompt = _int(meta.get("toolUsePromptTokenCount"))
    thoughts = _int(meta.get("thoughtsTokenCount"))
    candidates = _int(meta.get("candidatesTokenCount"))
    return Usage(input_tokens=prompt + (tool_prompt or 0),
                 output_tokens=(candidates or 0) + (thoughts or 0),
                 cache_read_tokens=_int(meta.get("cachedContentTokenCount")),
                 reasoning_tokens=thoughts, model=model if isinstance(model, str) else None)


def gemini_body(data: Any) -> Usage | None:
    """An answer, one SSE chunk, or the JSON array a stream without `alt=sse` returns."""
    if isinstance(data, list):
        found = [u for u in map(gemini_body, data) if u is not None]
        return found[-1] if found else None
    data = _dict(data)
    if "usageMetadata" in data:
        return gemini_usage(data["usageMetadata"], data.get("modelVersion"))
    return None


def path_model(path: str, marker: str) -> str | None:
    """The path segment after `marker` (`models`, `model`), percent-decoded, before any `:`
    method suffix (`gemini-2.5-flash:generateContent`)."""
    parts = path.split("?", 1)[0].split("/")
    for i, part in enumerate(parts[:-1]):
        if part == marker:
            name = unquote(parts[i + 1])
            return name.rsplit(":", 1)[0] if marker == "models" else name
    return None


GEMINI_USAGE = UsageReader(body=gemini_body, event=lambda e: gemini_body(e.data),
                           model=lambda path, body: path_model(path, "models"),
                           markers=(b"usageMetadata",))


def vertex_body(data: Any) -> Usage | None:
    """Vertex serves Gemini and, through `rawPredict`, Anthropic's Messages format."""
    return gemini_body(data) or (anthropic_body(data) if isinstance(data, dict) else None)


VERTEX_USAGE = UsageReader(body=vertex_body, event=lambda e: vertex_body(e.data),
                           model=GEMINI_USAGE.model, markers=(b"usageMetadata", b'"usage"'))


# ------------------------------------------------------------------------------------- Bedrock

def bedrock_counts(u: Any) -> Usage | None:
    """Converse `usage` and the invoke stream's `amazon-bedrock-invocationMetrics`.

    Cached input is counted apart from `inputTokens` (as Anthropic does); the prompt is the sum.
    """
    u = _dict(u)
    plain = _int(u.get("inputTokens", u.get("inputTokenCount")))
    if plain is None:
        return None
    read = _int(u.get("cacheReadInputTokens", u.get("cacheReadInputTokenCount")))
    write = _int(u.get("cacheWriteInputTokens", u.get("cacheWriteInputTokenCount")))
    return Usage(input_tokens=_add(plain, read, write),
                 output_tokens=_int(u.get("outputTokens", u.get("outputTokenCount"))),
                 cache_read_tokens=read, cache_write_tokens=write)


def bedrock_body(data: Any) -> Usage | None:
    """Converse answers, and InvokeModel answers in the model's own format (Anthropic, Nova,
    Titan, Llama)."""
    data = _dict(data)
    u = data.get("usage")
    if isinstance(u, dict):
        return bedrock_counts(u) or anthropic_usage(u)
    metrics = data.get("amazon-bedrock-invocationMetrics")
    if metrics is not None:
        return bedrock_counts(metrics)
    if "inputTextTokenCount" in data:  # Titan text and embeddings
        results = data.get("results") or [{}]
        return Usage(input_tokens=_int(data["inputTextTokenCount"]),
                     output_tokens=_add(*(_int(_dict(r).get("tokenCount")) for r in results))
                     or 0)
    if "prompt_token_count" in data:  # Llama
        return Usage(input_tokens=_int(data["prompt_token_count"]),
                     output_tokens=_int(data.get("generation_token_count")))
    return anthropic_body(data) if "message" in data else None


def bedrock_event(event: StreamEvent) -> Usage | None:
    """ConverseStream `metadata`, or an InvokeModelWithResponseStream `chunk` whose base64
    `bytes` hold the model's own stream event (the last one adds invocation metrics)."""
    if event.event == "chunk":
        try:
            inner = json.loads(base64.b64decode(event.data.get("bytes") or ""))
        except ValueError:
            return None
        return bedrock_body(inner)
    if event.event == "metadata":
        return bedrock_counts(event.data.get("usage"))
    return None


def bedrock_headers(headers: Mapping[str, str]) -> Usage | None:
    lower = {k.lower(): v for k, v in headers.items()}

    def count(name: str) -> int | None:
        value = lower.get(f"x-amzn-bedrock-{name}-token-count")
        return int(value) if value is not None and value.isdigit() else None

    plain, output = count("input"), count("output")
    if plain is None:
        return None
    read, write = count("cache-read-input"), count("cache-write-input")
    return Usage(input_tokens=_add(plain, read, write), output_tokens=output,
                 cache_read_tokens=read, cache_write_tokens=write)


BEDROCK_USAGE = UsageReader(body=bedrock_body, event=bedrock_event,
                            model=lambda path, body: path_model(path, "model"),
                            headers=bedrock_headers)


# -------------------------------------------------------------------------------------- Cohere

def cohere_body(data: Any) -> Usage | None:
    """v2 `usage` (billed units first: what Cohere charges), v1 `meta.billed_units`, and the
    v2 stream's `message-end` / v1 stream's `stream-end` events."""
    data = _dict(data)
    if data.get("type") == "message-end":
        data = _dict(data.get("delta"))
    elif data.get("event_type") == "stream-end":
        data = _dict(data.get("response"))
    u = _dict(data.get("usage"))
    billed = _dict(u.get("billed_units") or _dict(data.get("meta")).get("billed_units"))
    tokens = _dict(u.get("tokens"))
    prompt = _int(billed.get("input_tokens", tokens.get("input_tokens")))
    if prompt is None:
        return None
    output = _int(billed.get("output_tokens", tokens.get("output_tokens")))
    return Usage(input_tokens=prompt, output_tokens=output if output is not None else 0,
                 cache_read_tokens=_int(u.get("cached_tokens")))


COHERE_USAGE = UsageReader(body=cohere_body, event=lambda e: cohere_body(e.data),
                           model=request_model, markers=(b"billed_units", b'"tokens"'))


def reader_for(provider: Provider) -> UsageReader:
    """The provider's declared reader; OpenAI's for OpenAI-shaped and custom providers."""
    return provider.usage or OPENAI_USAGE
