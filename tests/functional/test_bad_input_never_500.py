"""Bad input on the data plane is the client's error, told in the Cloudflare envelope: malformed
`cf-aig-*` values and unknown providers are 400 (2008), paths a provider cannot take are 400,
nothing is sent upstream, and no input produces a 500."""

from __future__ import annotations

import pytest

from tests.fakes import credentials as keys
from tests.functional.inference_support import assert_gateway_error, gw_path

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"authorization": f"Bearer {keys.OPENAI_KEY}"}

BAD_HEADERS = [
    ("cf-aig-request-timeout", "soon"),
    ("cf-aig-request-timeout", "1.5"),
    ("cf-aig-request-timeout", "0"),
    ("cf-aig-request-timeout", "-100"),
    ("cf-aig-request-timeout", "900001"),
    ("cf-aig-max-attempts", "6"),
    ("cf-aig-max-attempts", "0"),
    ("cf-aig-max-attempts", "three"),
    ("cf-aig-retry-delay", "5001"),
    ("cf-aig-retry-delay", "-1"),
    ("cf-aig-backoff", "wild"),
    ("cf-aig-backoff", ""),
    ("cf-aig-metadata", "[1, 2]"),
    ("cf-aig-metadata", '"team"'),
    ("cf-aig-metadata", "null"),
    ("cf-aig-metadata", "{not json"),
    ("cf-aig-collect-log", "maybe"),
    ("cf-aig-collect-log-payload", "1"),
    ("cf-aig-skip-cache", "yes"),
    ("cf-aig-cache-ttl", "10"),
    ("cf-aig-cache-ttl", "2592001"),
    ("cf-aig-custom-cost", '{"total_cost": -1}'),
    ("cf-aig-custom-cost", '{"per_token_in": "cheap"}'),
    ("cf-aig-custom-cost", '{"bribe": 1}'),
    ("cf-aig-custom-cost", "free"),
]


@pytest.mark.parametrize(("header", "value"), BAD_HEADERS)
def test_malformed_gateway_header_is_400_and_names_it(inference, account, gateway, oai, header,
                                                      value):
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={**AUTH, header: value})

    message = assert_gateway_error(resp, 400, 2008)
    assert header in message
    assert oai.recorder.requests == []


@pytest.mark.parametrize(("header", "value"), BAD_HEADERS[:12])
def test_malformed_gateway_header_on_the_universal_endpoint(inference, account, gateway, oai,
                                                            header, value):
    step = {"provider": "openai", "endpoint": "chat/completions", "headers": AUTH, "query": CHAT}

    resp = inference.post(f"/v1/{account}/gw", json=[step], headers={header: value})

    assert_gateway_error(resp, 400, 2008)
    assert oai.recorder.requests == []


@pytest.mark.parametrize("provider", ["not-a-provider", "OpenAI", "openai ", "custom-missing",
                                      "custom-", "compat2", "%2e%2e"])
def test_unknown_provider_is_400_2008(inference, account, gateway, oai, provider):
    resp = inference.post(gw_path(account, provider, "/chat/completions"), json=CHAT,
                          headers=AUTH)

    assert_gateway_error(resp, 400, 2008)
    assert oai.recorder.requests == []


@pytest.mark.parametrize(("provider", "rest"), [
    ("azure-openai", "/only-resource"),
    ("azure-openai", "/res/dep"),
    ("aws-bedrock", "/model/x/invoke"),
    ("aws-bedrock", "/bedrock-runtime/us-east-1"),
    ("google-vertex-ai", "/v1/models/gemini:generateContent"),
    ("google-vertex-ai", "/v1/projects/p/locations"),
    ("openai", "/chat/%2e%2e/%2e%2e/admin"),
])
def test_paths_a_provider_cannot_take_are_400(inference, account, gateway, oai, provider, rest):
    resp = inference.post(gw_path(account, provider, rest), json=CHAT, headers=AUTH)

    assert_gateway_error(resp, 400, 2008)
    assert oai.recorder.requests == []


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("POST", "/v1/{a}/gw/openai", {"json": CHAT}),
    ("GET", "/v1/{a}/gw/openai/models", {}),
    ("DELETE", "/v1/{a}/gw/openai/files/f-1", {}),
    ("POST", "/v1/{a}/gw/openai/chat/completions", {"content": b"\xff\xfe not json"}),
    ("POST", "/v1/{a}/gw/openai/chat/completions",
     {"json": CHAT, "headers": {"cf-aig-metadata": '{"a": {"nested": 1}, "cf.x": 1}'}}),
    ("POST", "/v1/{a}/gw/openai/chat/completions",
     {"json": CHAT, "headers": {"cf-aig-byok-alias": "\u00e9".encode("latin-1")}}),
    ("POST", "/v1/ACCOUNT!/gw/openai/chat/completions", {"json": CHAT}),
    ("POST", "/v1/{a}/" + "g" * 65 + "/openai/chat/completions", {"json": CHAT}),
    ("PUT", "/v1/{a}/gw", {"json": []}),
    ("POST", "/v1/{a}", {"json": []}),
    ("POST", "/v1", {"content": b"x"}),
])
def test_odd_requests_never_get_a_500(inference, account, gateway, oai, method, path, kwargs):
    headers = {**AUTH, **kwargs.pop("headers", {})}
    resp = inference.request(method, path.format(a=account), headers=headers, **kwargs)

    assert resp.status_code < 500, resp.text
    assert resp.headers.get("cf-aig-log-id")
    if resp.status_code >= 400 and not oai.recorder.requests:
        assert_gateway_error(resp, resp.status_code)


def test_non_ascii_event_id_is_echoed_byte_for_byte(served_inference, account, gateway, oai):
    import httpx

    event_id = "\u00e9v\u00e9nement-1".encode("latin-1")
    with httpx.Client(base_url=served_inference) as client:
        resp = client.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                           headers={**AUTH, "cf-aig-event-id": event_id})

    assert resp.status_code == 200, resp.text
    assert (b"cf-aig-event-id", event_id) in resp.headers.raw
