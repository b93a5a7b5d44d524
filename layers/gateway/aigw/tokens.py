"""Gateway API tokens: aigw's own tokens (spec section 7), checked on every authenticated request.

A token value is `aigw_<id>_<secret>`. Carrying the id in the value makes verification one cached
`GetItem` by id instead of a scan over hashes; the secret part (256 random bits) is what proves
possession. The stored document holds only a SHA-256 hash of the whole value — a fast hash is
enough for a random 256-bit secret, and nothing in the table can be replayed — plus a display
`prefix`. Hashes are compared with `hmac.compare_digest`.

Permissions: `run` lets a token call the data plane (`cf-aig-authorization`), restricted to
`gateways` when that list is set; `read`/`edit` let it call the management API of its own account
(`edit` implies `read`). Verification reads through the config cache, so a revoked token stops
working within `config_cache_seconds`.

`last_used_at` is written off the request path, at most once per `LAST_USED_INTERVAL` per token
and process; a failed write is logged (never with the value) and otherwise ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aigw.errors import NotFound
from aigw.ids import now_iso
from aigw.stores.config_store import config_store

logger = logging.getLogger("aigw")

VALUE_PREFIX = "aigw_"
PERMISSIONS: tuple[str, ...] = ("run", "read", "edit")
#: Characters of the value shown in listings so people can tell their tokens apart.
DISPLAY_CHARS = 12
#: Seconds between two `last_used_at` writes for one token in one process.
LAST_USED_INTERVAL = 300.0

_TOKEN_ID = re.compile(r"^[0-9a-f]{32}$")
_VALUE = re.compile(r"^aigw_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")
#: Fields a caller may see; the hash never leaves this module.
_PUBLIC = ("id", "name", "prefix", "gateways", "permissions", "created_at", "last_used_at")


def hash_value(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_value() -> tuple[str, str]:
    """A fresh (token id, value) pair."""
    token_id = uuid.uuid4().hex
    return token_id, f"{VALUE_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"


def token_id_of(presented: str) -> str | None:
    """The id embedded in a well-formed value, or None for anything else (admin token, junk)."""
    match = _VALUE.fullmatch(presented)
    return match.group(1) if match else None


def public_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in _PUBLIC}


def create_token(account: str, name: str, gateways: list[str] | None,
                 permissions: list[str]) -> tuple[dict[str, Any], str]:
    """Store a new token; returns its public document and the value (shown to the caller once).

    Inputs are expected to be validated already (`aigw.management.tokens.TokenCreate`).
    """
    token_id, value = new_value()
    doc = {"id": token_id, "account": account, "name": name, "prefix": value[:DISPLAY_CHARS],
           "hash": hash_value(value), "gateways": gateways,
           "permissions": [p for p in PERMISSIONS if p in permissions],
           "created_at": now_iso(), "last_used_at": None}
    config_store().tokens.create(account, token_id, doc)
    return public_view(doc), value


def list_tokens(account: str) -> list[dict[str, Any]]:
    return [public_view(d) for d in config_store().tokens.list(account)]


def revoke_token(account: str, token_id: str) -> dict[str, Any]:
    """Delete the token; raises NotFound (404/7002) for an unknown id."""
    if not _TOKEN_ID.fullmatch(token_id):
        raise NotFound(f"token '{token_id[:64]}' not found")
    return public_view(config_store().tokens.delete(account, token_id))


def _verified(account: str, presented: str) -> dict[str, Any] | None:
    """The token document if `presented` is exactly one of `account`'s live tokens."""
    token_id = token_id_of(presented)
    if token_id is None:
        return None
    doc = config_store().tokens.cached_get(account, token_id)
    if doc is None or doc.get("account") != account:
        return None
    if not hmac.compare_digest(str(doc.get("hash", "")), hash_value(presented)):
        return None
    usage.saw(account, doc)
    return doc


def is_live_token(account: str, presented: str) -> bool:
    """Whether `presented` is one of `account`'s tokens, whatever its permissions or scope."""
    return _verified(account, presented) is not None


def verify_run_token(account: str, gateway_id: str, presented: str) -> bool:
    """Whether `presented` may call gateway `gateway_id` of `account` on the data plane."""
    doc = _verified(account, presented)
    if doc is None or "run" not in doc.get("permissions", []):
        return False
    scope = doc.get("gateways")
    return scope is None or gateway_id in scope


def verify_management_token(account: str, presented: str, need: str) -> bool | None:
    """`aigw.management.auth.TokenVerifier`: None if not one of `account`'s tokens, else whether
    it carries `need` ('edit' implies 'read')."""
    doc = _verified(account, presented)
    if doc is None:
        return None
    granted = set(doc.get("permissions", []))
    return "edit" in granted or (need == "read" and "read" in granted)


# --------------------------------------------------------------------------- last_used_at

def _write_last_used(account: str, doc: dict[str, Any]) -> None:
    tokens = config_store().tokens
    try:
        # Straight to the table: dropping the shared config cache for a timestamp would cost
        # every other hot-path read a miss.
        tokens.table.replace(account, tokens.kind, doc["id"], {**doc, "last_used_at": now_iso()},
                             tokens.what)
    except NotFound:
        pass  # revoked in the meantime; the conditional write did not resurrect it
    except Exception as e:  # noqa: BLE001 - bookkeeping must never fail a request
        logger.warning("could not record last use of token %s: %s", doc["id"], type(e).__name__)


@lru_cache(maxsize=1)
def _background() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigw-token-usage")


def _submit_in_background(job: Callable[[], None]) -> object:
    return _background().submit(job)


@dataclass
class UsageRecorder:
    """Decides when a token's use is worth a write, and hands the write to `submit`."""

    interval: float = LAST_USED_INTERVAL
    clock: Callable[[], float] = time.monotonic
    submit: Callable[[Callable[[], None]], object] = _submit_in_background
    max_tracked: int = 10_000
    _next_due: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, account: str, doc: dict[str, Any]) -> None:
        key, now = (account, str(doc["id"])), self.clock()
        with self._lock:
            if self._next_due.get(key, 0.0) > now:
                return
            if len(self._next_due) >= self.max_tracked:
                self._next_due.clear()
            self._next_due[key] = now + self.interval
        self.submit(lambda: _write_last_used(account, doc))


usage = UsageRecorder()
