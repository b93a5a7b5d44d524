"""A dynamic route's elements as a checked graph: parsing and validation in one pass.

Elements are the spec's `{id, type, properties?, outputs}` (section 4, "Dynamic route
elements"); an output is `{"elementId": "<id>"}`. `compile_graph` turns a version's elements into
a `Graph` the engine walks, or raises `ValidationFailed` (400, code 7001) listing every problem,
each naming the element id and the property or output, with the JSON path under `elements`.

Rules: exactly one `start`; ids unique; every output points at an existing element; no cycles;
every element reachable from `start`; every path from `start` meets a `model` before it reaches
an `end` (a route that calls no model has nothing to answer with); `percentage` has 1..5 outputs
named like `"25%"` that sum to 100, or less plus an `else` output that takes the remainder
(Cloudflare's JSON format; keys are unique, so 50/50 is `{"50%": .., "else": ..}`); `rate` and
`model` properties in range; providers known (built-in slugs or the account's `custom-{slug}`);
conditions parse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from aigw.errors import FieldProblem, validation_failed
from aigw.routing.conditions import Condition, ConditionError, parse, parse_field

TYPES = ("start", "conditional", "percentage", "rate", "model", "end")
#: Output names each type must have, and may have.
REQUIRED_OUTPUTS: dict[str, frozenset[str]] = {
    "start": frozenset({"next"}), "conditional": frozenset({"true", "false"}),
    "rate": frozenset({"success"}), "model": frozenset({"success"}), "end": frozenset(),
}
OPTIONAL_OUTPUTS: dict[str, frozenset[str]] = {"rate": frozenset({"fallback"}),
                                               "model": frozenset({"fallback"})}
MAX_ELEMENTS = 100
MAX_SPLITS = 5
#: The percentage output that takes whatever share the named ones leave.
ELSE = "else"
MAX_WINDOW_S = 31 * 86400
MAX_TIMEOUT_MS = 600_000
#: Retries after the first attempt: 5 attempts in all, the gateway's limit (spec section 6).
MAX_RETRIES = 4
ID_MAX = 64


@dataclass(frozen=True)
class ModelStep:
    """A `model` element: which provider and model, the first-byte `timeout_ms` (None: the
    request's own `cf-aig-request-timeout`) and how many `retries` after the first attempt."""

    provider: str
    model: str
    timeout_ms: int | None
    retries: int


@dataclass(frozen=True)
class RateRule:
    """A `rate` element: at most `limit` requests (`count`) or USD (`cost`) per `key` value in a
    fixed `window_s`."""

    limit_type: str
    key: tuple[str, ...]
    limit: float
    window_s: int


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    #: output name -> target element id.
    outputs: Mapping[str, str]
    condition: Condition | None = None
    #: percentage: (cumulative upper bound in basis points of 10,000, target id), ascending.
    splits: tuple[tuple[int, str], ...] = ()
    rate: RateRule | None = None
    model: ModelStep | None = None


@dataclass(frozen=True)
class Graph:
    start: str
    nodes: Mapping[str, Node] = field(default_factory=dict)


ProviderKnown = Callable[[str], bool]


def compile_graph(elements: object, provider_known: ProviderKnown) -> Graph:
    """The checked graph of `elements`; raises `ValidationFailed` naming every problem."""
    problems: list[FieldProblem] = []
    nodes = _parse_elements(elements, provider_known, problems)
    starts = [n.id for n in nodes.values() if n.type == "start"]
    if not problems:
        if len(starts) != 1:
            found = ", ".join(f"'{s}'" for s in starts) or "none"
            problems.append(FieldProblem(["elements"], f"a route needs exactly one 'start' "
                                                       f"element (found {found})"))
        else:
            _check_shape(starts[0], nodes, _positions(elements), problems)
    if problems:
        raise validation_failed(problems)
    return Graph(starts[0], nodes)


def _positions(elements: object) -> dict[str, int]:
    items: list[Any] = elements if isinstance(elements, list) else []
    return {e["id"]: i for i, e in enumerate(items)
            if isinstance(e, Mapping) and isinstance(e.get("id"), str)}


def _parse_elements(elements: object, provider_known: ProviderKnown,
                    problems: list[FieldProblem]) -> dict[str, Node]:
    if not isinstance(elements, list) or not elements:
        problems.append(FieldProblem(["elements"], "must be a non-empty list of elements"))
        return {}
    if len(elements) > MAX_ELEMENTS:
        problems.append(FieldProblem(["elements"], f"at most {MAX_ELEMENTS} elements"))
        return {}
    ids = {e["id"] for e in elements if isinstance(e, Mapping) and isinstance(e.get("id"), str)}
    nodes: dict[str, Node] = {}
    for i, raw in enumerate(elements):
        node = _parse_element(i, raw, ids, provider_known, problems)
        if node is None:
            continue
        if node.id in nodes:
            problems.append(FieldProblem(["elements", i, "id"],
                                         f"element id '{node.id}' is used twice"))
        nodes[node.id] = node
    return nodes


class _Problems:
    """Problems of one element, each prefixed with the element's id and path."""

    def __init__(self, index: int, element_id: str, problems: list[FieldProblem]) -> None:
        self.index, self.element_id, self.problems = index, element_id, problems
        self.count = 0

    def add(self, where: list[str | int], message: str) -> None:
        self.count += 1
        name = ".".join(map(str, where))
        self.problems.append(FieldProblem(["elements", self.index, *where],
                                          f"element '{self.element_id}': {name} {message}"))


def _parse_element(index: int, raw: object, ids: set[Any], provider_known: ProviderKnown,
                   problems: list[FieldProblem]) -> Node | None:
    if not isinstance(raw, Mapping):
        problems.append(FieldProblem(["elements", index], "must be an object"))
        return None
    element_id = raw.get("id")
    if not isinstance(element_id, str) or not element_id or len(element_id) > ID_MAX:
        problems.append(FieldProblem(["elements", index, "id"],
                                     f"must be a non-empty string of at most {ID_MAX} characters"))
        return None
    p = _Problems(index, element_id, problems)
    kind = raw.get("type")
    if kind not in TYPES:
        p.add(["type"], f"must be one of {', '.join(TYPES)}")
        return None
    outputs = _outputs(kind, raw.get("outputs"), ids, p)
    props = raw.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, Mapping):
        p.add(["properties"], "must be an object")
        return None
    node = Node(element_id, kind, outputs)
    if kind == "conditional":
        node = _conditional(node, props, p)
    elif kind == "percentage":
        node = _percentage(node, p)
    elif kind == "rate":
        node = Node(element_id, kind, outputs, rate=_rate(props, p))
    elif kind == "model":
        node = Node(element_id, kind, outputs, model=_model(props, provider_known, p))
    return None if p.count else node


def _outputs(kind: str, raw: object, ids: set[Any], p: _Problems) -> dict[str, str]:
    if raw is None and kind == "end":
        return {}
    if not isinstance(raw, Mapping):
        p.add(["outputs"], "must be an object of {\"<output>\": {\"elementId\": \"<id>\"}}")
        return {}
    out: dict[str, str] = {}
    for name, target in raw.items():
        ref = target.get("elementId") if isinstance(target, Mapping) else None
        if not isinstance(ref, str):
            p.add(["outputs", name], "must be {\"elementId\": \"<id>\"}")
        elif ref not in ids:
            p.add(["outputs", name, "elementId"], f"points at '{ref[:ID_MAX]}', which is not an "
                                                  "element of this route")
        else:
            out[str(name)] = ref
    if kind == "percentage":
        return out
    allowed = REQUIRED_OUTPUTS[kind] | OPTIONAL_OUTPUTS.get(kind, frozenset())
    for name in raw:
        if name not in allowed:
            what = "no outputs" if not allowed else f"outputs {', '.join(sorted(allowed))}"
            p.add(["outputs", name], f"is not an output of a '{kind}' element (it has {what})")
    for name in sorted(REQUIRED_OUTPUTS[kind] - set(raw)):
        p.add(["outputs", name], "is required")
    return out


def _conditional(node: Node, props: Mapping[str, Any], p: _Problems) -> Node:
    # Cloudflare's docs show both `conditions` (the API schema) and `condition`.
    key = "conditions" if "conditions" in props else "condition"
    if key not in props:
        p.add(["properties", "conditions"], "is required")
        return node
    try:
        condition = parse(props[key])
    except ConditionError as e:
        p.add(["properties", key, *e.path], f"does not parse: {e.message}")
        return node
    return Node(node.id, node.type, node.outputs, condition=condition)


def _percentage(node: Node, p: _Problems) -> Node:
    """Shares named like "25%" (at most 5) plus an optional `else` that takes what is left;
    without `else` the shares must sum to 100."""
    shares = {k: v for k, v in node.outputs.items() if k != ELSE}
    if not 1 <= len(shares) + (ELSE in node.outputs) or len(shares) > MAX_SPLITS:
        p.add(["outputs"], f"must have 1 to {MAX_SPLITS} percentage outputs (has "
                           f"{len(shares)}), plus an optional 'else'")
        return node
    total, splits = Decimal(0), []
    for name, target in shares.items():
        share = _share(name)
        if share is None:
            p.add(["outputs", name], "must be named like '25%' (a percentage above 0, at most "
                                     "two decimals) or be 'else'")
            continue
        total += share
        splits.append((int(total * 100), target))
    if p.count:
        return node
    if total > 100 or (total != 100 and ELSE not in node.outputs):
        p.add(["outputs"], f"percentages must sum to 100% (they sum to {total.normalize():f}%; "
                           "an 'else' output may take the remainder)")
    elif ELSE in node.outputs and total < 100:
        splits.append((10_000, node.outputs[ELSE]))
    return Node(node.id, node.type, node.outputs, splits=tuple(splits))


def _share(name: str) -> Decimal | None:
    if not name.endswith("%"):
        return None
    try:
        share = Decimal(name[:-1])
    except InvalidOperation:
        return None
    ok = share.is_finite() and 0 < share <= 100 and share == share.quantize(Decimal("0.01"))
    return share if ok else None


def _number(props: Mapping[str, Any], name: str, p: _Problems, *, low: float, high: float,
            integer: bool, required: bool = True, low_open: bool = False) -> float | None:
    value = props.get(name)
    if value is None:
        if required:
            p.add(["properties", name], "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not math.isfinite(value)):
        p.add(["properties", name], f"must be a finite number, got {str(value)[:32]}")
        return None
    if integer and value != int(value):
        p.add(["properties", name], f"must be a whole number, got {value}")
        return None
    if value > high or value < low or (low_open and value == low):
        lower = f"above {low:g}" if low_open else f"at least {low:g}"
        shown = f"{value:g}" if abs(value) < 1e300 else str(value)[:32]
        p.add(["properties", name], f"must be {lower} and at most {high:g}, got {shown}")
        return None
    return value


def _rate(props: Mapping[str, Any], p: _Problems) -> RateRule | None:
    limit_type = props.get("limitType")
    if limit_type not in ("count", "cost"):
        p.add(["properties", "limitType"], "must be 'count' or 'cost'")
    key: tuple[str, ...] | None = None
    try:
        key = parse_field(props.get("key"))
    except ConditionError as e:
        p.add(["properties", "key"], f"must name a request field such as 'metadata.user_id' "
                                     f"({e.message})")
    limit = _number(props, "limit", p, low=0, high=1e12, integer=limit_type == "count",
                    low_open=True)
    window = _number(props, "window", p, low=1, high=MAX_WINDOW_S, integer=True)
    if limit is None or window is None or key is None or limit_type not in ("count", "cost"):
        return None
    return RateRule(str(limit_type), key, float(limit), int(window))


def _model(props: Mapping[str, Any], provider_known: ProviderKnown,
           p: _Problems) -> ModelStep | None:
    provider, model = props.get("provider"), props.get("model")
    if not isinstance(provider, str) or not provider:
        p.add(["properties", "provider"], "is required (a provider slug such as 'openai')")
    elif not provider_known(provider):
        p.add(["properties", "provider"], f"'{provider[:64]}' is not a known provider (a "
                                          "built-in slug or one of the account's custom-{slug})")
    if not isinstance(model, str) or not model.strip() or len(model) > 256:
        p.add(["properties", "model"], "is required (a model name of at most 256 characters)")
    timeout = _number(props, "timeout", p, low=1, high=MAX_TIMEOUT_MS, integer=True,
                      required=False)
    retries = _number(props, "retries", p, low=0, high=MAX_RETRIES, integer=True,
                      required=False)
    if p.count:
        return None
    return ModelStep(str(provider), str(model), None if timeout is None else int(timeout),
                     int(retries or 0))


def _check_shape(start: str, nodes: Mapping[str, Node], positions: Mapping[str, int],
                 problems: list[FieldProblem]) -> None:
    """Cycles, reachability, and a model before every end (depth-first from `start`)."""
    def problem(element_id: str, message: str, where: tuple[str | int, ...] = ()) -> None:
        problems.append(FieldProblem(["elements", positions[element_id], *where],
                                     f"element '{element_id}': {message}"))

    color: dict[str, int] = {}          # 1 = on the current path, 2 = done

    def find_cycles(node_id: str, trail: list[str]) -> None:
        color[node_id] = 1
        for name, target in nodes[node_id].outputs.items():
            if color.get(target) == 1:
                cycle = " -> ".join([*trail[trail.index(target):], node_id, target])
                problem(node_id, f"output '{name}' makes a cycle ({cycle})",
                        ("outputs", name, "elementId"))
            elif target not in color:
                find_cycles(target, [*trail, node_id])
        color[node_id] = 2

    find_cycles(start, [])
    if not problems:
        _check_every_path_has_a_model(start, nodes, problem)
    for node_id in nodes:
        if node_id not in color:
            problem(node_id, "is not reachable from 'start'")


def _check_every_path_has_a_model(start: str, nodes: Mapping[str, Node],
                                  problem: Callable[[str, str], None]) -> None:
    # Acyclic: walk (element, a model seen on the way) pairs, each at most once.
    seen: set[tuple[str, bool]] = set()
    pending = [(start, False)]
    modelless: set[str] = set()
    while pending:
        node_id, had_model = pending.pop()
        if (node_id, had_model) in seen:
            continue
        seen.add((node_id, had_model))
        node = nodes[node_id]
        had_model = had_model or node.type == "model"
        if node.type == "end" and not had_model:
            modelless.add(node_id)
        pending.extend((target, had_model) for target in node.outputs.values())
    for end_id in sorted(modelless):
        problem(end_id, "is reached from 'start' without passing a 'model' element, so that "
                        "path would have no answer")
