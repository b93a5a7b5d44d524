"""The provider registry, its routes and the host grammar (pure: no network)."""

from __future__ import annotations

import pytest

from aigw.config import Settings
from aigw.errors import InvalidRequest
from aigw.providers.registry import PROVIDERS, resolve_provider, route_request
from aigw.providers.slugs import BUILTIN_SLUGS

S = Settings()


def test_registry_and_management_slug_list_agree():
    assert set(PROVIDERS) == BUILTIN_SLUGS


@pytest.mark.parametrize(("slug", "rest", "url", "region"), [
    ("openai", "/chat/completions", "https://api.openai.com/v1/chat/completions", None),
    ("groq", "/chat/completions", "https://api.groq.com/openai/v1/chat/completions", None),
    ("anthropic", "/v1/messages", "https://api.anthropic.com/v1/messages", None),
    ("azure-openai", "/MyRes/gpt-4o/chat/completions",
     "https://myres.openai.azure.com/openai/deployments/gpt-4o/chat/completions", None),
    ("aws-bedrock", "/bedrock-runtime/eu-west-1/model/a.b%3A0/converse",
     "https://bedrock-runtime.eu-west-1.amazonaws.com/model/a.b%3A0/converse", "eu-west-1"),
    ("google-vertex-ai", "/v1/projects/p-123456/locations/global/publishers/google/models/g:x",
     "https://aiplatform.googleapis.com/v1/projects/p-123456/locations/global/publishers/google"
     "/models/g:x", "global"),
    ("workers-ai", "/@cf/meta/llama-3.1-8b-instruct",
     "https://api.cloudflare.com/client/v4/accounts/acct/ai/run/@cf/meta/llama-3.1-8b-instruct",
     None),
    ("workers-ai", "/v1/chat/completions",
     "https://api.cloudflare.com/client/v4/accounts/acct/ai/v1/chat/completions", None),
])
def test_routes_build_the_provider_url(slug, rest, url, region):
    target = route_request(PROVIDERS[slug], rest, "acct", S)
    assert target.url == url and target.region == region


def test_override_replaces_the_base_and_keeps_placeholders_working():
    s = Settings(upstream_overrides={"AZURE_OPENAI": "http://127.0.0.1:9/{resource}/{deployment}"})
    target = route_request(PROVIDERS["azure-openai"], "/res/dep/embeddings", "a", s)
    assert target.url == "http://127.0.0.1:9/res/dep/embeddings"


@pytest.mark.parametrize(("slug", "rest"), [
    ("azure-openai", "/evil.com%2F/dep/chat"),
    ("azure-openai", "/a@evil.com/dep/chat"),
    ("azure-openai", "/res:443/dep/chat"),
    ("azure-openai", "/res%0a/dep/chat"),
    ("azure-openai", "/res/../chat"),
    ("aws-bedrock", "/bedrock-runtime/us-east-1.evil.com/model/x/invoke"),
    ("aws-bedrock", "/bedrock-runtime/us-east-1%0A/model/x/invoke"),
    ("google-vertex-ai", "/v1/projects/p-123456/locations/us-central1.evil.com/x/y"),
])
def test_host_forming_segments_are_held_to_the_grammar(slug, rest):
    with pytest.raises(InvalidRequest):
        route_request(PROVIDERS[slug], rest, "acct", S)


def test_unknown_and_disabled_custom_providers_are_2008():
    with pytest.raises(InvalidRequest) as e:
        resolve_provider("nope", lambda _slug: None)
    assert e.value.code == 2008
    with pytest.raises(InvalidRequest):
        resolve_provider("custom-x", lambda _slug: {"base_url": "https://x", "enable": False})


def test_custom_provider_headers_become_default_headers():
    p = resolve_provider("custom-acme", lambda _slug: {"base_url": "https://api.acme.dev",
                                                       "headers": {"x-team": "t1"}})
    assert p.slug == "custom-acme" and dict(p.auth.default_headers) == {"x-team": "t1"}
