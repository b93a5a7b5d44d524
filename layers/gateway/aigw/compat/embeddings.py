"""`POST /compat/embeddings`: OpenAI embeddings over providers that have them."""

from __future__ import annotations

import base64
import struct
from typing import Any

from starlette.responses import JSONResponse, Response

from aigw.compat.errors import upstream_error
from aigw.compat.upstream_call import parse_body, prepare, send_call
from aigw.errors import InvalidRequest
from aigw.logs import LogRecord
from aigw.pipeline import relay, relayed
from aigw.providers.spec import UpstreamCall
from aigw.upstream import read_json
from aigw.usage import record_openai_usage, usage_tap


async def embeddings(account_id: str, gateway_id: str, headers: dict[str, str], raw_body: bytes,
                     log: LogRecord) -> Response:
    body = parse_body(raw_body)
    ctx, ref = prepare(account_id, gateway_id, headers, body.get("model"), log)
    log.model_type = "embedding"
    translation = ctx.provider.embeddings
    if translation is not None:
        call = translation.build_request(body, ref.model)
    elif ctx.provider.embeddings_path and ctx.provider.chat is None:
        call = UpstreamCall(path=ctx.provider.embeddings_path, body={**body, "model": ref.model})
    else:
        raise InvalidRequest(f"provider '{ctx.provider.slug}' has no embeddings on compat",
                             param="model")
    resp = await send_call(ctx, call)
    if resp.status >= 400:
        return await upstream_error(resp, ctx.provider)
    if translation is None:
        return relayed(resp, usage_tap(relay(resp), resp.headers, ctx.provider, log,
                                       ctx.options.custom_cost))
    result = translation.parse_response(await read_json(resp), ref.model)
    if body.get("encoding_format") == "base64":
        result = as_base64(result)
    record_openai_usage(log, ctx.provider, result.get("usage"), ctx.options.custom_cost)
    return JSONResponse(result)


def as_base64(result: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's base64 encoding: little-endian float32 vectors (what SDKs decode by default)."""
    data = []
    for item in result.get("data", []):
        vector = item.get("embedding")
        if isinstance(vector, list):
            packed = struct.pack(f"<{len(vector)}f", *vector)
            item = {**item, "embedding": base64.b64encode(packed).decode()}
        data.append(item)
    return {**result, "data": data}
