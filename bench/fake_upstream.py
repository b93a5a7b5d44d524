"""A deliberately cheap OpenAI-shaped upstream for benchmarks (raw ASGI, no framework).

`POST .../chat/completions` answers a fixed completion; with `"stream": true` it sends
`BENCH_CHUNKS` SSE chunks `BENCH_CHUNK_GAP_MS` apart, so time-to-first-byte is measurable.
"""

from __future__ import annotations

import asyncio
import json
import os

COMPLETION = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1764000000,
    "model": "gpt-5-mini", "system_fingerprint": "fp_bench",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"},
                 "finish_reason": "stop", "logprobs": None}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
}).encode()
ANTHROPIC_MESSAGE = json.dumps({
    "id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "pong"}], "stop_reason": "end_turn",
    "stop_sequence": None, "usage": {"input_tokens": 9, "output_tokens": 1},
}).encode()
CHUNKS = int(os.environ.get("BENCH_CHUNKS", "5"))
GAP = float(os.environ.get("BENCH_CHUNK_GAP_MS", "50")) / 1000


async def app(scope, receive, send):  # noqa: ANN001, ANN201 - raw ASGI
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path.endswith("/v1/messages"):
        await _json(send, ANTHROPIC_MESSAGE)
        return
    if b'"stream":true' in body.replace(b" ", b""):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        for i in range(CHUNKS):
            chunk = {"id": "chatcmpl-bench", "object": "chat.completion.chunk",
                     "created": 1764000000, "model": "gpt-5-mini",
                     "choices": [{"index": 0, "delta": {"content": f"t{i}"},
                                  "finish_reason": None}]}
            await send({"type": "http.response.body", "more_body": True,
                        "body": b"data: " + json.dumps(chunk).encode() + b"\n\n"})
            await asyncio.sleep(GAP)
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})
        return
    await _json(send, COMPLETION)


async def _json(send, payload: bytes) -> None:  # noqa: ANN001
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
