"""The universal endpoint: `POST /v1/{account}/{gateway}` with ordered steps, first success wins.

Each step is a provider-native request (`provider`, `endpoint`, `headers`, `query` = body,
`config` = retry/timeout settings). A step that fails — a gateway error, a timeout, or any
non-2xx upstream answer — hands over to the next; the last step's answer is returned as it is.
`cf-aig-step` (added by the request-context middleware from the log record) names the step
that answered. Precedence: step headers > request headers.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from aigw.config import get_settings
from aigw.errors import GatewayError, InvalidRequest
from aigw.forwarding import HEADER_NAME, combined, unsendable_value
from aigw.gateways import load_gateway
from aigw.json_input import parse_json
from aigw.logs import LogRecord
from aigw.pipeline import Incoming, passthrough
from aigw.validation import problems_from

_CONFIG_HEADERS = {"requestTimeout": "cf-aig-request-timeout", "maxAttempts": "cf-aig-max-attempts",
                   "retryDelay": "cf-aig-retry-delay", "backoff": "cf-aig-backoff"}


class Step(BaseModel):
    model_config = ConfigDict(extra="ignore")

    provider: str = Field(min_length=1, max_length=128)
    endpoint: str = Field(min_length=1, max_length=2048)
    headers: dict[str, str] = {}
    query: Any = None
    config: dict[str, int | str] = {}

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not HEADER_NAME.fullmatch(name):
                raise ValueError("header names must be HTTP tokens")
            if unsendable_value(value):
                raise ValueError(f"header '{name}' has line breaks or control characters")
        return headers

    @field_validator("endpoint")
    @classmethod
    def _plain_endpoint(cls, endpoint: str) -> str:
        if unsendable_value(endpoint) or " " in endpoint:
            raise ValueError("must be a path without spaces or control characters")
        return endpoint


def parse_steps(raw: bytes) -> list[Step]:
    try:
        data = parse_json(raw)
    except ValueError as e:
        raise InvalidRequest("the universal endpoint takes a JSON array of steps") from e
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise InvalidRequest("the universal endpoint takes a non-empty JSON array of steps")
    most = get_settings().universal_max_steps
    if len(data) > most:
        # Each step can be an upstream call: one request must not fan out without bound.
        raise InvalidRequest(f"the universal endpoint takes at most {most} steps")
    steps = []
    from pydantic import ValidationError

    for i, item in enumerate(data):
        try:
            steps.append(Step.model_validate(item))
        except ValidationError as e:
            first = problems_from(e, (i,))[0]
            raise InvalidRequest(f"step {'.'.join(map(str, first.path))}: {first.message}") from e
    return steps


def step_request(step: Step, account_id: str, gateway_id: str,
                 headers: list[tuple[str, str]]) -> Incoming:
    endpoint, _, query = step.endpoint.lstrip("/").partition("?")
    merged = combined((k, v) for k, v in headers if k.lower() != "content-length")
    for key, header in _CONFIG_HEADERS.items():
        if key in step.config:
            merged[header] = str(step.config[key])
    merged.update({k.lower(): v for k, v in step.headers.items()})
    body = b"" if step.query is None else json.dumps(step.query).encode()
    if body:
        merged.setdefault("content-type", "application/json")
    return Incoming(method="POST", account_id=account_id, gateway_id=gateway_id,
                    provider=step.provider, rest="/" + endpoint, query=query,
                    headers=list(merged.items()), body=body)


async def universal(account_id: str, gateway_id: str, headers: list[tuple[str, str]],
                    raw_body: bytes, log: LogRecord) -> Response:
    steps = parse_steps(raw_body)
    # Unknown gateway / bad gateway token fail every step alike: answer before the first step.
    # (Checked here, not by error code: a missing provider credential is also 401/2009, and
    # that one is a step's own failure, which the next step may not share.)
    log.account_id, log.gateway_id = account_id, gateway_id
    load_gateway(account_id, gateway_id, {k.lower(): v for k, v in headers})
    last = len(steps) - 1
    for index, step in enumerate(steps):
        log.step = index
        try:
            response = await passthrough(step_request(step, account_id, gateway_id, headers), log)
        except GatewayError:
            if index == last:
                raise
            continue
        if response.status_code < 400 or index == last:
            return response
        await response.body_iterator.aclose()  # type: ignore[attr-defined]
    raise AssertionError("unreachable: the last step always answers")
