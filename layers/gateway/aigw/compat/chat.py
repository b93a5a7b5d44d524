"""`POST /compat/chat/completions`: OpenAI chat over any provider.

OpenAI-shaped providers get the body with `model` rewritten and their answer relayed byte for
byte. Others go through their `ChatTranslation`: the request is translated, the response parsed,
and a stream translated event by event as it arrives, ending in `data: [DONE]` — or, if the
upstream fails midway, in an error event and no `[DONE]` (never a fake `stop`).
"""

from __future__ import annotations

import logging
from typing import Any, AsyncIterator

from starlette.responses import JSONResponse, Response, StreamingResponse

from aigw.compat.errors import upstream_error
from aigw.compat.upstream_call import parse_body, prepare, send_call
from aigw.costs import estimate_cost, price_of
from aigw.errors import GatewayError
from aigw.forwarding import response_headers
from aigw.logs import LogRecord
from aigw.pipeline import relay
from aigw.providers.spec import ChatTranslation, UpstreamCall
from aigw.streams import SSE_DONE, aws_events, sse_events, sse_frame
from aigw.upstream import UpstreamResponse, body_chunks, read_json

logger = logging.getLogger("aigw")


def record_usage(log: LogRecord, usage: Any, custom: dict[str, float] | None) -> None:
    """Tokens and the cost estimate (or the client's `cf-aig-custom-cost`) onto the log."""
    if isinstance(usage, dict):
        log.tokens_in = usage.get("prompt_tokens", log.tokens_in)
        log.tokens_out = usage.get("completion_tokens", log.tokens_out)
        log.cost = estimate_cost(price_of(log.provider or "", log.model or ""), usage, custom)
        log.custom_cost = custom is not None


async def chat_completions(account_id: str, gateway_id: str, headers: dict[str, str],
                           raw_body: bytes, log: LogRecord) -> Response:
    body = parse_body(raw_body)
    ctx, ref = prepare(account_id, gateway_id, headers, body.get("model"), log)
    log.model_type = "chat"
    chat = ctx.provider.chat
    stream = bool(body.get("stream"))
    if chat is None:
        call = UpstreamCall(path=ctx.provider.chat_path, body={**body, "model": ref.model},
                            stream=stream)
    else:
        call = chat.build_request(body, ref.model)
    resp = await send_call(ctx, call)
    if resp.status >= 400:
        return await upstream_error(resp, ctx.provider)
    extra = {"cf-aig-provider": ctx.provider.slug, "cf-aig-model": ref.model}
    if chat is None:
        return StreamingResponse(relay(resp), status_code=resp.status,
                                 headers={**dict(response_headers(resp.headers.items())),
                                          **extra})
    if call.stream:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(translate_stream(chat, resp, ref.model, include_usage, log,
                                                  ctx.options.custom_cost),
                                 media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", **extra})
    result = chat.parse_response(await read_json(resp), ref.model)
    record_usage(log, result.get("usage"), ctx.options.custom_cost)
    return JSONResponse(result, headers=extra)


async def translate_stream(chat: ChatTranslation, resp: UpstreamResponse, model: str,
                           include_usage: bool, log: LogRecord,
                           custom: dict[str, float] | None) -> AsyncIterator[bytes]:
    state = chat.new_stream_state(model, include_usage)
    decode = aws_events if chat.stream_framing == "aws-eventstream" else sse_events
    try:
        async for event in decode(body_chunks(resp)):
            for chunk in chat.parse_stream_event(state, event):
                record_usage(log, chunk.get("usage"), custom)
                yield sse_frame(chunk)
        for chunk in chat.finish_stream(state):
            record_usage(log, chunk.get("usage"), custom)
            yield sse_frame(chunk)
        yield SSE_DONE
    except Exception as e:  # noqa: BLE001 - a stream boundary: whatever broke, tell the client
        log.success = False
        message = e.message if isinstance(e, GatewayError) else (
            "the gateway could not translate the upstream stream")
        if not isinstance(e, GatewayError):
            logger.error("stream translation failed: %s", type(e).__name__)
        error_type = e.openai_type if isinstance(e, GatewayError) else "api_error"
        yield sse_frame({"error": {"message": message, "type": error_type,
                                   "code": getattr(e, "status", 502), "param": None}})
    finally:
        resp.release()
