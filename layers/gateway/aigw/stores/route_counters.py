"""Windowed counters for route `rate` elements in the counters table (fixed, clock-aligned
windows). Items are `{pk: "<key>@<window start>", n, expires_at}`.

`admit` is one conditional `UpdateItem` (`ADD n :1` if `n <= limit - 1`): DynamoDB applies it
atomically per item, so N concurrent requests at a limit of L pass exactly min(N, L). `spent`
is one consistent `GetItem`; `charge` one unconditional `ADD`. A table failure lets the request
through (fail open) and is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aigw.config import get_settings
from aigw.stores import aws

logger = logging.getLogger("aigw")


def _number(value: float) -> str:
    return format(Decimal(repr(float(value))).normalize(), "f")


@dataclass
class TableRateCounters:
    table: str
    client: Any = None
    clock: Callable[[], float] = time.time

    def _db(self) -> Any:
        return self.client or aws.dynamodb()

    def _key(self, key: str, window_s: int) -> tuple[dict[str, Any], dict[str, str]]:
        start = int(self.clock() // window_s * window_s)
        return ({"pk": {"S": f"{key}@{start}"}},
                {"N": str(start + 2 * window_s + 60)})

    def admit(self, key: str, limit: float, window_s: int) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        item_key, expiry = self._key(key, window_s)
        try:
            self._db().update_item(
                TableName=self.table, Key=item_key,
                UpdateExpression="ADD n :one SET expires_at = :e",
                ConditionExpression="attribute_not_exists(n) OR n <= :room",
                ExpressionAttributeValues={":one": {"N": "1"}, ":e": expiry,
                                           ":room": {"N": _number(limit - 1)}})
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            logger.error("route counter update failed (%s); failing open", type(e).__name__)
        except BotoCoreError as e:
            logger.error("route counter update failed (%s); failing open", type(e).__name__)
        return True

    def spent(self, key: str, window_s: int) -> float:
        from botocore.exceptions import BotoCoreError, ClientError

        item_key, _ = self._key(key, window_s)
        try:
            item = self._db().get_item(TableName=self.table, Key=item_key,
                                       ConsistentRead=True).get("Item")
        except (ClientError, BotoCoreError) as e:
            logger.error("route counter read failed (%s); failing open", type(e).__name__)
            return 0.0
        return float(item["n"]["N"]) if item and "n" in item else 0.0

    def charge(self, key: str, window_s: int, amount: float) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        item_key, expiry = self._key(key, window_s)
        try:
            self._db().update_item(
                TableName=self.table, Key=item_key,
                UpdateExpression="ADD n :a SET expires_at = :e",
                ExpressionAttributeValues={":a": {"N": _number(amount)}, ":e": expiry})
        except (ClientError, BotoCoreError) as e:
            logger.error("route counter charge failed (%s)", type(e).__name__)


def route_counters() -> TableRateCounters:
    return TableRateCounters(get_settings().counters_table)
