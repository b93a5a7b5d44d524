"""Typed collections over the config table, with a warm-process cache for hot-path reads.

Each collection is one `kind` prefix in the table. Management writes go straight to DynamoDB and
drop the local cache entry; other warm processes see the change within `config_cache_seconds`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aigw.config import get_settings
from aigw.stores.documents import DocumentTable
from aigw.stores.ttl_cache import TTLCache


@dataclass
class Collection:
    table: DocumentTable
    kind: str
    what: str
    cache: TTLCache

    def get(self, account: str, doc_id: str) -> dict[str, Any] | None:
        return self.table.get(account, self.kind, doc_id)

    def cached_get(self, account: str, doc_id: str) -> dict[str, Any] | None:
        return self.cache.get_or_load((self.kind, account, doc_id),
                                      lambda: self.table.get(account, self.kind, doc_id))

    def list(self, account: str, under: str = "") -> list[dict[str, Any]]:
        return self.table.list(account, self.kind, under)

    def cached_list(self, account: str, under: str = "") -> builtins.list[dict[str, Any]]:
        return self.cache.get_or_load((self.kind, account, "*", under),
                                      lambda: self.table.list(account, self.kind, under))

    def create(self, account: str, doc_id: str, doc: dict[str, Any]) -> None:
        self.table.create(account, self.kind, doc_id, doc, self.what)
        self._forget(account, doc_id)

    def replace(self, account: str, doc_id: str, doc: dict[str, Any]) -> None:
        self.table.replace(account, self.kind, doc_id, doc, self.what)
        self._forget(account, doc_id)

    def delete(self, account: str, doc_id: str) -> dict[str, Any]:
        old = self.table.delete(account, self.kind, doc_id, self.what)
        self._forget(account, doc_id)
        return old

    def _forget(self, account: str, doc_id: str) -> None:
        # Lists are cached per prefix; the simplest correct thing is to drop them all.
        self.cache.clear()


@dataclass
class ConfigStore:
    gateways: Collection
    tokens: Collection
    provider_configs: Collection
    custom_providers: Collection
    routes: Collection


def build_config_store(table_name: str, ttl: float, client: Any = None) -> ConfigStore:
    table = DocumentTable(table_name, client)
    cache = TTLCache(ttl)

    def col(kind: str, what: str) -> Collection:
        return Collection(table, kind, what, cache)

    return ConfigStore(gateways=col("GATEWAY", "gateway"), tokens=col("TOKEN", "token"),
                       provider_configs=col("PROVIDER_CONFIG", "provider config"),
                       custom_providers=col("CUSTOM_PROVIDER", "custom provider"),
                       routes=col("ROUTE", "route"))


@lru_cache(maxsize=1)
def config_store() -> ConfigStore:
    s = get_settings()
    return build_config_store(s.config_table, s.config_cache_seconds)
