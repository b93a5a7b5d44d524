"""Path segments that become part of an upstream host (Azure resource, Bedrock region, Vertex
location) cannot move a request to another host: every smuggling attempt is a 400 in the
Cloudflare envelope, and no request leaves — the recording fake that every override points at
sees nothing, and the one function that sends upstream is never called.

Requests go through a real server as raw request targets, so `..`, `#` and `?` reach the
gateway exactly as an attacker would send them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aigw import upstream
from aigw.errors import UpstreamError
from tests.fakes.upstreams.common import FakeUpstream, build_fake
from tests.functional.inference_support import assert_gateway_error, raw_request

AZURE_TAIL = "/gpt-4o/chat/completions?api-version=2024-10-21"
BEDROCK_HEAD = "/bedrock-runtime/"
BEDROCK_TAIL = "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke"
VERTEX_HEAD = "/v1/projects/my-project-1/locations/"
VERTEX_TAIL = "/publishers/google/models/gemini-2.5-pro:generateContent"
#: A credential of each provider's kind: an accepted request would be forwarded at once.
CREDENTIALS = {
    "azure-openai": {"api-key": "0f3c9a7e5d1b4c2a8e6f0d9b7a5c3e1f"},
    "aws-bedrock": {"authorization": "AWS4-HMAC-SHA256 Credential=AKIAX/20250101/us-east-1/"
                                     "bedrock/aws4_request, SignedHeaders=host, Signature=00",
                    "x-amz-date": "20250101T000000Z"},
    "google-vertex-ai": {"authorization": "Bearer ya29.client-token"},
}

#: Resource names, regions and locations that try to leave the provider's host.
AZURE_RESOURCES = ["evil.com%2F", "a@evil.com", "a%40evil.com", "res:8080", "res%3A8080", "..",
                   "%2e%2e", "res#x", "res%23x", "res?x", "res%3Fx", "res.evil.com",
                   "res%E3%80%82evil.com",  # ideographic full stop
                   "res%EF%BC%8Eevil.com",  # fullwidth full stop
                   "evil.com%252F",  # double-encoded slash
                   "res%00", "res%5Cevil.com"]
BEDROCK_REGIONS = ["us-east-1.evil.com", "us-east-1%2F..", "us-east-1@evil.com", "us-east-1:443",
                   "evil.com%23", "us-east-1%252F", ".."]
VERTEX_LOCATIONS = ["us-central1.evil.com", "us-central1%2F..%2F", "us-central1:80",
                    "evil.com%3F", "us-central1%40evil.com"]
ATTACKS = [
    *(("azure-openai", f"/{resource}{AZURE_TAIL}") for resource in AZURE_RESOURCES),
    ("azure-openai", "/res/%2e%2e/chat/completions?api-version=1"),  # deployment `..`
    *(("aws-bedrock", f"{BEDROCK_HEAD}{region}{BEDROCK_TAIL}") for region in BEDROCK_REGIONS),
    *(("google-vertex-ai", f"{VERTEX_HEAD}{location}{VERTEX_TAIL}")
      for location in VERTEX_LOCATIONS),
]
#: One valid request per provider: proves the fake and the spy would have seen a leak.
VALID = {
    "azure-openai": "/my-resource" + AZURE_TAIL,
    "aws-bedrock": BEDROCK_HEAD + "us-east-1" + BEDROCK_TAIL,
    "google-vertex-ai": VERTEX_HEAD + "us-central1" + VERTEX_TAIL,
}


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL `aigw.upstream.send` is asked for (the call still happens)."""
    calls: list[str] = []
    original = upstream.send

    async def spy(req: upstream.UpstreamRequest, timeout: float | None) -> Any:
        calls.append(req.url)
        return await original(req, timeout)

    monkeypatch.setattr(upstream, "send", spy)
    return calls


@pytest.fixture(scope="module")
def any_host() -> Iterator[FakeUpstream]:
    with build_fake("any-host") as fake:
        yield fake


@pytest.fixture
def recording_fake(any_host: FakeUpstream, gateway_env) -> FakeUpstream:
    """One fake behind all three providers, the host-forming part placed in its path."""
    any_host.reset()
    gateway_env.set("AIGW_UPSTREAM_AZURE_OPENAI",
                    any_host.origin + "/{resource}/openai/deployments/{deployment}")
    gateway_env.set("AIGW_UPSTREAM_AWS_BEDROCK", any_host.origin + "/{region}")
    gateway_env.set("AIGW_UPSTREAM_GOOGLE_VERTEX_AI", any_host.origin + "/{region}")
    return any_host


def post(base_url: str, account: str, provider: str, rest: str) -> Any:
    return raw_request(base_url, "POST", f"/v1/{account}/gw/{provider}{rest}",
                       json={"messages": [{"role": "user", "content": "hi"}]},
                       headers=CREDENTIALS[provider])


@pytest.mark.parametrize(("provider", "rest"), ATTACKS)
def test_smuggled_host_is_refused_and_nothing_leaves(served_inference, recording_fake, sends,
                                                     account, gateway, provider, rest):
    resp = post(served_inference, account, provider, rest)

    assert_gateway_error(resp, 400, 2008)
    assert recording_fake.recorder.requests == []
    assert sends == []


@pytest.mark.parametrize("provider", sorted(VALID))
def test_valid_segment_reaches_the_fake_that_watches(served_inference, recording_fake, sends,
                                                     account, gateway, provider):
    resp = post(served_inference, account, provider, VALID[provider])

    assert resp.status_code == 404  # the recording fake serves no routes; it only records
    assert len(recording_fake.recorder.requests) == 1 and len(sends) == 1
    assert sends[0].startswith(recording_fake.origin + "/")


@pytest.mark.parametrize(("provider", "host"), [
    ("azure-openai", "https://my-resource.openai.azure.com/openai/deployments/gpt-4o/"),
    ("aws-bedrock", "https://bedrock-runtime.us-east-1.amazonaws.com/model/"),
    ("google-vertex-ai", "https://us-central1-aiplatform.googleapis.com/v1/projects/"),
])
def test_without_override_the_segment_is_the_real_providers_host(
        inference, monkeypatch, gateway_env, account, gateway, provider, host):
    """What the grammar protects: the segment lands in the hostname of the real provider."""
    for name in ("AIGW_UPSTREAM_AZURE_OPENAI", "AIGW_UPSTREAM_AWS_BEDROCK",
                 "AIGW_UPSTREAM_GOOGLE_VERTEX_AI"):
        gateway_env.unset(name)
    urls: list[str] = []

    async def offline(req: upstream.UpstreamRequest, timeout: float | None) -> Any:
        urls.append(req.url)
        raise UpstreamError("offline in tests")

    monkeypatch.setattr(upstream, "send", offline)
    resp = inference.post(f"/v1/{account}/gw/{provider}{VALID[provider]}",
                          json={"messages": []}, headers=CREDENTIALS[provider])

    assert_gateway_error(resp, 502)
    assert len(urls) == 1 and urls[0].startswith(host)
