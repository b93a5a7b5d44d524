"""Route graphs: valid ones compile to what the engine walks; every invalid one is refused with
errors naming the element id, the property and the JSON path (cases in
tests/fixtures/routes/invalid)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aigw.errors import ValidationFailed
from aigw.providers.slugs import BUILTIN_SLUGS
from aigw.routing.graph import compile_graph

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
INVALID = sorted((FIXTURES / "invalid").glob("*.json"))


def known(slug: str) -> bool:
    return slug in BUILTIN_SLUGS or slug == "custom-mine"


def elements(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "valid" / f"{name}.json").read_text())


@pytest.mark.parametrize("name", ["ab_split", "fallback", "budget", "plans", "single"])
def test_valid_graphs_compile(name: str) -> None:
    graph = compile_graph(elements(name), known)
    assert graph.start == "start" and set(graph.nodes) == {e["id"] for e in elements(name)}


def test_compiled_nodes_carry_typed_properties() -> None:
    budget = compile_graph(elements("budget"), known).nodes["budget"]
    assert budget.rate is not None
    assert (budget.rate.limit_type, budget.rate.key, budget.rate.limit, budget.rate.window_s) == (
        "cost", ("metadata", "team"), 0.0001, 3600)
    primary = compile_graph(elements("fallback"), known).nodes["primary"]
    assert primary.model is not None and primary.model.retries == 1
    assert primary.outputs == {"success": "end", "fallback": "secondary"}
    split = compile_graph(elements("ab_split"), known).nodes["split"]
    assert split.splits == ((5000, "model-a"), (10_000, "model-b"))


def test_shares_may_be_fractional_and_else_takes_the_rest() -> None:
    els = elements("ab_split")
    els[1]["outputs"] = {"12.5%": {"elementId": "model-a"}, "80%": {"elementId": "model-b"},
                         "else": {"elementId": "model-a"}}
    assert compile_graph(els, known).nodes["split"].splits == (
        (1250, "model-a"), (9250, "model-b"), (10_000, "model-a"))


def test_custom_provider_and_optional_timeout_retries() -> None:
    els = elements("single")
    els[1]["properties"] = {"provider": "custom-mine", "model": "m"}
    step = compile_graph(els, known).nodes["only"].model
    assert step is not None and (step.timeout_ms, step.retries) == (None, 0)


def test_diamond_graphs_are_not_cycles() -> None:
    els = elements("plans")
    els[2]["outputs"]["fallback"] = {"elementId": "paid-model"}
    compile_graph(els, known)


@pytest.mark.parametrize("case", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_graph_is_refused_precisely(case: Path) -> None:
    spec = json.loads(case.read_text())
    with pytest.raises(ValidationFailed) as refused:
        compile_graph(spec["elements"], known)
    got = [(d.path, d.message) for d in refused.value.details]
    assert refused.value.code == 7001 and refused.value.status == 400
    for want in spec["errors"]:
        assert any(path == want["path"] and want["contains"] in message
                   for path, message in got), f"{spec['description']}: {want} not in {got}"
    assert len(got) == len(spec["errors"]), got


@pytest.mark.parametrize("mutate", [
    lambda els: els[1].__setitem__("id", ["not", "hashable"]),
    lambda els: els[1]["properties"].__setitem__("timeout", float("inf")),
    lambda els: els[1]["properties"].__setitem__("retries", float("nan")),
    lambda els: els[1]["properties"].__setitem__("retries", 10 ** 400),
    lambda els: els[1].__setitem__("outputs", {"success": {"elementId": ["x"]}}),
    lambda els: els[1].__setitem__("properties", "model"),
    lambda els: els.append("element"),
])
def test_odd_json_is_refused_never_crashes(mutate: Any) -> None:
    """Bodies parsed from JSON can hold lists where strings belong, Infinity and NaN (Python's
    json accepts them) or huge numbers: each is a 7001, never an exception of another kind."""
    els = elements("single")
    mutate(els)
    with pytest.raises(ValidationFailed):
        compile_graph(els, known)
