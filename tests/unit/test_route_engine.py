"""The route engine's walk: branches, splits, rate counters, fallbacks, path recorded."""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import dataclass
from typing import Any

from aigw.errors import RateLimited
from aigw.providers.slugs import BUILTIN_SLUGS
from aigw.routing.conditions import RequestFacts
from aigw.routing.engine import BUCKETS, bucket, run_graph
from aigw.routing.graph import Graph, Node, compile_graph
from tests.fakes.rate_counters import MemoryRateCounters
from tests.fakes.routes import elements


@dataclass
class FakeAttempt:
    model: str
    ok: bool
    discarded: bool = False

    async def discard(self) -> None:
        self.discarded = True


class Models:
    """A `call_model` whose models fail when listed in `failing`."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing, self.calls = failing, []

    async def __call__(self, node: Node) -> FakeAttempt:
        assert node.model is not None
        self.calls.append(node.model.model)
        return FakeAttempt(node.model.model, node.model.model not in self.failing)


def graph(name: str, **models: str) -> Graph:
    return compile_graph(elements(name, **models), lambda s: s in BUILTIN_SLUGS)


def walk(g: Graph, facts: RequestFacts | None = None, request_id: str = "req",
         models: Models | None = None, counters: MemoryRateCounters | None = None) -> Any:
    return asyncio.run(run_graph(g, facts or RequestFacts(), request_id,
                                 counters or MemoryRateCounters(), models or Models(), "p"))


def test_conditional_on_metadata_routes_free_and_paid_differently() -> None:
    g = graph("plans")
    free = walk(g, RequestFacts(metadata={"plan": "free"}))
    paid = walk(g, RequestFacts(metadata={"plan": "paid"}))
    assert free.attempt.model == "gpt-4o-mini" and paid.attempt.model == "gpt-4o"
    assert free.path == ["start", "is-free", "free-model", "end"]
    assert paid.path == ["start", "is-free", "paid-model", "end"]


def test_failing_primary_falls_back_and_the_path_shows_it() -> None:
    models = Models(frozenset({"primary-model"}))
    run = walk(graph("fallback"), models=models)
    assert models.calls == ["primary-model", "claude-sonnet-4-5"]
    assert run.attempt.model == "claude-sonnet-4-5" and run.attempt.ok
    assert run.path == ["start", "primary", "secondary", "end"]


def test_failure_without_fallback_ends_with_that_failure() -> None:
    run = walk(graph("fallback"), models=Models(frozenset({"primary-model",
                                                           "claude-sonnet-4-5"})))
    assert run.attempt.ok is False and run.attempt.model == "claude-sonnet-4-5"
    assert run.path == ["start", "primary", "secondary"]  # no fallback: the walk ends there


def test_a_later_model_replaces_and_discards_the_earlier_answer() -> None:
    els = elements("fallback")
    els[1]["outputs"]["success"] = {"elementId": "secondary"}  # primary, then secondary always
    g = compile_graph(els, lambda s: True)
    models = Models()
    run = walk(g, models=models)
    assert models.calls == ["primary-model", "claude-sonnet-4-5"]
    assert run.attempt.model == "claude-sonnet-4-5"


def test_percentage_is_deterministic_per_request_id() -> None:
    g = graph("ab_split")
    first = walk(g, request_id="01HX-fixed").attempt.model
    assert all(walk(g, request_id="01HX-fixed").attempt.model == first for _ in range(5))


def test_bucket_is_uniform_over_time_sortable_ids() -> None:
    """100,000 ULID-like ids into 10 bins: a chi-square test at p = 0.001 (9 degrees of freedom:
    critical value 27.88); the ids share their time prefix, as one burst of traffic does."""
    bins = [0] * 10
    for i in range(100_000):
        bins[bucket(f"01JD8X{i:020d}", "split") * 10 // BUCKETS] += 1
    expected = 10_000
    chi2 = sum((b - expected) ** 2 / expected for b in bins)
    assert chi2 < 27.88, bins


def test_ab_split_over_1000_requests_is_within_four_sigma() -> None:
    g = graph("ab_split")
    got = sum(walk(g, request_id=uuid.uuid4().hex).attempt.model == "model-a"
              for _ in range(1000))
    sigma = math.sqrt(1000 * 0.5 * 0.5)  # 15.8
    assert abs(got - 500) <= 4 * sigma, got


def test_count_rate_passes_limit_then_falls_back() -> None:
    els = elements("budget")
    els[1]["properties"] = {"limitType": "count", "key": "metadata.team", "limit": 2,
                            "window": 60}
    g = compile_graph(els, lambda s: True)
    counters = MemoryRateCounters()
    team = RequestFacts(metadata={"team": "a"})
    got = [walk(g, team, counters=counters).attempt.model for _ in range(3)]
    assert got == ["gpt-4o", "gpt-4o", "gpt-4o-mini"]
    other = walk(g, RequestFacts(metadata={"team": "b"}), counters=counters)
    assert other.attempt.model == "gpt-4o"  # each key value has its own counter


def test_cost_rate_checks_spend_and_asks_for_the_charge() -> None:
    g = graph("budget")
    counters = MemoryRateCounters()
    facts = RequestFacts(metadata={"team": "a"})
    run = walk(g, facts, counters=counters)
    assert run.attempt.model == "gpt-4o" and len(run.cost_windows) == 1
    key, window = run.cost_windows[0]
    assert window == 3600 and key.startswith("p:budget:")
    counters.charge(key, window, 0.0002)  # the answer's cost, charged by the surface
    after = walk(g, facts, counters=counters)
    assert after.attempt.model == "gpt-4o-mini" and after.cost_windows == []


def test_rate_without_fallback_refuses_with_429() -> None:
    els = elements("budget")
    del els[1]["outputs"]["fallback"]
    els[1]["properties"] = {"limitType": "count", "key": "user", "limit": 1, "window": 60}
    els = [e for e in els if e["id"] != "cheap"]
    g = compile_graph(els, lambda s: True)
    counters = MemoryRateCounters()
    assert walk(g, RequestFacts(body={"user": "u"}), counters=counters).refused is None
    refused = walk(g, RequestFacts(body={"user": "u"}), counters=counters)
    assert isinstance(refused.refused, RateLimited) and refused.refused.status == 429
    assert "route element 'budget' allows 1 requests per 60s for 'user'" in refused.refused.message
    assert refused.attempt is None and refused.path == ["start", "budget"]
