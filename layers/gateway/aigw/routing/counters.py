"""`rate` elements count in the counters table through the one counters store
(`aigw.stores.counters`, shared with gateway rate limits and spend limits).

`count` is one conditional `UpdateItem` per request (DynamoDB applies it atomically, so N
concurrent requests at a limit of L pass exactly min(N, L)); `cost` reads the window's total
before the call and adds the answer's cost after it. Windows are fixed and clock-aligned. If the
table fails, the store's fail-open setting decides (`AIGW_LIMITS_FAIL_OPEN`).
"""

from __future__ import annotations

from dataclasses import dataclass

from aigw.stores.counters import Counters, Window, counters


@dataclass
class TableRateCounters:
    """`aigw.routing.engine.RateCounters` over the counters store."""

    store: Counters

    def admit(self, key: str, limit: float, window_s: int) -> bool:
        return self.store.take(key, limit, window_s).allowed

    def spent(self, key: str, window_s: int) -> float:
        totals = self.store.totals([Window(key, window_s)])
        if totals is None:  # the table failed: the store's fail-open setting decides
            return 0.0 if self.store.fail_open else float("inf")
        return totals[0]

    def charge(self, key: str, window_s: int, amount: float) -> None:
        self.store.add(Window(key, window_s), amount)


def route_counters() -> TableRateCounters:
    return TableRateCounters(counters())
