"""Admission: the gateway's rate limit, a stored key's rate limit and spend limits; and the
spend charge after the answer. Counting is `aigw.stores.counters`; this module only decides
which counters apply and what a refusal says (spec sections 4 and 5).

- Gateway: `rate_limiting_limit` requests per `rate_limiting_interval` seconds
  (`rate_limiting_technique` fixed or sliding), counted per gateway. On the universal endpoint
  every step that is tried counts, as each is a request to a provider.
- Stored key: `rate_limit` requests per `rate_limit_period` seconds (default 60, fixed), counted
  per (gateway, provider, alias), for requests that use that stored key.
- Over either: 429 / 2003 with `Retry-After` (whole seconds).
- Spend: every enabled rule whose filters match the request is checked before the upstream call
  (one `BatchGetItem` for all of them); a rule whose window already holds `limit` USD refuses
  with 429 / 2041. The cost is charged after the answer, before the response ends. Requests
  admitted while the budget was still open are all charged, so under concurrency spend can pass
  the limit by at most (requests in flight on the rule) x (cost of one request).
- Cost comes from `aigw.costs` through `log.cost`; a model without a known price (and no
  `cf-aig-custom-cost`) has no cost, so nothing is charged for it.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping
from typing import Any

from aigw.errors import RateLimited
from aigw.stores.counters import Technique, Window, counters, window_start
from aigw.stores.provider_keys import stored_config

#: A stored key's `rate_limit_period` when only `rate_limit` is set.
DEFAULT_KEY_PERIOD = 60
#: Spend counters hold whole nano-USD: integer arithmetic, exact sums, no float drift.
NANO_USD = 1_000_000_000


def _refuse(message: str, retry_after: int, code: int = 2003) -> RateLimited:
    return RateLimited(message, code=code, headers={"retry-after": str(max(1, retry_after))})


def admit_rate(account_id: str, gateway_id: str, gateway: Mapping[str, Any]) -> None:
    """The gateway's own rate limit; raises 429/2003 when it is spent."""
    limit = int(gateway.get("rate_limiting_limit") or 0)
    interval = int(gateway.get("rate_limiting_interval") or 0)
    if limit <= 0 or interval <= 0:
        return
    technique: Technique = "sliding" if gateway.get("rate_limiting_technique") == "sliding" \
        else "fixed"
    verdict = counters().take(f"rate/{account_id}/{gateway_id}", limit, interval, technique)
    if not verdict.allowed:
        raise _refuse(f"Rate limit exceeded: {limit} requests per {interval}s ({technique}) on "
                      f"gateway '{gateway_id}'", verdict.retry_after)


def admit_key_rate(account_id: str, gateway_id: str, provider: str, alias: str) -> None:
    """A stored key's `rate_limit`, when the request will use that key."""
    config = stored_config(account_id, gateway_id, provider, alias)
    if not config or not config.get("rate_limit"):
        return
    limit = float(config["rate_limit"])
    period = int(config.get("rate_limit_period") or DEFAULT_KEY_PERIOD)
    verdict = counters().take(f"keyrate/{account_id}/{gateway_id}/{provider}/{config['alias']}",
                              limit, max(1, period), "fixed")
    if not verdict.allowed:
        raise _refuse(f"Rate limit exceeded: {limit:g} requests per {period}s for the stored "
                      f"'{provider}' key '{config['alias']}'", verdict.retry_after)


def _matches(match: Any, value: str | None) -> bool:
    if not isinstance(match, dict) or match.get("mode") != "filter":
        return True
    return value is not None and value in [str(v) for v in match.get("values") or []]


def _rule_window(account_id: str, gateway_id: str, rule: Mapping[str, Any], provider: str,
                 model: str | None, metadata: Mapping[str, Any]) -> Window | None:
    """The counter `rule` charges for this request, or None if the rule does not apply."""
    if not rule.get("enabled", True):
        return None
    if not _matches(rule.get("provider"), provider) or not _matches(rule.get("model"), model):
        return None
    partition: dict[str, str] = {}
    for key, match in (rule.get("metadata") or {}).items():
        value = metadata.get(key)
        text = None if value is None else str(value).lower() if isinstance(value, bool) \
            else str(value)
        if isinstance(match, dict) and match.get("mode") == "partition":
            partition[key] = text or ""
        elif not _matches(match, text):
            return None
    suffix = ""
    if partition:
        suffix = "/" + hashlib.sha256(json.dumps(partition, sort_keys=True).encode()
                                      ).hexdigest()[:32]
    return spend_window(account_id, gateway_id, rule, suffix)


def spend_window(account_id: str, gateway_id: str, rule: Mapping[str, Any],
                 partition_suffix: str = "") -> Window:
    """The counter of `rule` (of one metadata partition when `partition_suffix` is given);
    the console's `GET .../spend` reads the same counters admission charges."""
    return Window(f"spend/{account_id}/{gateway_id}/{rule['id']}{partition_suffix}",
                  int(rule.get("window") or 0), rule.get("technique") or "sliding")


def is_partitioned(rule: Mapping[str, Any]) -> bool:
    """Whether `rule` keeps one budget per metadata value (so it has many counters)."""
    return any(isinstance(m, dict) and m.get("mode") == "partition"
               for m in (rule.get("metadata") or {}).values())


def admit_spend(account_id: str, gateway_id: str, gateway: Mapping[str, Any], provider: str,
                model: str | None, metadata: Mapping[str, Any]) -> list[Window]:
    """Check every applicable spend rule; returns the counters to charge after the answer."""
    spend = gateway.get("spend_limits") or {}
    if not spend.get("enabled"):
        return []
    applicable = []
    for rule in spend.get("rules") or []:
        window = _rule_window(account_id, gateway_id, rule, provider, model, metadata)
        if window is not None:
            applicable.append((rule, window))
    if not applicable:
        return []
    store = counters()
    totals = store.totals([w for _, w in applicable])
    if totals is None:
        if store.fail_open:
            return [w for _, w in applicable]
        totals = [math.inf] * len(applicable)
    for (rule, window), spent in zip(applicable, totals, strict=True):
        if spent / NANO_USD >= float(rule["limit"]):
            now = time.time()
            end = window_start(now, window.seconds) + window.seconds if window.seconds else now
            raise _refuse(
                f"Spend limit exceeded: rule '{rule['id']}' (cost limit {rule['limit']} per "
                f"{window.seconds}s, {window.technique}) for {provider} {model or ''}".rstrip(),
                math.ceil(end - now) if window.seconds else 3600, code=2041)
    return [w for _, w in applicable]


def charge_spend(windows: list[Window], cost: float | None) -> None:
    """Add the answer's cost to every counter it was admitted against."""
    if not windows or not cost or cost <= 0:
        return
    store = counters()
    amount = max(1, round(cost * NANO_USD))
    for window in windows:
        store.add(window, amount)
