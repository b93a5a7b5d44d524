"""Windowed counters in the counters table: rate limits, provider-key limits, spend, route
`rate` nodes. All AWS knowledge of limits lives here; callers pass plain numbers.

Items are `{pk: "<key>@<window start>", n: number, expires_at}`; a window is clock-aligned
(`floor(now / seconds) * seconds`), so every process agrees on it without coordination.

- `take`: admission. One conditional `UpdateItem` (`ADD n :amount` if `n <= limit - amount`)
  per admitted request: DynamoDB applies it atomically per item, so N concurrent takes at a
  limit of L admit exactly min(N, L).
- `fixed`: the count of the current window.
- `sliding`: Cloudflare-style two-window estimate, `previous * (1 - elapsed / seconds) +
  current`. The previous window is closed, so its count is read once per process and window
  (one `GetItem`, then cached) and folded into the condition's threshold; the estimate assumes
  the previous window's requests were spread evenly over it.
- `totals` / `add`: spend. Totals of several counters in one `BatchGetItem`, then the cost is
  added after the answer with one unconditional `UpdateItem` per counter.

A single item takes ~1,000 writes per second (DynamoDB's per-partition write limit, 1 WCU per
write of < 1 KB); above that DynamoDB throttles, botocore retries once, and a counter that still
fails is treated like an unreachable table: the request is admitted (fail open, the default;
`AIGW_LIMITS_FAIL_OPEN=false` refuses instead), logged and counted in `failures`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from aigw.config import get_settings
from aigw.stores import aws

logger = logging.getLogger("aigw")

Technique = Literal["fixed", "sliding"]
#: How long a window's item outlives the window (a sliding estimate reads the previous one).
_KEEP_WINDOWS = 2


@dataclass(frozen=True)
class Verdict:
    """The outcome of `take`. `retry_after` is whole seconds until a retry may pass."""

    allowed: bool
    retry_after: int = 0
    #: True when the counter table failed and the request was let through (fail open).
    degraded: bool = False


@dataclass(frozen=True)
class Window:
    """One counter: a key, a window length in seconds (0 = one window forever) and how the
    count over it is estimated."""

    key: str
    seconds: int
    technique: Technique = "fixed"


def window_start(now: float, seconds: int) -> int:
    return int(now // seconds * seconds) if seconds > 0 else 0


def number(value: float) -> str:
    """A DynamoDB number string for `value`, without exponent notation."""
    return format(Decimal(repr(float(value))).normalize(), "f")


@dataclass
class Counters:
    table: str
    client: Any = None
    clock: Callable[[], float] = time.time
    fail_open: bool = True
    #: Counter-table failures since start (also logged); tests and metrics read it.
    failures: int = 0
    _closed: dict[str, float] = field(default_factory=dict)

    def _db(self) -> Any:
        return self.client or aws.dynamodb_hot()

    @staticmethod
    def _pk(key: str, start: int, seconds: int) -> str:
        return f"{key}@{start}" if seconds > 0 else f"{key}@all"

    def _expiry(self, start: int, seconds: int) -> dict[str, str] | None:
        return {"N": str(start + seconds * _KEEP_WINDOWS + 60)} if seconds > 0 else None

    def _failed(self, what: str, error: Exception) -> None:
        self.failures += 1
        code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code") \
            or type(error).__name__
        logger.error("counters table %s failed (%s); %s", what, code,
                     "failing open" if self.fail_open else "refusing")

    # ------------------------------------------------------------------ admission

    def take(self, key: str, limit: float, seconds: int, technique: Technique = "fixed",
             amount: float = 1) -> Verdict:
        """Admit `amount` against `limit` per `seconds` for `key` (one conditional UpdateItem)."""
        from botocore.exceptions import BotoCoreError, ClientError

        now = self.clock()
        start = window_start(now, seconds)
        window_end = start + seconds if seconds > 0 else now + 1
        try:
            carried = 0.0
            if technique == "sliding" and seconds > 0:
                elapsed = (now - start) / seconds
                carried = self._previous(key, start, seconds) * (1 - elapsed)
            room = limit - amount - carried
            if room < 0:
                return Verdict(False, self._retry_after(now, window_end))
            update: dict[str, Any] = {
                "TableName": self.table,
                "Key": {"pk": {"S": self._pk(key, start, seconds)}},
                "UpdateExpression": "ADD n :a",
                "ConditionExpression": "attribute_not_exists(n) OR n <= :room",
                "ExpressionAttributeValues": {":a": {"N": number(amount)},
                                              ":room": {"N": number(room)}},
            }
            expiry = self._expiry(start, seconds)
            if expiry:
                update["UpdateExpression"] += " SET expires_at = :e"
                update["ExpressionAttributeValues"][":e"] = expiry
            self._db().update_item(**update)
            return Verdict(True)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return Verdict(False, self._retry_after(now, window_end))
            self._failed("update", e)
        except BotoCoreError as e:
            self._failed("update", e)
        return Verdict(self.fail_open, 0 if self.fail_open else 1, degraded=True)

    @staticmethod
    def _retry_after(now: float, window_end: float) -> int:
        return max(1, math.ceil(window_end - now))

    def _previous(self, key: str, start: int, seconds: int) -> float:
        pk = self._pk(key, start - seconds, seconds)
        if pk not in self._closed:
            if len(self._closed) > 50_000:
                self._closed.clear()
            item = self._db().get_item(TableName=self.table, Key={"pk": {"S": pk}},
                                       ConsistentRead=True).get("Item")
            self._closed[pk] = float(item["n"]["N"]) if item and "n" in item else 0.0
        return self._closed[pk]

    # ------------------------------------------------------------------ spend

    def totals(self, windows: Sequence[Window]) -> list[float] | None:
        """Each window's current estimate (one BatchGetItem); None if the table failed."""
        from botocore.exceptions import BotoCoreError, ClientError

        if not windows:
            return []
        now = self.clock()
        wanted: dict[str, float] = {}
        plans = []
        for w in windows:
            start = window_start(now, w.seconds)
            current = self._pk(w.key, start, w.seconds)
            previous = None
            weight = 0.0
            if w.technique == "sliding" and w.seconds > 0:
                previous = self._pk(w.key, start - w.seconds, w.seconds)
                weight = 1 - (now - start) / w.seconds
                wanted[previous] = 0.0
            wanted[current] = 0.0
            plans.append((current, previous, weight))
        try:
            keys = list(wanted)
            for i in range(0, len(keys), 100):
                request = {self.table: {"Keys": [{"pk": {"S": k}} for k in keys[i:i + 100]],
                                        "ConsistentRead": True}}
                while request:
                    page = self._db().batch_get_item(RequestItems=request)
                    for item in page.get("Responses", {}).get(self.table, []):
                        wanted[item["pk"]["S"]] = float(item.get("n", {}).get("N", 0))
                    request = page.get("UnprocessedKeys") or {}
        except (ClientError, BotoCoreError) as e:
            self._failed("read", e)
            return None
        return [wanted[cur] + (wanted[prev] * weight if prev else 0.0)
                for cur, prev, weight in plans]

    def add(self, window: Window, amount: float) -> bool:
        """Add `amount` to the window's current count (unconditional); False if it failed."""
        from botocore.exceptions import BotoCoreError, ClientError

        start = window_start(self.clock(), window.seconds)
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": {"S": self._pk(window.key, start, window.seconds)}},
            "UpdateExpression": "ADD n :a",
            "ExpressionAttributeValues": {":a": {"N": number(amount)}},
        }
        expiry = self._expiry(start, window.seconds)
        if expiry:
            update["UpdateExpression"] += " SET expires_at = :e"
            update["ExpressionAttributeValues"][":e"] = expiry
        try:
            self._db().update_item(**update)
        except (ClientError, BotoCoreError) as e:
            self._failed("charge", e)
            return False
        return True


@lru_cache(maxsize=1)
def counters() -> Counters:
    """The process's counters over the configured table."""
    s = get_settings()
    return Counters(s.counters_table, fail_open=s.limits_fail_open)
