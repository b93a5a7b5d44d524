"""Passthrough for the providers whose credentials are more than a header: Bedrock SigV4 (the
client's signature forwarded, or the gateway signing with stored credentials), Vertex access
tokens minted from a stored service account, Google AI Studio's `?key=` and SSE streaming, and
Azure's `{resource}`/`{deployment}` placeholders."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from aigw import google_auth
from tests.fakes import credentials as keys
from tests.fakes.upstreams.google_vertex import VertexFake
from tests.functional.inference_support import assert_relayed, gw_path, store_key

#: A model id with `:`, which SDKs send as `%3A` and SigV4 signs in that form.
MODEL_ID = "anthropic.claude-3-5-haiku-20241022-v1:0"
MODEL_IN_PATH = MODEL_ID.replace(":", "%3A")
INVOKE = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32,
          "messages": [{"role": "user", "content": "hello"}]}
GEMINI = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}
VERTEX_PATH = (f"/v1/projects/{keys.VERTEX_PROJECT_ID}/locations/{keys.VERTEX_LOCATION}"
               "/publishers/google/models/gemini-2.5-pro:generateContent")


def bedrock_path(account: str, operation: str = "invoke") -> str:
    return gw_path(account, "aws-bedrock",
                   f"/bedrock-runtime/{keys.AWS_REGION}/model/{MODEL_IN_PATH}/{operation}")


def client_signed(url: str, body: bytes, key_id: str = keys.AWS_ACCESS_KEY_ID,
                  secret: str = keys.AWS_SECRET_ACCESS_KEY,
                  token: str | None = None) -> dict[str, str]:
    """What boto3 would send for `url`: SigV4 headers for bedrock in the fake's region."""
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"content-type": "application/json"})
    SigV4Auth(Credentials(key_id, secret, token), "bedrock", keys.AWS_REGION).add_auth(request)
    return {name.lower(): value for name, value in request.headers.items()}


# ---------------------------------------------------------------- aws-bedrock


def test_bedrock_client_signature_is_forwarded_unchanged(inference, management, admin_headers,
                                                         upstreams, account, gateway):
    # A stored key exists but must not be used: the client signed the request itself.
    store_key(management, account, admin_headers, "aws-bedrock", json.dumps(
        {"accessKeyId": "AKIASTOREDNOTUSED000", "secretAccessKey": "stored-secret",
         "region": keys.AWS_REGION}))
    fake = upstreams.use("aws-bedrock")
    body = json.dumps(INVOKE).encode()
    signed = client_signed(f"{fake.origin}/model/{MODEL_IN_PATH}/invoke", body)
    resp = inference.post(bedrock_path(account), content=body,
                          headers={**signed, "cf-aig-authorization": "Bearer gw-token"})

    assert resp.status_code == 200, resp.text
    got = fake.recorder.last
    assert got.path == f"/model/{MODEL_IN_PATH}/invoke" and got.body == body
    assert {"authorization", "x-amz-date", "content-type"} <= set(signed)
    for name, value in signed.items():
        assert got.headers[name] == value, name
    assert "cf-aig-authorization" not in got.headers
    assert resp.json()["content"][0]["text"] == "Echo: hello"
    assert_relayed(resp, upstreams.tap("aws-bedrock"))


@pytest.mark.parametrize("operation", ["invoke", "converse"])
@pytest.mark.parametrize("stored", [
    {"accessKeyId": keys.AWS_ACCESS_KEY_ID, "secretAccessKey": keys.AWS_SECRET_ACCESS_KEY,
     "region": keys.AWS_REGION},
    {"accessKeyId": keys.AWS_SESSION_ACCESS_KEY_ID,
     "secretAccessKey": keys.AWS_SESSION_SECRET_ACCESS_KEY, "region": keys.AWS_REGION,
     "sessionToken": keys.AWS_SESSION_TOKEN},
], ids=["long-term", "session"])
def test_bedrock_stored_credentials_are_signed_by_the_gateway(
        inference, management, admin_headers, upstreams, account, gateway, stored, operation):
    store_key(management, account, admin_headers, "aws-bedrock", json.dumps(stored))
    fake = upstreams.use("aws-bedrock")
    body: dict[str, Any] = INVOKE if operation == "invoke" else {
        "messages": [{"role": "user", "content": [{"text": "hello"}]}]}
    resp = inference.post(bedrock_path(account, operation), json=body)

    # The fake recomputed the signature over `%3A` exactly as it arrived.
    assert resp.status_code == 200, resp.text
    got = fake.recorder.last
    assert got.path == f"/model/{MODEL_IN_PATH}/{operation}"
    assert got.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={stored['accessKeyId']}/")
    assert got.headers.get("x-amz-security-token") == stored.get("sessionToken")
    assert_relayed(resp, upstreams.tap("aws-bedrock"))


def test_bedrock_signs_with_the_process_role_when_allowed(inference, upstreams, gateway_env,
                                                          account, gateway):
    fake = upstreams.use("aws-bedrock")
    gateway_env.set("AWS_ACCESS_KEY_ID", keys.AWS_ACCESS_KEY_ID)
    gateway_env.set("AWS_SECRET_ACCESS_KEY", keys.AWS_SECRET_ACCESS_KEY)

    refused = inference.post(bedrock_path(account), json=INVOKE)
    assert refused.status_code == 401 and refused.json()["error"][0]["code"] == 2009
    assert fake.recorder.requests == []

    gateway_env.set("AIGW_BEDROCK_USE_ROLE", "true")
    resp = inference.post(bedrock_path(account), json=INVOKE)
    assert resp.status_code == 200, resp.text
    assert fake.recorder.last.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={keys.AWS_ACCESS_KEY_ID}/")


# ---------------------------------------------------------------- google-vertex-ai


def test_vertex_mints_a_token_from_the_stored_service_account_and_caches_it(
        inference, management, admin_headers, upstreams, gateway_env, account, gateway,
        monkeypatch):
    monkeypatch.setattr(google_auth, "_cache", {})
    fake = upstreams.use("google-vertex-ai")
    assert isinstance(fake, VertexFake)
    store_key(management, account, admin_headers, "google-vertex-ai",
              json.dumps(fake.service_account()))
    gateway_env.set("AIGW_UPSTREAM_GOOGLE_OAUTH", fake.token_uri)

    first = inference.post(gw_path(account, "google-vertex-ai", VERTEX_PATH), json=GEMINI)
    assert first.status_code == 200, first.text
    assert_relayed(first, upstreams.tap("google-vertex-ai"))
    second = inference.post(gw_path(account, "google-vertex-ai", VERTEX_PATH), json=GEMINI)
    assert second.status_code == 200, second.text

    assert fake.oauth.minted == 1
    calls = [r for r in fake.recorder.requests if r.path != "/token"]
    assert [r.path for r in calls] == [VERTEX_PATH, VERTEX_PATH]
    token = next(iter(fake.oauth.issued))
    assert {r.headers["authorization"] for r in calls} == {f"Bearer {token}"}


# ---------------------------------------------------------------- google-ai-studio


def test_ai_studio_key_in_query_is_the_clients_credential(inference, management, admin_headers,
                                                          upstreams, account, gateway):
    store_key(management, account, admin_headers, "google-ai-studio", "AIza-stored-not-used-0")
    fake = upstreams.use("google-ai-studio")
    rest = f"/v1beta/models/gemini-2.5-flash:generateContent?key={keys.GOOGLE_AI_STUDIO_KEY}"
    resp = inference.post(gw_path(account, "google-ai-studio", rest), json=GEMINI)

    assert resp.status_code == 200, resp.text
    got = fake.recorder.last
    assert got.query == f"key={keys.GOOGLE_AI_STUDIO_KEY}"
    assert "x-goog-api-key" not in got.headers
    assert_relayed(resp, upstreams.tap("google-ai-studio"))


def test_ai_studio_sse_stream_is_relayed_unchanged(inference, management, admin_headers,
                                                   upstreams, account, gateway):
    store_key(management, account, admin_headers, "google-ai-studio", keys.GOOGLE_AI_STUDIO_KEY)
    fake = upstreams.use("google-ai-studio")
    rest = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    resp = inference.post(gw_path(account, "google-ai-studio", rest), json=GEMINI)

    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert fake.recorder.last.query == "alt=sse"
    assert fake.recorder.last.headers["x-goog-api-key"] == keys.GOOGLE_AI_STUDIO_KEY
    frames = [f for f in resp.text.split("\r\n\r\n") if f.strip()]  # Google: CRLF
    assert len(frames) > 1 and all(f.startswith("data: ") for f in frames)
    assert_relayed(resp, upstreams.tap("google-ai-studio"))


# ---------------------------------------------------------------- azure-openai placeholders


def test_azure_override_placeholders_are_filled_from_the_path(inference, upstreams, gateway_env,
                                                              account, gateway):
    fake = upstreams.use("azure-openai")
    gateway_env.set("AIGW_UPSTREAM_AZURE_OPENAI",
                    fake.origin + "/{resource}/openai/deployments/{deployment}")
    resp = inference.post(
        gw_path(account, "azure-openai", "/My-Resource/gpt-4o/chat/completions?api-version=1"),
        json={"messages": [{"role": "user", "content": "hi"}]},
        headers={"api-key": keys.AZURE_OPENAI_KEY})

    # The fake serves no `/my-resource/...` route: its 404 is passed through as it is.
    assert resp.status_code == 404
    got = fake.recorder.last
    assert (got.path, got.query) == (
        "/my-resource/openai/deployments/gpt-4o/chat/completions", "api-version=1")
