"""Model prices (USD per million tokens) and the cost estimate on each log record.

Prices are list prices from each provider's public pricing page (late 2026); `None` where a
rate is not published or not known to aigw. `cf-aig-custom-cost` overrides the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None


_P = Price
PRICES: dict[str, Price] = {
    "openai/gpt-5": _P(1.25, 10.0, 0.125),
    "openai/gpt-5-mini": _P(0.25, 2.0, 0.025),
    "openai/gpt-5-nano": _P(0.05, 0.40, 0.005),
    "openai/gpt-4.1": _P(2.0, 8.0, 0.50),
    "openai/gpt-4.1-mini": _P(0.40, 1.60, 0.10),
    "openai/gpt-4.1-nano": _P(0.10, 0.40, 0.025),
    "openai/gpt-4o": _P(2.50, 10.0, 1.25),
    "openai/gpt-4o-mini": _P(0.15, 0.60, 0.075),
    "openai/o3": _P(2.0, 8.0, 0.50),
    "openai/o4-mini": _P(1.10, 4.40, 0.275),
    "openai/text-embedding-3-small": _P(0.02, 0.0),
    "openai/text-embedding-3-large": _P(0.13, 0.0),
    "anthropic/claude-opus-4-1": _P(15.0, 75.0, 1.50, 18.75),
    "anthropic/claude-sonnet-4-5": _P(3.0, 15.0, 0.30, 3.75),
    "anthropic/claude-haiku-4-5": _P(1.0, 5.0, 0.10, 1.25),
    "google-ai-studio/gemini-2.5-pro": _P(1.25, 10.0),
    "google-ai-studio/gemini-2.5-flash": _P(0.30, 2.50),
    "google-ai-studio/gemini-2.5-flash-lite": _P(0.10, 0.40),
    "google-ai-studio/text-embedding-004": _P(0.0, 0.0),
    "google-vertex-ai/google/gemini-2.5-pro": _P(1.25, 10.0),
    "google-vertex-ai/google/gemini-2.5-flash": _P(0.30, 2.50),
    "aws-bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0": _P(3.0, 15.0, 0.30, 3.75),
    "aws-bedrock/anthropic.claude-haiku-4-5-20251001-v1:0": _P(1.0, 5.0, 0.10, 1.25),
    "aws-bedrock/amazon.nova-pro-v1:0": _P(0.80, 3.20),
    "aws-bedrock/amazon.nova-lite-v1:0": _P(0.06, 0.24),
    "aws-bedrock/amazon.titan-embed-text-v2:0": _P(0.02, 0.0),
    "aws-bedrock/cohere.embed-english-v3": _P(0.10, 0.0),
    "cohere/command-a-03-2025": _P(2.50, 10.0),
    "cohere/command-r-plus-08-2024": _P(2.50, 10.0),
    "cohere/command-r-08-2024": _P(0.15, 0.60),
    "cohere/embed-v4.0": _P(0.12, 0.0),
    "groq/llama-3.3-70b-versatile": _P(0.59, 0.79),
    "groq/llama-3.1-8b-instant": _P(0.05, 0.08),
    "mistral/mistral-large-latest": _P(2.0, 6.0),
    "mistral/mistral-small-latest": _P(0.10, 0.30),
    "deepseek/deepseek-chat": _P(0.28, 0.42, 0.028),
    "deepseek/deepseek-reasoner": _P(0.28, 0.42, 0.028),
    "grok/grok-4": _P(3.0, 15.0, 0.75),
    "grok/grok-3-mini": _P(0.30, 0.50, 0.075),
    "cerebras/llama3.1-8b": _P(0.10, 0.10),
    "workers-ai/@cf/meta/llama-3.1-8b-instruct": _P(0.282, 0.827),
}


def price_of(provider: str, model: str) -> Price | None:
    return PRICES.get(f"{provider}/{model}")


def estimate_cost(price: Price | None, usage: dict[str, Any],
                  custom: dict[str, float] | None = None) -> float | None:
    """USD for one request from OpenAI-shaped usage; custom rates are per token."""
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    cached = int(((usage.get("prompt_tokens_details") or {}).get("cached_tokens")) or 0)
    if custom:
        if "total_cost" in custom:
            return custom["total_cost"]
        return ((prompt - cached) * custom.get("per_token_in", 0.0)
                + cached * custom.get("per_cache_read_token", custom.get("per_token_in", 0.0))
                + completion * custom.get("per_token_out", 0.0))
    if price is None:
        return None
    read_rate = price.cache_read if price.cache_read is not None else price.input
    return ((prompt - cached) * price.input + cached * read_rate
            + completion * price.output) / 1_000_000


def model_catalog() -> list[dict[str, Any]]:
    """`GET /compat/models`: OpenAI's model list shape, with aigw's prices attached."""
    return [{"id": model_id, "object": "model", "created": 0,
             "owned_by": model_id.split("/", 1)[0],
             "pricing": {"input_per_million": p.input, "output_per_million": p.output,
                         "cache_read_per_million": p.cache_read,
                         "cache_write_per_million": p.cache_write}}
            for model_id, p in sorted(PRICES.items())]
