"""Costs: the USD price of one answer, from the `genai-prices` catalogue or the client's rates.

The catalogue is pydantic's maintained `genai-prices` package (pinned in the layer's
requirements): list prices per provider and model for input, output, cache reads and writes,
with tiers (e.g. Gemini's long-context rates) and dated price changes; it runs from the data the
package ships, never from the network. Each provider declaration names its catalogue id
(`Provider.prices`). Importing the package costs ~100 ms of CPU (bench/costs_lookup.py), so it
is loaded on the first cost asked for, not at cold start.

Rules: `cf-aig-custom-cost` replaces the catalogue (`total_cost`, or per-token rates); a model
the catalogue does not know gives `None` (unknown), never 0.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aigw.providers.spec import Usage


def custom_cost(usage: Usage, rates: dict[str, float]) -> float:
    """USD from `cf-aig-custom-cost` rates (USD per token), or its `total_cost`.

    Cache reads and writes use their own rates when given, else `per_token_in`.
    """
    if "total_cost" in rates:
        return float(rates["total_cost"])
    per_in = float(rates.get("per_token_in", 0.0))
    read = usage.cache_read_tokens or 0
    write = usage.cache_write_tokens or 0
    plain = max((usage.input_tokens or 0) - read - write, 0)
    return (plain * per_in
            + read * float(rates.get("per_cache_read_token", per_in))
            + write * float(rates.get("per_cache_write_token", per_in))
            + (usage.output_tokens or 0) * float(rates.get("per_token_out", 0.0)))


def catalogue_cost(catalogue_id: str | None, model: str | None, usage: Usage,
                   at: datetime | None = None) -> float | None:
    """USD at list price, or None when the provider or model is not in the catalogue.

    `at` is the time of the request (default now): prices can change by date, and some by time
    of day (DeepSeek's off-peak discount).

    Tries the model as named, then its last path part (`google/gemini-2.5-pro` on Vertex),
    then the model the answer reported (`usage.model`: Azure deployments, aliases).
    """
    if catalogue_id is None or not usage.reported:
        return None
    from genai_prices import Usage as CatalogueUsage
    from genai_prices.data_snapshot import get_snapshot

    counts = CatalogueUsage(
        input_tokens=usage.input_tokens or 0, output_tokens=usage.output_tokens or 0,
        cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
        output_reasoning_tokens=usage.reasoning_tokens)
    for ref in _model_refs(model, usage.model):
        try:
            result = get_snapshot().calc(counts, ref, catalogue_id, None, at, None)
        except LookupError:
            continue
        return float(result.total_price)
    return None


def _model_refs(model: str | None, reported: str | None) -> list[str]:
    refs: list[str] = []
    for name in (model, reported):
        if name:
            refs += [name] + ([name.rsplit("/", 1)[1]] if "/" in name else [])
    return list(dict.fromkeys(refs))


def cost_of(catalogue_id: str | None, model: str | None, usage: Usage,
            rates: dict[str, float] | None, at: datetime | None = None) -> float | None:
    """The record's `cost`: the client's rates when given, else the catalogue's (or None)."""
    if rates:
        return custom_cost(usage, rates)
    return catalogue_cost(catalogue_id, model, usage, at)


#: Catalogue price keys (USD per million tokens) -> the names `/compat/models` shows.
PRICE_FIELDS = {"input_mtok": "input_per_million", "output_mtok": "output_per_million",
                "cache_read_mtok": "cache_read_per_million",
                "cache_write_mtok": "cache_write_per_million"}


def _pricing(prices: Any) -> dict[str, Any]:
    """Base rates as plain numbers; tiered rates under `tiers`, one entry per threshold
    (`above_input_tokens`: the prompt size from which that tier's rates apply to all tokens)."""
    out: dict[str, Any] = {}
    tiers: dict[int, dict[str, Any]] = {}
    for key, name in PRICE_FIELDS.items():
        value = getattr(prices, key, None)
        if value is None or isinstance(value, Decimal):
            out[name] = None if value is None else float(value)
            continue
        out[name] = float(value.base)
        for tier in value.tiers:
            tiers.setdefault(tier.start, {"above_input_tokens": tier.start})[name] = \
                float(tier.price)
    if tiers:
        out["tiers"] = [tiers[start] for start in sorted(tiers)]
    return out


@functools.cache
def model_catalog() -> list[dict[str, Any]]:
    """`GET /compat/models`: OpenAI's model list shape, each model with its current list prices
    in `pricing` (USD per million tokens; `tiers` where the price depends on prompt size)."""
    from genai_prices.data_snapshot import get_snapshot

    from aigw.providers.registry import PROVIDERS

    now = datetime.now(UTC)
    by_id = {p.id: p for p in get_snapshot().providers}
    out: list[dict[str, Any]] = []
    for slug, provider in sorted(PROVIDERS.items()):
        catalogue = by_id.get(provider.prices or "")
        if catalogue is None:
            continue
        out += [{"id": f"{slug}/{model.id}", "object": "model", "created": 0, "owned_by": slug,
                 "pricing": _pricing(model.get_prices(now))} for model in catalogue.models]
    return out
