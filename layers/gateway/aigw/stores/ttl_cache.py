"""A tiny in-process TTL cache for the hot path (gateways, tokens, keys in a warm Lambda)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

_MISSING = object()


@dataclass
class TTLCache:
    ttl: float
    max_entries: int = 4096
    clock: Callable[[], float] = time.monotonic
    _items: dict[Hashable, tuple[float, Any]] = field(default_factory=dict)

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        hit = self._items.get(key, _MISSING)
        now = self.clock()
        if hit is not _MISSING and hit[0] > now:  # type: ignore[index]
            return hit[1]  # type: ignore[index]
        value = load()
        if len(self._items) >= self.max_entries:
            self._items.clear()
        self._items[key] = (now + self.ttl, value)
        return value

    def invalidate(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()
