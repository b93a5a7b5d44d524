"""Custom-provider header values are secrets, and changing where they go requires them again:
values live in Secrets Manager (never in the config table or an answer), and a `base_url`
change drops the stored headers and the provider's stored keys unless headers are re-sent."""

from __future__ import annotations

import json

import pytest

from aigw.stores import aws
from aigw.stores.custom_provider_headers import secret_name
from aigw.stores.provider_keys import list_configs
from tests.fakes import credentials as keys
from tests.functional.inference_support import api, gw_path, store_key

CANARY = "hdr-CANARY-7e6d5c4b3a2918f0"
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def provider(management, account, admin_headers, gateway) -> str:
    made = management.post(api(account, "/custom-providers"),
                           json={"name": "Mine", "slug": "mine", "enable": True,
                                 "base_url": "https://llm.example.com/v1",
                                 "headers": {"x-api-key": CANARY}},
                           headers=admin_headers)
    assert made.status_code == 200, made.text
    assert CANARY not in made.text
    return str(made.json()["result"]["id"])


def raw_items(account: str) -> str:
    from aigw.config import get_settings

    items = aws.dynamodb().query(
        TableName=get_settings().config_table, KeyConditionExpression="account = :a",
        ExpressionAttributeValues={":a": {"S": account}})["Items"]
    return json.dumps(items)


def stored_value(account: str) -> str | None:
    try:
        return aws.secretsmanager().get_secret_value(
            SecretId=secret_name(account, "mine"))["SecretString"]
    except aws.secretsmanager().exceptions.ResourceNotFoundException:
        return None


def test_values_live_in_secrets_manager_only(management, account, admin_headers, provider):
    assert CANARY not in raw_items(account)
    assert json.loads(stored_value(account) or "{}") == {"x-api-key": CANARY}
    for resp in (management.get(api(account, "/custom-providers"), headers=admin_headers),
                 management.get(api(account, f"/custom-providers/{provider}"),
                                headers=admin_headers)):
        assert resp.status_code == 200 and CANARY not in resp.text
        assert "headers_secret_id" not in resp.text


def test_data_plane_sends_the_stored_headers_until_base_url_moves(
        inference, management, upstreams, gateway_env, account, admin_headers, provider):
    fake = upstreams.use("openai")
    gateway_env.set("AIGW_EGRESS_ALLOW_PRIVATE", "true")
    gateway_env.set("AIGW_UPSTREAM_CUSTOM_MINE", fake.upstream_base)
    store_key(management, account, admin_headers, "custom-mine", keys.OPENAI_KEY)
    resp = inference.post(gw_path(account, "custom-mine", "/chat/completions"), json=CHAT)
    assert resp.status_code == 200, resp.text
    assert fake.recorder.last.headers["x-api-key"] == CANARY

    moved = management.put(api(account, f"/custom-providers/{provider}"),
                           json={"name": "Mine", "base_url": "https://attacker.example/v1"},
                           headers=admin_headers)
    assert moved.status_code == 200 and moved.json()["result"]["headers"] is None
    assert stored_value(account) is None
    assert [c for c in list_configs(account, "gw") if c["provider_slug"] == "custom-mine"] == []

    resp = inference.post(gw_path(account, "custom-mine", "/chat/completions"), json=CHAT,
                          headers={"authorization": f"Bearer {keys.OPENAI_KEY}"})
    assert resp.status_code == 200, resp.text
    got = fake.recorder.last.headers
    assert "x-api-key" not in got and got["authorization"] == f"Bearer {keys.OPENAI_KEY}"


def test_moving_base_url_with_headers_resent_keeps_the_new_ones(management, account,
                                                                admin_headers, provider):
    resp = management.put(api(account, f"/custom-providers/{provider}"),
                          json={"name": "Mine", "base_url": "https://other.example.com/v1",
                                "headers": {"x-api-key": CANARY + "-new"}},
                          headers=admin_headers)
    assert resp.status_code == 200 and CANARY not in resp.text
    assert json.loads(stored_value(account) or "{}") == {"x-api-key": CANARY + "-new"}


def test_same_base_url_keeps_headers_and_delete_removes_the_secret(management, account,
                                                                   admin_headers, provider):
    kept = management.put(api(account, f"/custom-providers/{provider}"),
                          json={"name": "Renamed", "base_url": "https://llm.example.com/v1"},
                          headers=admin_headers)
    assert kept.status_code == 200 and CANARY not in kept.text
    assert set(json.loads(kept.json()["result"]["headers"])) == {"x-api-key"}
    assert json.loads(stored_value(account) or "{}") == {"x-api-key": CANARY}
    gone = management.delete(api(account, f"/custom-providers/{provider}"), headers=admin_headers)
    assert gone.status_code == 200 and stored_value(account) is None
