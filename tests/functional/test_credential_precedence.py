"""Which provider credential a passthrough request uses, in the spec's order: the client's own
(forwarded unchanged, stored keys untouched), else the stored `default` or the
`cf-aig-byok-alias` one, else 401 naming what is missing; an unknown alias is 400/2040. Stored
keys are cached in-process, and a rotation is seen within the key cache age."""

from __future__ import annotations

import time

import pytest

from aigw.stores import aws
from tests.fakes import credentials as keys
from tests.functional.inference_support import (
    api,
    assert_gateway_error,
    gw_path,
    store_key,
)

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "claude-sonnet-4-5", "max_tokens": 16,
            "messages": [{"role": "user", "content": "hi"}]}
STORED_UNUSED = "sk-stored-must-not-be-used-0000"


def chat(inference, account: str, headers: dict[str, str] | None = None):  # noqa: ANN201
    return inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers=headers or {})


def test_client_credential_wins_and_stored_key_is_not_used(
        inference, management, admin_headers, account, gateway, oai, claude):
    store_key(management, account, admin_headers, "openai", STORED_UNUSED)
    store_key(management, account, admin_headers, "anthropic", STORED_UNUSED)

    resp = chat(inference, account, {"authorization": f"Bearer {keys.OPENAI_KEY}"})
    assert resp.status_code == 200, resp.text
    assert oai.recorder.last.headers["authorization"] == f"Bearer {keys.OPENAI_KEY}"

    # Anthropic counts `x-api-key` and `authorization` as the client's own credential.
    for header, value in (("x-api-key", keys.ANTHROPIC_KEY),
                          ("authorization", f"Bearer {keys.ANTHROPIC_KEY}")):
        resp = inference.post(gw_path(account, "anthropic", "/v1/messages"), json=MESSAGES,
                              headers={header: value, "anthropic-version": "2023-06-01"})
        assert resp.status_code == 200, resp.text
        got = claude.recorder.last.headers
        assert got[header] == value
        assert STORED_UNUSED not in got.values()


def test_stored_default_key_is_attached_the_providers_way(
        inference, management, admin_headers, account, gateway, oai, claude):
    store_key(management, account, admin_headers, "openai", keys.OPENAI_KEY)
    store_key(management, account, admin_headers, "anthropic", keys.ANTHROPIC_KEY)

    assert chat(inference, account).status_code == 200
    assert oai.recorder.last.headers["authorization"] == f"Bearer {keys.OPENAI_KEY}"

    resp = inference.post(gw_path(account, "anthropic", "/v1/messages"), json=MESSAGES)
    assert resp.status_code == 200, resp.text
    got = claude.recorder.last.headers
    assert got["x-api-key"] == keys.ANTHROPIC_KEY
    assert got["anthropic-version"] == "2023-06-01"  # the provider's default header
    assert "authorization" not in got


def test_byok_alias_picks_another_stored_key(inference, management, admin_headers, account,
                                             gateway, oai):
    store_key(management, account, admin_headers, "openai", STORED_UNUSED)
    store_key(management, account, admin_headers, "openai", keys.OPENAI_KEY, alias="team-b")

    assert chat(inference, account).status_code == 401  # the default key: the fake rejects it
    assert oai.recorder.last.headers["authorization"] == f"Bearer {STORED_UNUSED}"

    resp = chat(inference, account, {"cf-aig-byok-alias": "team-b"})
    assert resp.status_code == 200, resp.text
    assert oai.recorder.last.headers["authorization"] == f"Bearer {keys.OPENAI_KEY}"
    assert "cf-aig-byok-alias" not in oai.recorder.last.headers


@pytest.mark.parametrize("alias", ["nope", "team-b", "../default", "x" * 80])
def test_unknown_alias_is_400_2040_and_nothing_is_sent(inference, management, admin_headers,
                                                       account, gateway, oai, alias):
    store_key(management, account, admin_headers, "openai", keys.OPENAI_KEY)
    store_key(management, account, admin_headers, "anthropic", keys.ANTHROPIC_KEY,
              alias="team-b")  # another provider's alias does not count

    resp = chat(inference, account, {"cf-aig-byok-alias": alias})

    assert_gateway_error(resp, 400, 2040)
    assert oai.recorder.requests == []


@pytest.mark.parametrize(("provider", "rest", "missing"), [
    ("openai", "/chat/completions", "authorization"),
    ("anthropic", "/v1/messages", "x-api-key"),
    ("azure-openai", "/res/dep/chat/completions?api-version=1", "api-key"),
    ("google-ai-studio", "/v1beta/models/gemini-2.5-flash:generateContent", "x-goog-api-key"),
    ("aws-bedrock", "/bedrock-runtime/us-east-1/model/m.x/invoke", "authorization"),
])
def test_no_credential_at_all_is_401_naming_it(inference, account, gateway, provider, rest,
                                               missing):
    resp = inference.post(gw_path(account, provider, rest), json={"x": 1})

    message = assert_gateway_error(resp, 401)
    assert f"'{missing}'" in message and provider in message


def test_rotation_through_management_is_seen_by_the_next_request(
        inference, management, admin_headers, gateway_env, account, gateway, oai):
    config = store_key(management, account, admin_headers, "openai", "sk-old-revoked-00000")
    assert chat(inference, account).status_code == 401

    rotated = management.put(api(account, f"/gateways/gw/provider_configs/{config['id']}"),
                             json={"secret": keys.OPENAI_KEY}, headers=admin_headers)
    assert rotated.status_code == 200, rotated.text

    assert chat(inference, account).status_code == 200
    assert oai.recorder.last.headers["authorization"] == f"Bearer {keys.OPENAI_KEY}"


def test_rotation_by_another_process_is_seen_within_the_key_cache_age(
        inference, management, admin_headers, gateway_env, account, gateway, oai):
    gateway_env.set("AIGW_KEY_CACHE_SECONDS", "1")
    config = store_key(management, account, admin_headers, "openai", keys.OPENAI_KEY)
    assert chat(inference, account).status_code == 200

    # Another warm process (the management function) rotates: this process's cache is not told.
    aws.secretsmanager().put_secret_value(SecretId=config["secret_id"],
                                          SecretString="sk-rotated-elsewhere-0000")
    assert chat(inference, account).status_code == 200  # still the cached key

    time.sleep(1.2)  # past the key cache age
    chat(inference, account)
    assert oai.recorder.last.headers["authorization"] == "Bearer sk-rotated-elsewhere-0000"
