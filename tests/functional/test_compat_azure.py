"""Compat over Azure OpenAI: `azure-openai/{resource}/{deployment}`, resource held to grammar."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.fakes.credentials import AZURE_OPENAI_KEY
from tests.fakes.upstreams import azure_openai

GATEWAY = {"id": "az", "cache_invalidate_on_update": False, "cache_ttl": 0,
           "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0}


@pytest.fixture
def azure(gateway_env, management, account, admin_headers) -> Iterator[azure_openai.FakeUpstream]:
    base = f"/client/v4/accounts/{account}/ai-gateway/gateways"
    assert management.post(base, json=GATEWAY, headers=admin_headers).status_code == 200
    with azure_openai.create(deployments={"gpt-4o"}) as fake:
        gateway_env.upstream(fake)
        yield fake


def chat(compat: TestClient, account: str, model: str):  # noqa: ANN201
    return compat.post(f"/v1/{account}/az/compat/chat/completions",
                       headers={"Authorization": f"Bearer {AZURE_OPENAI_KEY}"},
                       json={"model": model, "messages": [{"role": "user", "content": "hi"}]})


def test_chat_reaches_the_deployment_with_api_key_and_version(azure, compat, account):
    resp = chat(compat, account, "azure-openai/myres/gpt-4o")
    assert resp.status_code == 200, resp.text
    assert resp.json()["object"] == "chat.completion"
    sent = azure.recorder.last
    assert sent.path == "/openai/deployments/gpt-4o/chat/completions"
    assert "api-version=2024-10-21" in sent.query
    assert sent.headers["api-key"] == AZURE_OPENAI_KEY and "authorization" not in sent.headers


@pytest.mark.parametrize("model", ["azure-openai/evil.com%2F/gpt-4o", "azure-openai/a@b/gpt-4o",
                                   "azure-openai/onlyresource"])
def test_bad_resource_or_shape_is_a_400_and_nothing_is_sent(azure, compat, account, model):
    resp = chat(compat, account, model)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == 2008
    assert azure.recorder.requests == []
