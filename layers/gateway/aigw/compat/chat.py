"""`POST /compat/chat/completions`: OpenAI chat over any provider.

OpenAI-shaped providers get the body with `model` rewritten and their answer relayed byte for
byte. Others go through their `ChatTranslation`: the request is translated, the response parsed,
and a stream translated event by event as it arrives, ending in `data: [DONE]` — or, if the
upstream fails midway, in an error event and no `[DONE]` (never a fake `stop`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing

from starlette.responses import Response

from aigw.compat.errors import upstream_error
from aigw.compat.upstream_call import open_compat, parse_body, send_call
from aigw.errors import GatewayError
from aigw.forwarding import response_headers
from aigw.logs import LogRecord
from aigw.pipeline import Answer, is_stream, json_answer, relay, run
from aigw.providers.spec import Provider, UpstreamCall
from aigw.stream_usage import ask_in_body, hide_usage, wants_usage
from aigw.streams import SSE_DONE, aws_events, sse_events, sse_frame
from aigw.upstream import UpstreamResponse, body_chunks, read_json
from aigw.usage import record_openai_usage, usage_tap

logger = logging.getLogger("aigw")
SSE_HEADERS = [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")]


async def chat_completions(account_id: str, gateway_id: str, headers: dict[str, str],
                           raw_body: bytes, log: LogRecord) -> Response:
    body = parse_body(raw_body)
    ex, ref = open_compat(account_id, gateway_id, headers, body.get("model"), log)
    log.model_type = "chat"
    chat = ex.provider.chat
    custom = ex.options.custom_cost
    hide = False
    if chat is None:
        upstream_body = {**body, "model": ref.model}
        # Ask for the stream's usage (and hide the answer's extra parts) when the client did not.
        hide = ex.provider.stream_usage_option and wants_usage(upstream_body)
        call = UpstreamCall(path=ex.provider.chat_path,
                            body=ask_in_body(upstream_body) if hide else upstream_body,
                            stream=bool(body.get("stream")))
    else:
        call = chat.build_request(body, ref.model)
    extra = [("cf-aig-provider", ex.provider.slug), ("cf-aig-model", ref.model)]

    async def translate(resp: UpstreamResponse) -> Answer:
        if resp.status >= 400:
            return await upstream_error(resp, ex.provider)
        if chat is None:
            content_type = resp.headers.get("content-type")
            relayed = usage_tap(relay_or_error_event(resp, call.stream, log), resp.headers,
                                ex.provider, log, custom)
            if hide:
                relayed = hide_usage(relayed)
            return Answer(resp.status, [*response_headers(resp.headers.items()), *extra],
                          relayed, is_stream(content_type))
        if call.stream:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return Answer(200, [*SSE_HEADERS, *extra],
                          translate_stream(ex.provider, resp, ref.model, include_usage, log,
                                           custom),
                          stream=True)
        result = chat.parse_response(await read_json(resp), ref.model)
        record_openai_usage(log, ex.provider, result.get("usage"), custom)
        return json_answer(200, result, extra)

    return await run(ex, "POST", "/compat/chat/completions", raw_body,
                     lambda: send_call(ex, call), translate)


async def translate_stream(provider: Provider, resp: UpstreamResponse, model: str,
                           include_usage: bool, log: LogRecord,
                           custom: dict[str, float] | None) -> AsyncGenerator[bytes, None]:
    chat = provider.chat
    assert chat is not None
    state = chat.new_stream_state(model, include_usage)
    decode = aws_events if chat.stream_framing == "aws-eventstream" else sse_events
    try:
        async for event in decode(body_chunks(resp)):
            for chunk in chat.parse_stream_event(state, event):
                record_openai_usage(log, provider, chunk.get("usage"), custom)
                yield sse_frame(chunk)
        # The state keeps the usage whether or not the client asked for the usage chunk.
        record_openai_usage(log, provider, getattr(state, "usage", None), custom)
        for chunk in chat.finish_stream(state):
            record_openai_usage(log, provider, chunk.get("usage"), custom)
            yield sse_frame(chunk)
        yield SSE_DONE
    except Exception as e:  # noqa: BLE001 - a stream boundary: whatever broke, tell the client
        log.success = False
        if not isinstance(e, GatewayError):
            logger.error("stream translation failed: %s", type(e).__name__)
            e = GatewayError("the gateway could not translate the upstream stream")
        yield error_frame(e)
    finally:
        resp.release()


async def relay_or_error_event(resp: UpstreamResponse, stream: bool,
                               log: LogRecord) -> AsyncGenerator[bytes, None]:
    """OpenAI-shaped answers pass through as they are; a stream that breaks midway gets an
    OpenAI error event (as translated streams do) instead of a silently cut connection.

    Streams are passed on whole events at a time (up to the last blank line received), so a
    half event left by a broken connection is dropped rather than glued to the error event.
    """
    pending = b""
    try:
        async with aclosing(relay(resp)) as chunks:
            async for chunk in chunks:
                if not stream:
                    yield chunk
                    continue
                pending += chunk
                cut = max(pending.rfind(b"\n\n"), pending.rfind(b"\r\n\r\n"))
                if cut >= 0:
                    end = cut + (4 if pending[cut:cut + 4] == b"\r\n\r\n" else 2)
                    yield pending[:end]
                    pending = pending[end:]
        if pending:
            yield pending
    except GatewayError as e:
        if not stream:
            raise
        log.success = False
        yield error_frame(e)


def error_frame(e: GatewayError) -> bytes:
    return sse_frame({"error": {"message": e.message, "type": e.openai_type,
                                "code": e.status, "param": None}})
