"""Authenticated gateways on the data plane: `cf-aig-authorization` with aigw's run tokens,
401/2009 for anything else, revocation within the config cache TTL, gateway `default` created
on its first authenticated request, and 400/2001 for every other unknown gateway."""

from __future__ import annotations

import time
from typing import Any

import pytest

from aigw.config import get_settings
from aigw.stores.config_store import build_config_store
from tests.conftest import ADMIN_TOKEN
from tests.fakes import credentials as keys
from tests.functional.inference_support import (
    api,
    assert_gateway_error,
    gw_path,
    make_gateway,
)

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
PROVIDER_KEY = {"authorization": f"Bearer {keys.OPENAI_KEY}"}


def issue(management, account: str, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    resp = management.post(api(account, "/tokens"),
                           json={"name": "ci", "permissions": ["run"], **body}, headers=admin)
    assert resp.status_code == 200, resp.text
    return resp.json()["result"]


def chat(inference, account: str, token: str | None, gateway: str = "gw") -> Any:
    headers = dict(PROVIDER_KEY)
    if token is not None:
        headers["cf-aig-authorization"] = f"Bearer {token}"
    return inference.post(gw_path(account, "openai", "/chat/completions", gateway), json=CHAT,
                          headers=headers)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer wrong-token",
                                    "Basic dXNlcjpwYXNz", f"Bearer {ADMIN_TOKEN}x",
                                    "Bearer aigw_" + "0" * 32 + "_" + "A" * 43])
def test_missing_or_wrong_token_is_401_2009(inference, management, admin_headers, account, oai,
                                            header):
    make_gateway(management, account, admin_headers, authentication=True)
    headers = dict(PROVIDER_KEY)
    if header is not None:
        headers["cf-aig-authorization"] = header

    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers=headers)

    assert_gateway_error(resp, 401, 2009)
    assert oai.recorder.requests == []


def test_run_token_opens_the_gateway_and_is_not_forwarded(inference, management, admin_headers,
                                                          account, oai):
    make_gateway(management, account, admin_headers, authentication=True)
    token = issue(management, account, admin_headers, gateways=["gw"])

    resp = chat(inference, account, token["value"])

    assert resp.status_code == 200, resp.text
    got = oai.recorder.last.headers
    assert "cf-aig-authorization" not in got
    assert token["value"] not in str(got)
    assert chat(inference, account, ADMIN_TOKEN).status_code == 200  # the admin token, too


@pytest.mark.parametrize("kind", ["other gateway", "read only", "other account"])
def test_tokens_that_do_not_grant_this_gateway_are_rejected(inference, management,
                                                            admin_headers, account, oai, kind):
    make_gateway(management, account, admin_headers, authentication=True)
    if kind == "other gateway":
        value = issue(management, account, admin_headers, gateways=["other-gw"])["value"]
    elif kind == "read only":
        value = issue(management, account, admin_headers, permissions=["read", "edit"])["value"]
    else:
        value = issue(management, account + "x", admin_headers)["value"]

    assert_gateway_error(chat(inference, account, value), 401, 2009)
    assert oai.recorder.requests == []


def test_revoked_token_stops_working(inference, management, admin_headers, account, oai):
    make_gateway(management, account, admin_headers, authentication=True)
    token = issue(management, account, admin_headers)
    assert chat(inference, account, token["value"]).status_code == 200

    revoked = management.delete(api(account, f"/tokens/{token['id']}"), headers=admin_headers)
    assert revoked.status_code == 200, revoked.text

    assert_gateway_error(chat(inference, account, token["value"]), 401, 2009)


def test_revocation_by_another_process_applies_after_the_config_cache_ttl(
        inference, management, admin_headers, gateway_env, account, oai):
    gateway_env.set("AIGW_CONFIG_CACHE_SECONDS", "1")
    make_gateway(management, account, admin_headers, authentication=True)
    token = issue(management, account, admin_headers)
    assert chat(inference, account, token["value"]).status_code == 200

    # The management function in another warm process revokes: this process is not told.
    elsewhere = build_config_store(get_settings().config_table, ttl=60)
    elsewhere.tokens.delete(account, token["id"])
    assert chat(inference, account, token["value"]).status_code == 200  # cached for now

    time.sleep(1.2)  # past the config cache TTL
    assert_gateway_error(chat(inference, account, token["value"]), 401, 2009)


def test_default_gateway_is_created_by_its_first_authenticated_request(
        inference, management, admin_headers, account, oai):
    token = issue(management, account, admin_headers)  # any gateway of the account

    resp = chat(inference, account, token["value"], gateway="default")

    assert resp.status_code == 200, resp.text
    got = management.get(api(account, "/gateways/default"), headers=admin_headers)
    assert got.status_code == 200, got.text
    gw = got.json()["result"]
    assert gw["id"] == "default" and gw["is_default"] is True
    assert gw["authentication"] is True and gw["collect_logs"] is True
    assert not gw["cache_ttl"] and not gw["rate_limiting_limit"]
    assert not gw["rate_limiting_interval"]
    # Authentication is on: the next request without a token is refused.
    assert_gateway_error(chat(inference, account, None, gateway="default"), 401, 2009)


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_unauthenticated_first_request_creates_nothing(inference, management, admin_headers,
                                                       account, oai, token):
    assert_gateway_error(chat(inference, account, token, gateway="default"), 401, 2009)

    got = management.get(api(account, "/gateways/default"), headers=admin_headers)
    assert got.status_code == 404
    assert oai.recorder.requests == []


@pytest.mark.parametrize("gateway", ["other", "Default", "gw--x", "a" * 65, "default_"])
def test_any_other_unknown_gateway_is_400_2001(inference, management, admin_headers, account,
                                               oai, gateway):
    token = issue(management, account, admin_headers)

    assert_gateway_error(chat(inference, account, token["value"], gateway=gateway), 400, 2001)
    got = management.get(api(account, "/gateways"), headers=admin_headers)
    assert got.json()["result"] == []
    assert oai.recorder.requests == []
