"""Stored logs end to end: requests through the local server (`make dev`'s process, which runs
the ingest code in-process) become records that the official `cloudflare` SDK reads back.

Each test uses its own unauthenticated gateway in the SDK stack's account, in front of the fake
OpenAI upstream, with the provider key on the request.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import cloudflare
import httpx
import pytest
from cloudflare import Cloudflare

from tests.e2e.sdk_stack import SdkStack
from tests.fakes import credentials

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture
def gw(stack: SdkStack) -> str:
    gateway_id = f"logs-{uuid.uuid4().hex[:10]}"
    stack.manage("POST", "/gateways", {
        "id": gateway_id, "cache_ttl": 0, "collect_logs": True, "rate_limiting_interval": 0,
        "rate_limiting_limit": 0, "cache_invalidate_on_update": False})
    return gateway_id


@pytest.fixture
def cf(stack: SdkStack) -> Cloudflare:
    return Cloudflare(api_token=stack.gateway.admin_token,
                      base_url=f"{stack.gateway.base_url}/client/v4", max_retries=0)


@pytest.fixture
def http() -> httpx.Client:
    return httpx.Client(timeout=30)


def chat_url(stack: SdkStack, gateway_id: str) -> str:
    return f"{stack.gateway.base_url}/v1/{stack.account}/{gateway_id}/openai/chat/completions"


def send(http: httpx.Client, stack: SdkStack, gateway_id: str, body: Any = None,
         **headers: str) -> httpx.Response:
    resp = http.post(chat_url(stack, gateway_id), json=body or CHAT,
                     headers={"Authorization": f"Bearer {credentials.OPENAI_KEY}", **headers})
    assert resp.status_code == 200, resp.text
    return resp


def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Retry `check` until it returns something truthy (ingest runs right after the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def stored(cf: Cloudflare, stack: SdkStack, gateway_id: str, log_id: str) -> Any:
    def get() -> Any:
        try:
            return cf.ai_gateway.logs.get(log_id, account_id=stack.account,
                                          gateway_id=gateway_id)
        except cloudflare.NotFoundError:
            return None
    found = eventually(get)
    assert found is not None, f"log {log_id} was not stored"
    return found


def test_a_thousand_requests_give_a_thousand_records(stack: SdkStack, gw: str, cf: Cloudflare,
                                                     http: httpx.Client) -> None:
    ids = [send(http, stack, gw).headers["cf-aig-log-id"] for _ in range(1000)]
    assert len(set(ids)) == 1000

    def total() -> int:
        page = cf.ai_gateway.logs.list(gw, account_id=stack.account, per_page=1)
        info = page.result_info
        return info.total_count if info and info.total_count == 1000 else 0
    assert eventually(total, timeout=60) == 1000
    # Local ingest bumps the count before it puts the items of a batch (the count carries the
    # STOP_INSERTING condition), so the newest items may trail the count for a moment.
    # Iterating the SDK's page object walks every page.
    newest_first = list(reversed(ids))

    def listed() -> list[str]:
        return [item.id for item in cf.ai_gateway.logs.list(gw, account_id=stack.account,
                                                            per_page=50)]
    eventually(lambda: listed() == newest_first, timeout=30)
    assert listed() == newest_first  # newest first, every one exactly once


def test_record_fields_bodies_and_event_id(stack: SdkStack, gw: str, cf: Cloudflare,
                                           http: httpx.Client) -> None:
    event = f"checkout-{uuid.uuid4().hex[:8]}"
    resp = send(http, stack, gw, **{"cf-aig-event-id": event,
                                    "cf-aig-metadata": json.dumps({"user": "u-1", "n": 3}),
                                    "user-agent": "logs-e2e/1.0"})
    assert resp.headers["cf-aig-event-id"] == event
    log_id = resp.headers["cf-aig-log-id"]
    got = stored(cf, stack, gw, log_id)
    assert got.provider == "openai" and got.model == "gpt-4o-mini" and got.success is True
    assert got.status_code == 200 and got.tokens_in and got.tokens_out
    assert json.loads(got.metadata or "") == {"user": "u-1", "n": 3}
    assert got.request_head_complete is True and json.loads(got.request_head or "") == CHAT
    assert got.response_size == len(resp.content)
    extra = got.model_extra or {}
    assert extra["user_agent"] == "logs-e2e/1.0" and extra["method"] == "POST"
    assert extra["time_to_first_byte"] is not None and extra["time_to_first_byte"] <= got.duration
    assert cf.ai_gateway.logs.request(log_id, account_id=stack.account, gateway_id=gw) == CHAT
    answer = cf.ai_gateway.logs.response(log_id, account_id=stack.account, gateway_id=gw)
    assert answer == resp.json()
    by_event = cf.ai_gateway.logs.list(gw, account_id=stack.account, filters=[
        {"key": "event_id", "operator": "eq", "value": [event]}])
    assert [item.id for item in by_event.result] == [log_id]


def test_payload_off_stores_no_bodies_and_collect_off_no_record(
        stack: SdkStack, gw: str, cf: Cloudflare, http: httpx.Client) -> None:
    quiet = send(http, stack, gw, **{"cf-aig-collect-log-payload": "false"})
    none = send(http, stack, gw, **{"cf-aig-collect-log": "false"})
    last = send(http, stack, gw)
    stored(cf, stack, gw, last.headers["cf-aig-log-id"])
    got = stored(cf, stack, gw, quiet.headers["cf-aig-log-id"])
    assert got.request_head is None and got.response_head is None
    assert got.tokens_in and got.request_size == len(quiet.request.content)
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.logs.request(got.id, account_id=stack.account, gateway_id=gw)
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.logs.get(none.headers["cf-aig-log-id"], account_id=stack.account,
                               gateway_id=gw)
    ids = {item.id for item in cf.ai_gateway.logs.list(gw, account_id=stack.account)}
    assert ids == {quiet.headers["cf-aig-log-id"], last.headers["cf-aig-log-id"]}


def test_streamed_answer_is_stored_as_sent(stack: SdkStack, gw: str, cf: Cloudflare,
                                           http: httpx.Client) -> None:
    resp = send(http, stack, gw, {**CHAT, "stream": True})
    got = stored(cf, stack, gw, resp.headers["cf-aig-log-id"])
    assert got.response_content_type and "event-stream" in got.response_content_type
    assert got.response_head == resp.text and got.response_head_complete is True


def test_universal_step_keys_never_reach_a_record(stack: SdkStack, gw: str, cf: Cloudflare,
                                                  http: httpx.Client) -> None:
    steps = [{"provider": "openai", "endpoint": "chat/completions", "query": CHAT,
              "headers": {"Authorization": f"Bearer {credentials.OPENAI_KEY}",
                          "x-canary": stack.canary}}]
    resp = http.post(f"{stack.gateway.base_url}/v1/{stack.account}/{gw}", json=steps)
    assert resp.status_code == 200, resp.text
    got = stored(cf, stack, gw, resp.headers["cf-aig-log-id"])
    head = got.request_head or ""
    assert credentials.OPENAI_KEY not in head and stack.canary not in head
    kept = json.loads(head)
    assert kept[0]["query"] == CHAT and set(kept[0]["headers"]) == {"Authorization", "x-canary"}
