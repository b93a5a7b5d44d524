"""The cache's edges (streams replayed with their framing, answers too large to store, tenants
kept apart) and the credentials policy (`byok_only`, `cf-aig-no-wholesale`)."""

from __future__ import annotations

import pytest

from aigw import pipeline
from tests.fakes import credentials as keys
from tests.functional.inference_support import gw_path, make_gateway, store_key
from tests.functional.policy_support import CHAT, KEY


def test_streams_are_cached_and_replayed_with_the_original_framing(inference, compat,
                                                                   management, admin_headers,
                                                                   account, oai):
    make_gateway(management, account, admin_headers, cache_ttl=300)
    body = {**CHAT, "stream": True}

    first = inference.post(gw_path(account, "openai", "/chat/completions"), json=body,
                           headers=KEY)
    second = inference.post(gw_path(account, "openai", "/chat/completions"), json=body,
                            headers=KEY)

    assert first.headers["cf-aig-cache-status"] == "MISS"
    assert second.headers["cf-aig-cache-status"] == "HIT"
    assert second.headers["content-type"].startswith("text/event-stream")
    assert second.content == first.content and second.content.rstrip().endswith(b"[DONE]")
    assert len(oai.recorder.requests) == 1


def test_translated_compat_streams_are_cached_too(compat, management, admin_headers, account,
                                                  claude):
    make_gateway(management, account, admin_headers, cache_ttl=300)
    body = {"model": "anthropic/claude-sonnet-4-5", "stream": True,
            "messages": [{"role": "user", "content": "hi"}]}
    auth = {"authorization": f"Bearer {keys.ANTHROPIC_KEY}"}
    url = f"/v1/{account}/gw/compat/chat/completions"

    first, second = (compat.post(url, json=body, headers=auth) for _ in range(2))

    assert [first.headers["cf-aig-cache-status"], second.headers["cf-aig-cache-status"]] == [
        "MISS", "HIT"]
    assert second.content == first.content and b"data: [DONE]" in second.content
    assert len(claude.recorder.requests) == 1


def test_answers_over_the_item_limit_are_not_cached(inference, management, admin_headers,
                                                    account, oai, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_BODY_BYTES", 64)  # every answer is "too large"
    make_gateway(management, account, admin_headers, cache_ttl=300)

    answers = [inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                              headers=KEY) for _ in range(2)]

    assert [a.headers["cf-aig-cache-status"] for a in answers] == ["MISS", "MISS"]
    assert len(oai.recorder.requests) == 2


def test_tenants_and_credentials_never_share_an_answer(inference, management, admin_headers,
                                                       account, oai):
    make_gateway(management, account, admin_headers, cache_ttl=300)
    store_key(management, account, admin_headers, "openai", keys.OPENAI_KEY)
    url = gw_path(account, "openai", "/chat/completions")

    own = inference.post(url, json=CHAT, headers=KEY)
    stored = inference.post(url, json=CHAT)  # the stored key: another credential scope
    stored_again = inference.post(url, json=CHAT)

    assert [own.headers["cf-aig-cache-status"], stored.headers["cf-aig-cache-status"],
            stored_again.headers["cf-aig-cache-status"]] == ["MISS", "MISS", "HIT"]
    assert len(oai.recorder.requests) == 2


def test_only_successful_answers_are_stored(inference, management, admin_headers, account, oai):
    make_gateway(management, account, admin_headers, cache_ttl=300)
    oai.control.fail_next.append((400, {"error": {"message": "bad", "type": "invalid"}}))
    url = gw_path(account, "openai", "/chat/completions")

    failed = inference.post(url, json=CHAT, headers=KEY)
    ok = inference.post(url, json=CHAT, headers=KEY)

    assert failed.status_code == 400 and ok.status_code == 200
    assert ok.headers["cf-aig-cache-status"] == "MISS"


BEDROCK = "/bedrock-runtime/us-east-1/model/amazon.nova-lite-v1:0/converse"
CONVERSE = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}


@pytest.mark.parametrize(("gateway_setting", "header"), [(True, None), (False, "true")],
                         ids=["byok_only", "cf-aig-no-wholesale"])
def test_no_fall_through_to_the_iam_role_is_a_400_naming_what_is_missing(
        inference, compat, management, admin_headers, account, upstreams, gateway_env,
        gateway_setting, header):
    fake = upstreams.use("aws-bedrock")
    gateway_env.set("AIGW_BEDROCK_USE_ROLE", "true")
    make_gateway(management, account, admin_headers, byok_only=gateway_setting)
    extra = {"cf-aig-no-wholesale": header} if header else {}

    passthrough = inference.post(gw_path(account, "aws-bedrock", BEDROCK), json=CONVERSE,
                                 headers=extra)
    chat = compat.post(f"/v1/{account}/gw/compat/chat/completions", headers=extra,
                       json={"model": "aws-bedrock/amazon.nova-lite-v1:0",
                             "messages": [{"role": "user", "content": "hi"}]})

    assert passthrough.status_code == 400, passthrough.text
    assert "no credential for provider 'aws-bedrock'" in passthrough.text
    assert "byok_only / cf-aig-no-wholesale" in passthrough.text
    assert chat.status_code == 400 and "aws-bedrock" in chat.json()["error"]["message"]
    assert fake.recorder.requests == []
