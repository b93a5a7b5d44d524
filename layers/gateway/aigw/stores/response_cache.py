"""Stored answers in the cache table: one item per cache key, expired by DynamoDB TTL.

Items are `{pk: key, status, headers (JSON), chunks: [binary, ...], tokens_in, tokens_out,
expires_at}`. The body is kept as the chunks it arrived in, so a stream is replayed with its
original framing. DynamoDB's item limit is 400 KB: answers whose chunks exceed `MAX_BODY_BYTES`
are not cached (aigw's choice over an S3 spill: a cache hit stays one `GetItem`, and answers that
large are rare for chat and embeddings). TTL deletion lags, so `get` also checks `expires_at`.

Every failure is the caller's miss, never its error: it is logged and counted in `failures`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aigw.config import get_settings
from aigw.stores import aws

logger = logging.getLogger("aigw")

#: Body bytes a cached answer may hold (DynamoDB's 400 KB item limit, less headers and slack).
MAX_BODY_BYTES = 360_000


@dataclass
class CachedAnswer:
    status: int
    headers: list[tuple[str, str]]
    chunks: list[bytes]
    tokens_in: int | None = None
    tokens_out: int | None = None


@dataclass
class ResponseCache:
    table: str
    client: Any = None
    clock: Callable[[], float] = time.time
    failures: int = 0

    def _db(self) -> Any:
        return self.client or aws.dynamodb_hot()

    def _failed(self, what: str, error: Exception) -> None:
        self.failures += 1
        code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code") \
            or type(error).__name__
        logger.error("cache table %s failed (%s); bypassing the cache", what, code)

    def get(self, key: str) -> CachedAnswer | None:
        """The stored answer, or None (absent, expired, or the table failed)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            item = self._db().get_item(TableName=self.table, Key={"pk": {"S": key}}).get("Item")
        except (ClientError, BotoCoreError) as e:
            self._failed("read", e)
            return None
        if not item or float(item["expires_at"]["N"]) <= self.clock():
            return None
        return CachedAnswer(
            status=int(item["status"]["N"]),
            headers=[(k, v) for k, v in json.loads(item["headers"]["S"])],
            chunks=[bytes(c["B"]) for c in item["chunks"]["L"]],
            tokens_in=int(item["tokens_in"]["N"]) if "tokens_in" in item else None,
            tokens_out=int(item["tokens_out"]["N"]) if "tokens_out" in item else None)

    def put(self, key: str, answer: CachedAnswer, ttl_seconds: int) -> bool:
        """Store `answer` for `ttl_seconds`; False if it is too large or the table failed."""
        from botocore.exceptions import BotoCoreError, ClientError

        if sum(len(c) for c in answer.chunks) > MAX_BODY_BYTES:
            return False
        item: dict[str, Any] = {
            "pk": {"S": key}, "status": {"N": str(answer.status)},
            "headers": {"S": json.dumps(answer.headers, separators=(",", ":"))},
            "chunks": {"L": [{"B": c} for c in answer.chunks]},
            "expires_at": {"N": str(int(self.clock()) + ttl_seconds)},
        }
        for name in ("tokens_in", "tokens_out"):
            value = getattr(answer, name)
            if isinstance(value, int):
                item[name] = {"N": str(value)}
        try:
            self._db().put_item(TableName=self.table, Item=item)
        except (ClientError, BotoCoreError) as e:
            self._failed("write", e)
            return False
        return True


@lru_cache(maxsize=1)
def response_cache() -> ResponseCache:
    """The process's cache over the configured table."""
    return ResponseCache(get_settings().cache_table)
