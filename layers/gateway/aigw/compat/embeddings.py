"""`POST /compat/embeddings`: OpenAI embeddings over providers that have them."""

from __future__ import annotations

import base64
import struct
from typing import Any

from starlette.responses import Response

from aigw.compat.errors import upstream_error
from aigw.compat.upstream_call import open_compat, parse_body, send_call
from aigw.errors import InvalidRequest
from aigw.forwarding import response_headers
from aigw.logs import LogRecord
from aigw.pipeline import Answer, json_answer, relay, run
from aigw.providers.spec import UpstreamCall
from aigw.upstream import UpstreamResponse, read_json
from aigw.usage import record_openai_usage, usage_tap


async def embeddings(account_id: str, gateway_id: str, headers: dict[str, str], raw_body: bytes,
                     log: LogRecord) -> Response:
    body = parse_body(raw_body)
    ex, ref = open_compat(account_id, gateway_id, headers, body.get("model"), log)
    log.model_type = "embedding"
    translation = ex.provider.embeddings
    if translation is not None:
        call = translation.build_request(body, ref.model)
    elif ex.provider.embeddings_path and ex.provider.chat is None:
        call = UpstreamCall(path=ex.provider.embeddings_path, body={**body, "model": ref.model})
    else:
        raise InvalidRequest(f"provider '{ex.provider.slug}' has no embeddings on compat",
                             param="model")

    async def translate(resp: UpstreamResponse) -> Answer:
        if resp.status >= 400:
            return await upstream_error(resp, ex.provider)
        if translation is None:
            return Answer(resp.status, response_headers(resp.headers.items()),
                          usage_tap(relay(resp), resp.headers, ex.provider, log,
                                    ex.options.custom_cost))
        result = translation.parse_response(await read_json(resp), ref.model)
        if body.get("encoding_format") == "base64":
            result = as_base64(result)
        record_openai_usage(log, ex.provider, result.get("usage"), ex.options.custom_cost)
        return json_answer(200, result)

    return await run(ex, "POST", "/compat/embeddings", raw_body, lambda: send_call(ex, call),
                     translate)


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
