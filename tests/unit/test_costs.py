"""Costs against hand-computed cases, one or more per provider, from raw provider usage.

Each expected figure is worked out by hand from the provider's list prices (USD per million
tokens) as the pinned catalogue (genai-prices 0.2.3) has them, written next to the case:
uncached input, cache reads, cache writes and output (reasoning included) at their own rates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aigw.costs import cost_of, custom_cost, model_catalog
from aigw.providers.registry import PROVIDERS
from aigw.providers.spec import StreamEvent, Usage
from aigw.providers.usage_readers import reader_for

#: A weekday at 10:00 UTC: DeepSeek's standard (not off-peak) rates apply.
PEAK = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

CASES: list[tuple[str, str, Any, dict[str, int | None], float]] = [
    # provider, model, the provider's own answer, expected counts, expected USD
    ("openai", "gpt-4o",
     {"usage": {"prompt_tokens": 1000, "completion_tokens": 500,
                "prompt_tokens_details": {"cached_tokens": 400}}},
     {"input_tokens": 1000, "output_tokens": 500, "cache_read_tokens": 400},
     (600 * 2.5 + 400 * 1.25 + 500 * 10) / 1e6),
    ("openai", "o4-mini",  # reasoning is billed as output
     {"usage": {"prompt_tokens": 100, "completion_tokens": 2000,
                "completion_tokens_details": {"reasoning_tokens": 1500}}},
     {"input_tokens": 100, "output_tokens": 2000, "reasoning_tokens": 1500},
     (100 * 1.1 + 2000 * 4.4) / 1e6),
    ("openai", "gpt-4o",  # Responses API
     {"object": "response", "usage": {"input_tokens": 1000, "output_tokens": 500,
                                      "input_tokens_details": {"cached_tokens": 400},
                                      "output_tokens_details": {"reasoning_tokens": 0}}},
     {"input_tokens": 1000, "output_tokens": 500, "cache_read_tokens": 400},
     (600 * 2.5 + 400 * 1.25 + 500 * 10) / 1e6),
    ("anthropic", "claude-sonnet-4-5-20250929",
     {"usage": {"input_tokens": 100, "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 2000, "output_tokens": 300}},
     {"input_tokens": 3100, "output_tokens": 300, "cache_read_tokens": 1000,
      "cache_write_tokens": 2000},
     (100 * 3 + 1000 * 0.30 + 2000 * 3.75 + 300 * 15) / 1e6),
    ("google-ai-studio", "gemini-2.5-pro",  # thinking is billed as output
     {"usageMetadata": {"promptTokenCount": 1000, "cachedContentTokenCount": 200,
                        "candidatesTokenCount": 300, "thoughtsTokenCount": 700}},
     {"input_tokens": 1000, "output_tokens": 1000, "cache_read_tokens": 200,
      "reasoning_tokens": 700},
     (800 * 1.25 + 200 * 0.125 + 1000 * 10) / 1e6),
    ("google-vertex-ai", "gemini-2.5-pro",  # over 200k prompt tokens: the long-context tier
     {"usageMetadata": {"promptTokenCount": 300_000, "candidatesTokenCount": 1000}},
     {"input_tokens": 300_000, "output_tokens": 1000},
     (300_000 * 2.5 + 1000 * 15) / 1e6),
    ("aws-bedrock", "amazon.nova-pro-v1:0",  # Converse
     {"usage": {"inputTokens": 1000, "outputTokens": 200, "cacheReadInputTokens": 500}},
     {"input_tokens": 1500, "output_tokens": 200, "cache_read_tokens": 500},
     (1000 * 0.8 + 500 * 0.2 + 200 * 3.2) / 1e6),
    ("cohere", "command-a-03-2025",
     {"usage": {"billed_units": {"input_tokens": 1000, "output_tokens": 200},
                "tokens": {"input_tokens": 1100, "output_tokens": 200}}},
     {"input_tokens": 1000, "output_tokens": 200},
     (1000 * 2.5 + 200 * 10) / 1e6),
    ("workers-ai", "@cf/meta/llama-3.1-8b-instruct",  # native /run answer
     {"result": {"response": "hi", "usage": {"prompt_tokens": 1000,
                                             "completion_tokens": 1000}}},
     {"input_tokens": 1000, "output_tokens": 1000},
     (1000 * 0.282 + 1000 * 0.827) / 1e6),
    ("grok", "grok-4",
     {"usage": {"prompt_tokens": 1000, "completion_tokens": 100,
                "prompt_tokens_details": {"cached_tokens": 600}}},
     {"input_tokens": 1000, "output_tokens": 100, "cache_read_tokens": 600},
     (400 * 3 + 600 * 0.75 + 100 * 15) / 1e6),
    ("deepseek", "deepseek-reasoner",
     {"usage": {"prompt_tokens": 1000, "completion_tokens": 1000,
                "prompt_cache_hit_tokens": 500, "prompt_cache_miss_tokens": 500,
                "completion_tokens_details": {"reasoning_tokens": 800}}},
     {"input_tokens": 1000, "output_tokens": 1000, "cache_read_tokens": 500,
      "reasoning_tokens": 800},
     (500 * 0.55 + 500 * 0.14 + 1000 * 2.19) / 1e6),
    ("groq", "llama-3.1-8b-instant",
     {"usage": {"prompt_tokens": 1000, "completion_tokens": 1000}},
     {"input_tokens": 1000, "output_tokens": 1000}, (1000 * 0.05 + 1000 * 0.08) / 1e6),
    ("mistral", "mistral-small-latest",
     {"usage": {"prompt_tokens": 2000, "completion_tokens": 1000}},
     {"input_tokens": 2000, "output_tokens": 1000}, (2000 * 0.15 + 1000 * 0.6) / 1e6),
    ("azure-openai", "res/my-deployment",  # deployment names are not models: the answer's is
     {"model": "gpt-4o-2024-08-06", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
     {"input_tokens": 1000, "output_tokens": 100}, (1000 * 2.5 + 100 * 10) / 1e6),
]


@pytest.mark.parametrize(("slug", "model", "answer", "counts", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_cost_matches_the_hand_computed_figure(slug, model, answer, counts, expected):
    provider = PROVIDERS[slug]
    usage = reader_for(provider).body(answer)
    assert usage is not None
    assert {k: getattr(usage, k) for k in counts} == counts
    cost = cost_of(provider.prices, model, usage, None, PEAK)
    assert cost == pytest.approx(expected, rel=1e-9)


def test_bedrock_invoke_counts_come_from_headers_and_the_stream_metrics():
    bedrock = PROVIDERS["aws-bedrock"].usage
    assert bedrock is not None and bedrock.headers is not None
    usage = bedrock.headers({"X-Amzn-Bedrock-Input-Token-Count": "1000",
                             "X-Amzn-Bedrock-Output-Token-Count": "100"})
    assert usage == Usage(input_tokens=1000, output_tokens=100)
    # regional Claude Haiku 4.5 on Bedrock: $1.10 in, $5.50 out
    assert cost_of("aws", "anthropic.claude-haiku-4-5-20251001-v1:0", usage, None) == \
        pytest.approx((1000 * 1.1 + 100 * 5.5) / 1e6)


def test_deepseek_off_peak_hours_are_cheaper():
    usage = Usage(input_tokens=1000, output_tokens=1000)
    off_peak = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    peak_cost = cost_of("deepseek", "deepseek-reasoner", usage, None, PEAK)
    off_cost = cost_of("deepseek", "deepseek-reasoner", usage, None, off_peak)
    assert peak_cost is not None and off_cost is not None and off_cost < peak_cost


def test_cache_writes_and_reads_use_their_custom_rates():
    usage = Usage(input_tokens=1000, output_tokens=10, cache_read_tokens=300,
                  cache_write_tokens=200)
    rates = {"per_token_in": 1e-6, "per_token_out": 2e-6, "per_cache_read_token": 1e-7,
             "per_cache_write_token": 3e-6}
    assert custom_cost(usage, rates) == pytest.approx(500e-6 + 300e-7 + 200 * 3e-6 + 10 * 2e-6)
    # reads and writes fall back to the input rate
    assert custom_cost(usage, {"per_token_in": 1e-6}) == pytest.approx(1000e-6)


def test_custom_cost_overrides_the_catalogue_and_prices_unknown_models():
    usage = Usage(input_tokens=10, output_tokens=5)
    assert cost_of("openai", "gpt-4o", usage, {"total_cost": 1.5}) == 1.5
    assert cost_of("openai", "not-a-model", usage,
                   {"per_token_in": 0.001, "per_token_out": 0.002}) == pytest.approx(0.02)


def test_unknown_model_or_provider_costs_null_not_zero():
    usage = Usage(input_tokens=10, output_tokens=5)
    assert cost_of("openai", "not-a-model", usage, None) is None
    assert cost_of(None, "gpt-4o", usage, None) is None  # custom provider: no list prices
    assert cost_of("openai", "gpt-4o", Usage(), None) is None  # no counts: unknown, not 0


def test_stream_events_are_read_in_parts():
    anthropic = PROVIDERS["anthropic"].usage
    assert anthropic is not None
    start = anthropic.event(StreamEvent("message_start", {"type": "message_start", "message": {
        "model": "claude-sonnet-4-5", "usage": {"input_tokens": 10, "output_tokens": 1,
                                                "cache_read_input_tokens": 5}}}))
    delta = anthropic.event(StreamEvent("message_delta", {"type": "message_delta",
                                                          "usage": {"output_tokens": 42}}))
    assert start is not None
    total = start.updated(delta)
    assert (total.input_tokens, total.output_tokens, total.cache_read_tokens) == (15, 42, 5)


def test_catalog_lists_every_priced_provider_with_prices():
    models = model_catalog()
    ids = {m["id"] for m in models}
    assert {"openai/gpt-4o", "anthropic/claude-sonnet-4-5", "aws-bedrock/amazon.nova-pro-v1:0",
            "google-ai-studio/gemini-2.5-pro", "workers-ai/@cf/meta/llama-3.1-8b-instruct"} <= ids
    gpt = next(m for m in models if m["id"] == "openai/gpt-4o")
    assert gpt["object"] == "model" and gpt["pricing"]["input_per_million"] == 2.5
    pro = next(m for m in models if m["id"] == "google-ai-studio/gemini-2.5-pro")
    assert pro["pricing"]["input_per_million"] == 1.25
    assert pro["pricing"]["tiers"][0] == {"above_input_tokens": 200_000, "input_per_million": 2.5,
                                          "output_per_million": 15.0,
                                          "cache_read_per_million": 0.25}
