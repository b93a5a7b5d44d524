"""Who pays on compat, and what the log says about it.

An OpenAI SDK has one credential, its `api_key`, sent as `Authorization: Bearer`. Compat reads it
as the provider key, unless it is a gateway token (`aigw_...`) or the admin token: then it
authenticates to the gateway and the gateway's stored key is used. Either way the upstream sees
only a provider credential, in the provider's own header, never the gateway token.
"""

from __future__ import annotations

import openai
import pytest

from tests.e2e.compat.cases import ANTHROPIC, CASES, CLIENT_KEYED, ChatCase
from tests.e2e.compat.conftest import LOCKED, OPEN, CompatStack
from tests.fakes import credentials

HELLO = [{"role": "user", "content": "Tell me about lighthouses"}]

#: Where each provider takes its key (the others: `Authorization: Bearer <key>`).
KEY_HEADERS = {"anthropic": "x-api-key", "google-ai-studio": "x-goog-api-key"}
#: How the signed or minted credentials of the stored-key-only providers begin.
SIGNED = {"google-vertex-ai": "Bearer ya29.",
          "aws-bedrock": f"AWS4-HMAC-SHA256 Credential={credentials.AWS_ACCESS_KEY_ID}/"}


def assert_provider_credential(compat: CompatStack, case: ChatCase) -> None:
    [sent] = compat.upstream(case.slug)
    if case.slug in SIGNED:
        assert sent.headers["authorization"].startswith(SIGNED[case.slug])
    elif case.slug in KEY_HEADERS:
        assert sent.headers[KEY_HEADERS[case.slug]] == case.key
        assert "authorization" not in sent.headers
    else:
        assert sent.headers["authorization"] == f"Bearer {case.key}"
    assert "cf-aig-authorization" not in sent.headers
    assert not any("aigw_" in v or compat.gateway.admin_token in v for v in sent.headers.values())


@pytest.mark.parametrize("case", CLIENT_KEYED, ids=str)
def test_client_key_is_the_provider_key(compat: CompatStack, case: ChatCase) -> None:
    assert case.key is not None
    answer = compat.client(OPEN, case.key).chat.completions.create(model=case.ref,
                                                                   messages=HELLO)
    assert answer.choices[0].message.content == f"Echo: {HELLO[0]['content']}"
    assert_provider_credential(compat, case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_run_token_selects_the_stored_key(compat: CompatStack, case: ChatCase) -> None:
    assert compat.run_token.startswith("aigw_")
    answer = compat.client(LOCKED, compat.run_token).chat.completions.create(model=case.ref,
                                                                             messages=HELLO)
    assert answer.choices[0].message.content == f"Echo: {HELLO[0]['content']}"
    assert_provider_credential(compat, case)


def test_admin_token_selects_the_stored_key(compat: CompatStack) -> None:
    client = compat.client(LOCKED, compat.gateway.admin_token)
    assert client.chat.completions.create(model=ANTHROPIC.ref, messages=HELLO).choices
    assert_provider_credential(compat, ANTHROPIC)


def test_client_key_wins_over_the_stored_key(compat: CompatStack) -> None:
    """With the gateway token in `cf-aig-authorization`, the api_key is the client's provider
    key and is forwarded as is: a wrong one fails upstream although a stored key exists."""
    client = compat.client(LOCKED, "sk-ant-api03-not-a-real-key",
                           default_headers={"cf-aig-authorization": f"Bearer {compat.run_token}"})
    with pytest.raises(openai.AuthenticationError) as denied:
        client.chat.completions.create(model=ANTHROPIC.ref, messages=HELLO)
    assert denied.value.body == {"message": "invalid x-api-key", "type": "authentication_error",
                                 "code": 401, "param": None}
    [sent] = compat.upstream("anthropic")
    assert sent.headers["x-api-key"] == "sk-ant-api03-not-a-real-key"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_log_record_has_provider_model_and_tokens(compat: CompatStack, case: ChatCase,
                                                  stream: bool) -> None:
    raw = compat.client_for(case).chat.completions.with_raw_response.create(
        model=case.ref, messages=HELLO, stream=stream,
        extra_headers={"cf-aig-metadata": '{"team": "search", "tier": 2}',
                       "cf-aig-event-id": "evt-compat-42"},
        **({"stream_options": {"include_usage": True}} if stream else {}))
    assert raw.headers["cf-aig-event-id"] == "evt-compat-42"
    if stream:
        usage = [c for c in raw.parse() if c.usage][-1].usage
    else:
        usage = raw.parse().usage  # type: ignore[union-attr]
    assert usage is not None
    record = compat.log_record(raw.headers["cf-aig-log-id"])
    gateway_id, _ = compat.auth_for(case)
    assert {k: record[k] for k in ("account_id", "gateway_id", "provider", "model", "model_type",
                                   "success", "status_code", "metadata", "event_id",
                                   "request_content_type")} == {
        "account_id": compat.account, "gateway_id": gateway_id, "provider": case.slug,
        "model": case.model, "model_type": "chat", "success": True, "status_code": 200,
        "metadata": {"team": "search", "tier": 2}, "event_id": "evt-compat-42",
        "request_content_type": "application/json"}
    assert (record["tokens_in"], record["tokens_out"]) == (usage.prompt_tokens,
                                                           usage.completion_tokens)
    assert record["cost"] > 0  # every model here has a list price


def test_unknown_byok_alias(compat: CompatStack) -> None:
    client = compat.client(LOCKED, compat.run_token,
                           default_headers={"cf-aig-byok-alias": "nosuch"})
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model=ANTHROPIC.ref, messages=HELLO)
    assert isinstance(bad.value.body, dict) and bad.value.body["code"] == 2040
    assert compat.upstream("anthropic") == []


def test_no_credential_at_all(compat: CompatStack) -> None:
    """A gateway token on a gateway without stored keys leaves compat no provider key."""
    with pytest.raises(openai.AuthenticationError) as denied:
        compat.client(OPEN, compat.run_token).chat.completions.create(model=ANTHROPIC.ref,
                                                                      messages=HELLO)
    assert isinstance(denied.value.body, dict) and denied.value.body["code"] == 2009
    assert "anthropic" in denied.value.body["message"]


def test_embeddings_log_record(compat: CompatStack) -> None:
    raw = compat.client(LOCKED, compat.run_token).embeddings.with_raw_response.create(
        model="aws-bedrock/amazon.titan-embed-text-v2:0", input="lighthouse")
    record = compat.log_record(raw.headers["cf-aig-log-id"])
    assert (record["provider"], record["model"], record["model_type"]) == (
        "aws-bedrock", "amazon.titan-embed-text-v2:0", "embedding")
    assert record["tokens_in"] == raw.parse().usage.prompt_tokens == 1
