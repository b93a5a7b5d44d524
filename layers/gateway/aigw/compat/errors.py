"""Upstream failures on compat, in OpenAI's error shape with the upstream's own message."""

from __future__ import annotations

from typing import Any

from aigw.json_input import parse_json
from aigw.pipeline import Answer, bytes_answer, json_answer
from aigw.providers.spec import Provider
from aigw.upstream import UpstreamResponse, read_body

_TYPE_BY_STATUS = {400: "invalid_request_error", 401: "authentication_error",
                   403: "permission_error", 404: "not_found_error", 409: "conflict_error",
                   422: "invalid_request_error", 429: "rate_limit_error"}


def _default_message(data: Any, text: str) -> str:
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
        if isinstance(err, str):
            return err
        for key in ("message", "detail", "Message"):
            if isinstance(data.get(key), str):
                return data[key]
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", text))
    return text[:2000] or "upstream error"


async def upstream_error(resp: UpstreamResponse, provider: Provider) -> Answer:
    raw = await read_body(resp)
    text = raw.decode("utf-8", "replace")
    try:
        data: Any = parse_json(raw)
    except ValueError:
        data = None
    if provider.chat is None and isinstance(data, dict) and isinstance(data.get("error"), dict):
        # Already OpenAI's shape (OpenAI-compatible upstream): pass it through unchanged.
        return bytes_answer(resp.status, raw)
    message = (provider.chat.error_message(resp.status, data) if provider.chat and data
               is not None else None) or _default_message(data, text)
    error_type = _TYPE_BY_STATUS.get(resp.status, "api_error" if resp.status >= 500
                                     else "invalid_request_error")
    body = {"error": {"message": message, "type": error_type, "code": resp.status,
                      "param": None}}
    return json_answer(resp.status, body)
