"""Provider names in the OpenTelemetry GenAI semantic conventions (`gen_ai.provider.name`).

The conventions' registry lists well-known values (`aws.bedrock`, `gcp.vertex_ai`, ...); a
provider it does not list is named by its aigw slug.
"""

from __future__ import annotations

SEMCONV_PROVIDER: dict[str, str] = {
    "openai": "openai", "azure-openai": "azure.ai.openai", "anthropic": "anthropic",
    "aws-bedrock": "aws.bedrock", "google-ai-studio": "gcp.gemini",
    "google-vertex-ai": "gcp.vertex_ai", "cohere": "cohere", "groq": "groq",
    "mistral": "mistral_ai", "deepseek": "deepseek", "perplexity-ai": "perplexity",
    "grok": "x_ai",
}


def semconv_provider(slug: str) -> str:
    return SEMCONV_PROVIDER.get(slug, slug)
