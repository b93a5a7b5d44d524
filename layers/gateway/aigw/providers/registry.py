"""Providers by slug, plus the per-account custom providers (`custom-{slug}`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aigw.config import Settings
from aigw.errors import InvalidRequest
from aigw.providers.anthropic import ANTHROPIC
from aigw.providers.aws_bedrock import AWS_BEDROCK
from aigw.providers.azure_openai import AZURE_OPENAI
from aigw.providers.cohere import COHERE
from aigw.providers.google_ai_studio import GOOGLE_AI_STUDIO
from aigw.providers.google_vertex import GOOGLE_VERTEX_AI
from aigw.providers.openai_like import OPENAI_LIKE
from aigw.providers.routing import default_route
from aigw.providers.slugs import CUSTOM_PREFIX
from aigw.providers.spec import AuthScheme, Provider, RouteContext, Target
from aigw.providers.workers_ai import WORKERS_AI

PROVIDERS: dict[str, Provider] = {p.slug: p for p in (
    *OPENAI_LIKE, AZURE_OPENAI, AWS_BEDROCK, GOOGLE_VERTEX_AI, WORKERS_AI, ANTHROPIC,
    GOOGLE_AI_STUDIO, COHERE)}

def custom_provider(slug: str, doc: dict[str, Any]) -> Provider:
    """A stored custom provider as a declaration: Bearer if a key is stored, else the client's;
    the provider's configured headers are added to every request that lacks them."""
    headers = tuple((doc.get("headers") or {}).items())
    return Provider(f"{CUSTOM_PREFIX}{slug}", doc["base_url"],
                    auth=AuthScheme(default_headers=headers), embeddings_path="/embeddings")


def is_user_configured(provider: Provider) -> bool:
    """Whether the provider's destination comes from a user (custom providers): such requests
    go through the egress policy (`aigw.egress`)."""
    return provider.slug.startswith(CUSTOM_PREFIX)


#: slug -> the stored custom provider document, or None.
CustomLookup = Callable[[str], "dict[str, Any] | None"]


def resolve_provider(slug: str, custom_lookup: CustomLookup) -> Provider:
    """The provider for `slug`; custom ones are looked up (cached) by their slug."""
    provider = PROVIDERS.get(slug)
    if provider is not None:
        return provider
    if slug.startswith(CUSTOM_PREFIX):
        doc = custom_lookup(slug[len(CUSTOM_PREFIX):])
        if doc and doc.get("enable", True):
            return custom_provider(slug[len(CUSTOM_PREFIX):], doc)
    raise InvalidRequest(f"unknown provider '{slug[:64]}'", code=2008)


def base_for(provider: Provider, settings: Settings) -> str:
    return settings.upstream_override(provider.slug) or provider.base_url


def route_request(provider: Provider, rest: str, account_id: str, settings: Settings) -> Target:
    ctx = RouteContext(account_id=account_id, base=base_for(provider, settings))
    return (provider.route or default_route)(rest, ctx)
