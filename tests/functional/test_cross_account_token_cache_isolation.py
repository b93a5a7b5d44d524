"""Tenants never share minted Google tokens: the cache is keyed by account and a hash of the
whole stored secret, never by the (public) client email and key id inside it."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from aigw import google_auth
from tests.fakes import credentials as keys
from tests.fakes.upstreams.google_vertex import VertexFake
from tests.functional.inference_support import gw_path, make_gateway, store_key

GEMINI = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}
VERTEX_PATH = (f"/v1/projects/{keys.VERTEX_PROJECT_ID}/locations/{keys.VERTEX_LOCATION}"
               "/publishers/google/models/gemini-2.5-flash:generateContent")
COMPAT_CHAT = {"model": "google-vertex-ai/gemini-2.5-flash",
               "messages": [{"role": "user", "content": "hello"}]}


def impostor_key(real: dict[str, str]) -> dict[str, str]:
    """The other account's email and key id, with a private key the impostor made up."""
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    return {**real, "private_key": pem}


@pytest.fixture
def vertex(upstreams, gateway_env, monkeypatch) -> VertexFake:
    monkeypatch.setattr(google_auth, "_cache", {})
    fake = upstreams.use("google-vertex-ai")
    assert isinstance(fake, VertexFake)
    gateway_env.set("AIGW_UPSTREAM_GOOGLE_OAUTH", fake.token_uri)
    return fake


def token_requests(fake: VertexFake) -> int:
    return sum(1 for r in fake.recorder.requests if r.path == "/token")


def vertex_calls(fake: VertexFake) -> list[str]:
    return [r.headers.get("authorization", "") for r in fake.recorder.requests
            if r.path != "/token"]


@pytest.mark.parametrize("surface", ["passthrough", "compat"])
def test_cross_account_token_cache_isolation(inference, compat, management, admin_headers,
                                             vertex, surface):
    victim, attacker = "acctvictim" + surface, "acctattacker" + surface
    for account in (victim, attacker):
        make_gateway(management, account, admin_headers)
    real = vertex.service_account()
    store_key(management, victim, admin_headers, "google-vertex-ai", json.dumps(real))
    store_key(management, attacker, admin_headers, "google-vertex-ai",
              json.dumps(impostor_key(real)))

    def call(account: str):  # noqa: ANN202
        if surface == "passthrough":
            return inference.post(gw_path(account, "google-vertex-ai", VERTEX_PATH), json=GEMINI)
        return compat.post(f"/v1/{account}/gw/compat/chat/completions", json=COMPAT_CHAT)

    assert call(victim).status_code == 200
    assert token_requests(vertex) == 1 and vertex.oauth.minted == 1
    victims_token = next(iter(vertex.oauth.issued))

    denied = call(attacker)
    # Its own token request, refused by Google (the fake) because the key does not match.
    assert token_requests(vertex) == 2 and vertex.oauth.minted == 1
    assert denied.status_code == 401, denied.text
    assert victims_token not in denied.text
    assert vertex_calls(vertex) == [f"Bearer {victims_token}"]  # only the victim's own call

    # The victim's token is still cached for the victim.
    assert call(victim).status_code == 200 and token_requests(vertex) == 2


def test_a_rotated_key_mints_a_new_token_at_once(inference, management, admin_headers, vertex,
                                                 account, gateway):
    real = vertex.service_account()
    config = store_key(management, account, admin_headers, "google-vertex-ai", json.dumps(real))
    assert inference.post(gw_path(account, "google-vertex-ai", VERTEX_PATH),
                          json=GEMINI).status_code == 200
    rotated = management.put(
        f"/client/v4/accounts/{account}/ai-gateway/gateways/gw/provider_configs/{config['id']}",
        # The same key written differently is a different secret: a new token, not the old one.
        json={"secret": json.dumps(real, indent=1)},
        headers=admin_headers)
    assert rotated.status_code == 200, rotated.text
    assert inference.post(gw_path(account, "google-vertex-ai", VERTEX_PATH),
                          json=GEMINI).status_code == 200
    assert token_requests(vertex) == 2


def test_a_stored_token_uri_is_never_contacted(inference, management, admin_headers, vertex,
                                               account, gateway):
    from tests.fakes.canary import Canary

    canary = Canary("http").start()
    try:
        real = {**vertex.service_account(), "token_uri": f"http://127.0.0.1:{canary.port}/x"}
        store_key(management, account, admin_headers, "google-vertex-ai", json.dumps(real))
        resp = inference.post(gw_path(account, "google-vertex-ai", VERTEX_PATH), json=GEMINI)
        assert resp.status_code == 200, resp.text
        assert canary.connections == 0 and token_requests(vertex) == 1
    finally:
        canary.stop()
