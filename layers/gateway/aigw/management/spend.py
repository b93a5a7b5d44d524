"""`GET /gateways/{gw}/spend` (an aigw extension): what each spend rule has spent in its
current window, read from the same counters admission checks (`aigw.limits`).

Result: one item per rule, in the gateway's order: `{rule_id, enabled, limit (USD), window (s),
technique, window_start (ISO 8601 UTC, null for window 0), partitioned, spent (USD; null when
the rule is partitioned by metadata, which has one counter per value, or when the counters table
could not be read)}`. For `sliding` rules `spent` is the same two-window estimate admission uses
and `window_start` is `now - window`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from aigw import limits
from aigw.management.auth import authorize
from aigw.management.envelope import ok
from aigw.management.gateways import find_gateway
from aigw.stores.counters import counters, window_start

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@router.get("/spend")
async def get_spend(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    rules = (find_gateway(account_id, gateway_id).get("spend_limits") or {}).get("rules") or []
    single = [r for r in rules if not limits.is_partitioned(r)]
    totals = counters().totals([limits.spend_window(account_id, gateway_id, r) for r in single])
    spent: dict[str, float | None] = {r["id"]: None for r in single}
    if totals is not None:
        spent.update(zip([r["id"] for r in single], totals, strict=True))
    now = time.time()
    out = []
    for rule in rules:
        seconds = int(rule.get("window") or 0)
        technique = rule.get("technique") or "sliding"
        start = None if not seconds else now - seconds if technique == "sliding" \
            else window_start(now, seconds)
        total = spent.get(rule["id"])
        out.append({"rule_id": rule["id"], "enabled": rule.get("enabled", True),
                    "limit": rule["limit"], "window": seconds, "technique": technique,
                    "window_start": None if start is None else _iso(start),
                    "partitioned": limits.is_partitioned(rule),
                    "spent": None if total is None else round(total / limits.NANO_USD, 9)})
    return ok(out)
