"""Cost estimates from OpenAI-shaped usage, and the custom-cost override."""

from __future__ import annotations

import pytest

from aigw.costs import Price, estimate_cost, model_catalog, price_of


def test_cached_tokens_are_billed_at_the_cache_read_rate():
    usage = {"prompt_tokens": 1000, "completion_tokens": 500,
             "prompt_tokens_details": {"cached_tokens": 400}}
    cost = estimate_cost(Price(3.0, 15.0, 0.30), usage)
    assert cost == pytest.approx((600 * 3.0 + 400 * 0.30 + 500 * 15.0) / 1e6)


def test_unknown_model_has_no_estimate_but_custom_cost_still_applies():
    usage = {"prompt_tokens": 10, "completion_tokens": 5}
    assert price_of("openai", "not-a-model") is None
    assert estimate_cost(None, usage) is None
    assert estimate_cost(None, usage, {"per_token_in": 0.001, "per_token_out": 0.002}) == \
        pytest.approx(0.02)
    assert estimate_cost(None, usage, {"total_cost": 1.5}) == 1.5


def test_catalog_is_openai_model_list_shaped():
    models = model_catalog()
    assert all(m["object"] == "model" and "/" in m["id"] for m in models)
    assert {"openai/gpt-5-mini", "anthropic/claude-sonnet-4-5"} <= {m["id"] for m in models}
