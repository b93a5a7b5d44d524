"""In-memory `RateCounters` for engine unit tests (windows never roll over)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class MemoryRateCounters:
    counts: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    charges: list[tuple[str, int, float]] = field(default_factory=list)

    def admit(self, key: str, limit: float, window_s: int) -> bool:
        if self.counts[key] + 1 > limit:
            return False
        self.counts[key] += 1
        return True

    def spent(self, key: str, window_s: int) -> float:
        return self.counts[key]

    def charge(self, key: str, window_s: int, amount: float) -> None:
        self.charges.append((key, window_s, amount))
        self.counts[key] += amount
