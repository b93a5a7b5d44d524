"""aigw's own tokens never reach a provider (aigw/own_tokens.py).

The fault this pins: deployed, the data plane could not read the admin secret, so an admin token
sent as a compat `api_key` was forwarded upstream as if it were a provider key. Every upstream
request the fakes record here is searched for the admin token (the canary) and for gateway
tokens, on passthrough (every place a provider credential goes), universal and compat. A valid
token stands in for `cf-aig-authorization` and the stored key is used; any other value in aigw's
token formats is 401 in the surface's shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from aigw_local.functions import load_function_module
from tests.conftest import ADMIN_TOKEN
from tests.fakes.credentials import (
    ANTHROPIC_KEY,
    GOOGLE_AI_STUDIO_KEY,
    OPENAI_KEY,
)
from tests.fakes.upstreams.common import FakeUpstream
from tests.functional.inference_support import (
    GATEWAY,
    api,
    assert_gateway_error,
    gw_path,
    make_gateway,
    store_key,
)

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
FORGED_GATEWAY_TOKEN = "aigw_" + "0" * 32 + "_" + "A" * 43
FORGED_ADMIN_TOKEN = "aigw-admin-not-the-real-one"


def leaked(fake: FakeUpstream, *secrets: str) -> list[str]:
    """Every recorded upstream request part that carries one of `secrets`."""
    found = []
    for r in fake.recorder.requests:
        parts = [r.query, r.body.decode("utf-8", "replace"),
                 *(f"{k}: {v}" for k, v in r.raw_headers), *r.headers.values()]
        found += [p for p in parts for s in secrets if s in p]
    return found


def run_token(management: TestClient, account: str, admin: dict[str, str],
              gateways: list[str] | None = None) -> str:
    resp = management.post(api(account, "/tokens"), headers=admin,
                           json={"name": "ci", "permissions": ["run"], "gateways": gateways})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["result"]["value"])


@pytest.fixture
def compat(local_stack: object) -> Any:
    with TestClient(load_function_module("compat").app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("header", ["authorization", "x-api-key", "api-key", "x-goog-api-key"])
def test_admin_token_in_any_credential_header_is_not_forwarded(
        inference, management, admin_headers, account, gateway, oai, header):
    store_key(management, account, admin_headers, "openai", OPENAI_KEY)
    value = f"Bearer {ADMIN_TOKEN}" if header == "authorization" else ADMIN_TOKEN
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={header: value})
    assert resp.status_code == 200, resp.text
    assert oai.recorder.last.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert leaked(oai, ADMIN_TOKEN) == []


def test_admin_token_as_anthropic_key_uses_the_stored_key(
        inference, management, admin_headers, account, gateway, claude):
    store_key(management, account, admin_headers, "anthropic", ANTHROPIC_KEY)
    resp = inference.post(gw_path(account, "anthropic", "/v1/messages"),
                          headers={"x-api-key": ADMIN_TOKEN},
                          json={"model": "claude-sonnet-4-5", "max_tokens": 16,
                                "messages": [{"role": "user", "content": "hi"}]})
    assert resp.status_code == 200, resp.text
    assert claude.recorder.last.headers["x-api-key"] == ANTHROPIC_KEY
    assert leaked(claude, ADMIN_TOKEN) == []


def test_admin_token_in_the_query_is_not_forwarded(
        inference, management, admin_headers, account, gateway, upstreams):
    fake = upstreams.use("google-ai-studio")
    store_key(management, account, admin_headers, "google-ai-studio", GOOGLE_AI_STUDIO_KEY)
    resp = inference.post(
        gw_path(account, "google-ai-studio",
                f"/v1beta/models/gemini-2.5-flash:generateContent?key={ADMIN_TOKEN}"),
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    assert resp.status_code == 200, resp.text
    assert leaked(fake, ADMIN_TOKEN) == []
    assert GOOGLE_AI_STUDIO_KEY in fake.recorder.last.headers.get("x-goog-api-key", "")


def test_gateway_token_as_provider_key_authenticates_and_is_not_forwarded(
        inference, management, admin_headers, account, oai):
    make_gateway(management, account, admin_headers, authentication=True)
    store_key(management, account, admin_headers, "openai", OPENAI_KEY)
    token = run_token(management, account, admin_headers)
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={"authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text  # it authenticated the gateway
    assert leaked(oai, token) == []


@pytest.mark.parametrize("value", [FORGED_GATEWAY_TOKEN, FORGED_ADMIN_TOKEN])
def test_unrecognised_aigw_token_is_401_and_nothing_is_sent(
        inference, management, admin_headers, account, gateway, oai, value):
    store_key(management, account, admin_headers, "openai", OPENAI_KEY)
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={"authorization": f"Bearer {value}"})
    message = assert_gateway_error(resp, 401, 2009)
    assert value not in message and value not in resp.text
    assert oai.recorder.requests == []


def test_run_token_of_another_account_is_401(inference, management, admin_headers, account,
                                              gateway, oai):
    token = run_token(management, account + "x", admin_headers)
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={"authorization": f"Bearer {token}"})
    assert_gateway_error(resp, 401, 2009)
    assert oai.recorder.requests == []


def test_run_token_for_another_gateway_is_401_where_authentication_is_on(
        inference, management, admin_headers, account, oai):
    make_gateway(management, account, admin_headers, authentication=True)
    token = run_token(management, account, admin_headers, gateways=["elsewhere"])
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={"authorization": f"Bearer {token}"})
    assert_gateway_error(resp, 401, 2009)
    assert oai.recorder.requests == []


def test_universal_step_headers_never_carry_the_admin_token_upstream(
        inference, management, admin_headers, account, gateway, oai):
    store_key(management, account, admin_headers, "openai", OPENAI_KEY)
    steps = [{"provider": "openai", "endpoint": "chat/completions", "query": CHAT,
              "headers": {"authorization": f"Bearer {ADMIN_TOKEN}"}}]
    resp = inference.post(f"/v1/{account}/{GATEWAY}", json=steps,
                          headers={"x-api-key": ADMIN_TOKEN})
    assert resp.status_code == 200, resp.text
    assert oai.recorder.last.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert leaked(oai, ADMIN_TOKEN) == []


def test_compat_admin_token_as_api_key_uses_the_stored_key(
        compat, management, admin_headers, account, gateway, oai):
    store_key(management, account, admin_headers, "openai", OPENAI_KEY)
    resp = compat.post(f"/v1/{account}/{GATEWAY}/compat/chat/completions",
                       headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
                       json={**CHAT, "model": "openai/gpt-4o-mini"})
    assert resp.status_code == 200, resp.text
    assert oai.recorder.last.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert leaked(oai, ADMIN_TOKEN) == []


@pytest.mark.parametrize("value", [FORGED_GATEWAY_TOKEN, FORGED_ADMIN_TOKEN])
def test_compat_unrecognised_aigw_token_is_401_in_openai_shape(
        compat, management, admin_headers, account, gateway, oai, value):
    store_key(management, account, admin_headers, "openai", OPENAI_KEY)
    resp = compat.post(f"/v1/{account}/{GATEWAY}/compat/chat/completions",
                       headers={"authorization": f"Bearer {value}"},
                       json={**CHAT, "model": "openai/gpt-4o-mini"})
    assert resp.status_code == 401, resp.text
    error = resp.json()["error"]
    assert error["type"] == "authentication_error" and value not in error["message"]
    assert oai.recorder.requests == []
