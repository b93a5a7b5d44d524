"""Runs a deployed route graph for one request: which elements it passes, which models it calls.

The walk is independent of the surface: a `model` element is handed to `call_model`, which the
compat surface implements by running one compat call through the policy stage, and returns an
`Attempt` (an answer that started, or a failure). The engine decides where to go next:

- `start` -> `next`; `conditional` -> `true`/`false` by `aigw.routing.conditions`;
- `percentage` -> the output whose share holds `bucket(request id, element id)`, a number in
  0..9999 from SHA-256, so a request's branch is fixed by its log id and the split is even;
- `rate` -> `success` while the key's counter is under its limit, else `fallback` (without a
  `fallback`, the request is refused with 429 / 2003). `count` takes one unit atomically before
  passing; `cost` checks what was spent in the window and, after the answer, charges its cost
  (so concurrent requests may overshoot by what is in flight, as spend limits do);
- `model` -> `success` if the call answered, else `fallback` (error, timeout, exhausted retries);
  without a `fallback` the walk ends with that failure;
- `end` -> the last model answer, or the last failure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aigw.errors import GatewayError, RateLimited
from aigw.routing.conditions import RequestFacts, evaluate
from aigw.routing.graph import Graph, Node

BUCKETS = 10_000
#: A generous bound on elements passed by one request (graphs are acyclic; this guards code).
MAX_STEPS = 256


class RateCounters(Protocol):
    """The counters a `rate` element uses (the counters table, shared with rate/spend limits)."""

    def admit(self, key: str, limit: float, window_s: int) -> bool:
        """Count one request if fewer than `limit` were counted in the window."""

    def spent(self, key: str, window_s: int) -> float:
        """USD charged to `key` in the current window."""

    def charge(self, key: str, window_s: int, amount: float) -> None:
        """Add `amount` USD to `key`'s current window."""


class Attempt(Protocol):
    """One model element's call: `ok` once its answer started (first byte), else a failure."""

    ok: bool

    async def discard(self) -> None:
        """Release the answer (a later model element replaced it)."""


ModelCall = Callable[[Node], Awaitable[Any]]


@dataclass
class RouteRun:
    """What the walk did: elements passed in order, the answer, the cost windows to charge."""

    path: list[str] = field(default_factory=list)
    attempt: Any = None
    #: (counter key, window seconds) of the `cost` rate elements passed.
    cost_windows: list[tuple[str, int]] = field(default_factory=list)
    #: Set when a `rate` element without `fallback` refused the request.
    refused: GatewayError | None = None


def bucket(request_id: str, element_id: str) -> int:
    """0..9999, uniform over request ids, independent between elements of one route."""
    digest = hashlib.sha256(f"{request_id}\x00{element_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def pick_share(node: Node, request_id: str) -> str:
    at = bucket(request_id, node.id)
    return next(target for bound, target in node.splits if at < bound)


def counter_key(prefix: str, node: Node, value: str | None) -> str:
    """One counter per (route, element, key value); the value is hashed to bound its size."""
    digest = hashlib.sha256((value or "").encode()).hexdigest()[:24]
    return f"{prefix}:{node.id}:{digest}"


async def run_graph(graph: Graph, facts: RequestFacts, request_id: str, counters: RateCounters,
                    call_model: ModelCall, counter_prefix: str) -> RouteRun:
    """Walk `graph` for one request; see the module docstring for each element's rule."""
    run = RouteRun()
    node = graph.nodes[graph.start]
    for _ in range(MAX_STEPS):
        run.path.append(node.id)
        target = await _next(node, run, facts, request_id, counters, call_model, counter_prefix)
        if target is None:
            return run
        node = graph.nodes[target]
    raise GatewayError("the route passed too many elements")


async def _next(node: Node, run: RouteRun, facts: RequestFacts, request_id: str,
                counters: RateCounters, call_model: ModelCall, prefix: str) -> str | None:
    if node.type == "end":
        return None
    if node.type == "start":
        return node.outputs["next"]
    if node.type == "conditional":
        assert node.condition is not None
        return node.outputs["true" if evaluate(node.condition, facts) else "false"]
    if node.type == "percentage":
        return pick_share(node, request_id)
    if node.type == "rate":
        return _rate(node, run, facts, counters, prefix)
    attempt = await call_model(node)
    if run.attempt is not None:
        await run.attempt.discard()
    run.attempt = attempt
    if attempt.ok:
        return node.outputs["success"]
    return node.outputs.get("fallback")


def _rate(node: Node, run: RouteRun, facts: RequestFacts, counters: RateCounters,
          prefix: str) -> str | None:
    rule = node.rate
    assert rule is not None
    key = counter_key(prefix, node, facts.text(rule.key))
    if rule.limit_type == "count":
        passed = counters.admit(key, rule.limit, rule.window_s)
    else:
        passed = counters.spent(key, rule.window_s) < rule.limit
        if passed:
            run.cost_windows.append((key, rule.window_s))
    if passed:
        return node.outputs["success"]
    if "fallback" in node.outputs:
        return node.outputs["fallback"]
    unit = "requests" if rule.limit_type == "count" else "USD"
    run.refused = RateLimited(f"Rate limit exceeded: route element '{node.id}' allows "
                              f"{rule.limit:g} {unit} per {rule.window_s}s for "
                              f"'{'.'.join(rule.key)}'")
    return None
