"""Replays the inference and compat events through their functions' Mangum handlers.

The deployed functions stream through the Web Adapter; `handler` is the same app through
Mangum, so a replayed event must still get the whole answer, headers included.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.upstreams import openai
from tests.functional.test_events_replay import ACCOUNT, GATEWAY, replay

GATEWAY_BODY = {"id": GATEWAY, "cache_invalidate_on_update": False, "cache_ttl": 0,
                "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0}


@pytest.fixture
def openai_upstream(gateway_env, management, admin_headers) -> Iterator[openai.FakeUpstream]:
    url = f"/client/v4/accounts/{ACCOUNT}/ai-gateway/gateways"
    management.delete(f"{url}/{GATEWAY}", headers=admin_headers)
    assert management.post(url, json=GATEWAY_BODY, headers=admin_headers).status_code == 200
    with openai.create() as fake:
        gateway_env.upstream(fake)
        yield fake
    management.delete(f"{url}/{GATEWAY}", headers=admin_headers)


def test_passthrough_event_gets_the_upstream_answer(openai_upstream):
    r = replay("inference-openai-chat-completions", "inference")
    assert r.status == 200, r.body
    assert r.body["object"] == "chat.completion" and r.body["choices"][0]["message"]["content"]
    assert len(r.headers["cf-aig-log-id"]) == 26
    sent = openai_upstream.recorder.last
    assert sent.path == "/v1/chat/completions"
    assert "cf-aig-authorization" not in sent.headers


def test_universal_event_answers_from_its_first_step(openai_upstream):
    r = replay("inference-universal", "inference")
    assert r.status == 200, r.body
    assert r.headers["cf-aig-step"] == "0"
    assert r.body["object"] == "chat.completion"


def test_compat_event_rewrites_the_model_and_answers_openai_shaped(openai_upstream):
    r = replay("compat-chat-completions", "compat")
    assert r.status == 200, r.body
    assert r.body["choices"][0]["message"]["role"] == "assistant"
    assert openai_upstream.recorder.last.json()["model"] == "gpt-4o-mini"


def test_unknown_gateway_event_is_the_cloudflare_envelope(gateway_env, management, admin_headers):
    management.delete(f"/client/v4/accounts/{ACCOUNT}/ai-gateway/gateways/{GATEWAY}",
                      headers=admin_headers)
    r = replay("inference-openai-chat-completions", "inference")
    assert r.status == 400
    assert r.body == {"success": False, "result": [], "messages": [],
                      "error": [{"code": 2001, "message": f"gateway '{GATEWAY}' does not exist"}],
                      "name": "AiGatewayError", "httpCode": 400, "internalCode": 2001}
