"""Limits against the local server (`make dev`'s process, embedded moto): 200 concurrent
requests at a gateway limit of 50 let exactly 50 through, on passthrough and on compat; a
spend rule under concurrency overshoots by at most what was in flight."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.e2e.sdk_stack import SdkStack
from tests.fakes import credentials

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
KEY = {"Authorization": f"Bearer {credentials.OPENAI_KEY}"}


def new_gateway(stack: SdkStack, **settings: object) -> str:
    gateway_id = f"limits-{uuid.uuid4().hex[:10]}"
    stack.manage("POST", "/gateways", {
        "id": gateway_id, "cache_ttl": 0, "collect_logs": False, "rate_limiting_interval": 0,
        "rate_limiting_limit": 0, "cache_invalidate_on_update": False, **settings})
    return gateway_id


async def burst(url: str, body: dict[str, object], n: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        return list(await asyncio.gather(*(client.post(url, json=body, headers=KEY)
                                           for _ in range(n))))


def test_200_concurrent_at_a_limit_of_50_let_exactly_50_through(stack: SdkStack) -> None:
    gateway_id = new_gateway(stack, rate_limiting_limit=50, rate_limiting_interval=3600,
                             rate_limiting_technique="fixed")
    before = len(stack.openai.recorder.requests)
    base = f"{stack.gateway.base_url}/v1/{stack.account}/{gateway_id}"

    answers = asyncio.run(burst(f"{base}/openai/chat/completions", CHAT, 200))

    statuses = [r.status_code for r in answers]
    assert statuses.count(200) == 50 and statuses.count(429) == 150, statuses
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.json()["error"][0]["code"] == 2003 and int(refused.headers["retry-after"]) >= 1
    assert len(stack.openai.recorder.requests) - before == 50
    # The same counter covers compat: the gateway's budget is spent for every surface.
    compat = asyncio.run(burst(f"{base}/compat/chat/completions",
                               {**CHAT, "model": "openai/gpt-4o-mini"}, 5))
    assert [r.status_code for r in compat] == [429] * 5
    assert compat[0].json()["error"]["code"] == 2003


def test_spend_overshoot_is_bounded_by_the_requests_in_flight(stack: SdkStack) -> None:
    # One request costs ~2.6e-6 USD (gpt-4o-mini, the fake's usage). A limit just above zero:
    # every request admitted before the first charge lands is charged; none after it.
    rule = {"id": "5eed0001", "limit": 0.000001, "limitType": "cost", "window": 3600,
            "technique": "fixed"}
    gateway_id = new_gateway(stack, spend_limits={"enabled": True, "rules": [rule]})
    stack.openai.control.delay_first_byte_s = 0.3  # keep 20 requests in flight together
    try:
        url = f"{stack.gateway.base_url}/v1/{stack.account}/{gateway_id}/openai/chat/completions"
        first = asyncio.run(burst(url, CHAT, 20))
    finally:
        stack.openai.control.delay_first_byte_s = 0
    admitted = sum(r.status_code == 200 for r in first)
    assert 1 <= admitted <= 20  # the bound: at most the requests in flight at once
    later = asyncio.run(burst(url, CHAT, 3))
    assert [r.status_code for r in later] == [429] * 3
    body = later[0].json()
    assert body["error"][0]["code"] == 2041
    assert "Spend limit exceeded: rule '5eed0001'" in body["error"][0]["message"]
