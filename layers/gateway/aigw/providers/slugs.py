"""The built-in provider slugs, in one place.

The management API checks `provider_slug` against this set without importing any adapter (the
management function stays lean), and the provider registry is tested against it so the two
cannot drift. Custom providers are not listed: they are `custom-{slug}` per account.
"""

from __future__ import annotations

#: Every slug in the spec's provider table (`spec/cloudflare-compat.md`, section 1).
BUILTIN_SLUGS: frozenset[str] = frozenset({
    "openai", "anthropic", "google-ai-studio", "google-vertex-ai", "aws-bedrock", "azure-openai",
    "workers-ai", "groq", "mistral", "cohere", "deepseek", "openrouter", "perplexity-ai", "grok",
    "cerebras", "huggingface", "replicate",
})

#: Data-plane prefix of a custom provider: `custom-{slug}`.
CUSTOM_PREFIX = "custom-"
