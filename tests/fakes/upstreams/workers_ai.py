"""Fake Cloudflare Workers AI under `/client/v4/accounts/{account}/ai/`.

`/run/{model}` answers in Cloudflare's envelope (`{"result": {"response": ...}, "success": true,
"errors": [], "messages": []}`), or as SSE `data: {"response": "..."}` ... `data: [DONE]` when the
body has `stream: true`; embedding models (`@cf/baai/bge-*`) take `text`. `/v1/chat/completions`
and `/v1/embeddings` are OpenAI-shaped. A missing or wrong bearer token gets Cloudflare's
authentication error (code 10000). `upstream_base` keeps the provider's `{account_id}` placeholder.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from tests.fakes.credentials import WORKERS_AI_KEY
from tests.fakes.upstreams import openai
from tests.fakes.upstreams.common import (
    FakeHTTPError,
    FakeUpstream,
    bearer_token,
    build_fake,
    count_tokens,
    decide,
    embedding,
    fixture,
    json_object,
    sse,
    sse_response,
    text_of,
    text_pieces,
)

PREFIX = "/client/v4/accounts/{account}/ai"
EMBEDDING_DIMS = 768
DEFAULT_MAX_TOKENS = 256
INPUT_INVALID = "AiError: AiError: Error: oneOf at '/' not met, 0 matches required"


def create() -> FakeUpstream:
    fake = build_fake("workers-ai", "/client/v4/accounts/{account_id}/ai")

    @fake.app.post(PREFIX + "/run/{model:path}")
    async def run(account: str, model: str, request: Request) -> Response:
        body = await _checked(request)
        if not model.startswith(("@cf/", "@hf/")):
            raise envelope_error(400, 5007, f"No such model {model} or task")
        if "bge" in model or "embedding" in model:
            return JSONResponse(_embed(body))
        return _generate(body)

    @fake.app.post(PREFIX + "/v1/chat/completions")
    async def chat(account: str, request: Request) -> Response:
        body = await _checked(request)
        openai.validate_chat(body)
        return openai.chat_response(body, str(body["model"]))

    @fake.app.post(PREFIX + "/v1/embeddings")
    async def embeddings(account: str, request: Request) -> Response:
        body = await _checked(request)
        openai.validate_embeddings(body)
        return JSONResponse(openai.embeddings(dict(body, dimensions=EMBEDDING_DIMS),
                                              str(body["model"])))

    return fake


def envelope_error(status: int, code: int, message: str) -> FakeHTTPError:
    return FakeHTTPError(status, {"success": False, "errors": [{"code": code, "message": message}],
                                  "messages": [], "result": None})


async def _checked(request: Request) -> dict[str, Any]:
    if bearer_token(request) != WORKERS_AI_KEY:
        raise envelope_error(401, 10000, "Authentication error")
    body = await json_object(request)
    if body is None:
        raise envelope_error(400, 5006, INPUT_INVALID)
    return body


def _generate(body: dict[str, Any]) -> Response:
    messages = body.get("messages")
    if isinstance(body.get("prompt"), str):
        prompt = body["prompt"]
    elif isinstance(messages, list) and messages and all(isinstance(m, dict) for m in messages):
        prompt = next((text_of(m.get("content")) for m in reversed(messages)
                       if m.get("role") == "user"), "")
    else:
        raise envelope_error(400, 5006, INPUT_INVALID)
    reply = decide(prompt, [], None, None, body.get("max_tokens", DEFAULT_MAX_TOKENS))
    prompt_tokens = count_tokens(body.get("prompt") or messages)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": count_tokens(reply.text),
             "total_tokens": prompt_tokens + count_tokens(reply.text)}
    if body.get("stream"):
        frames = [sse({"response": piece}) for piece in text_pieces(reply.text)]
        return sse_response([*frames, sse({"response": "", "usage": usage}), sse("[DONE]")])
    out = fixture("workers_ai", "run")
    out["result"].update(response=reply.text, usage=usage)
    return JSONResponse(out)


def _embed(body: dict[str, Any]) -> dict[str, Any]:
    text = body.get("text")
    texts = [text] if isinstance(text, str) else text
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise envelope_error(400, 5006, INPUT_INVALID)
    out = fixture("workers_ai", "run_embeddings")
    out["result"].update(shape=[len(texts), EMBEDDING_DIMS],
                         data=[embedding(t, EMBEDDING_DIMS) for t in texts])
    return out
