"""Stored Vertex service-account key -> OAuth access token, through Google's `google-auth`.

`google.oauth2.service_account.Credentials` builds and signs the JWT-bearer assertion and
performs the token exchange (Google's own library, rather than hand-rolled JWT signing). The
exchange runs in a worker thread over urllib3 (already in the layer through botocore): minting
happens about once an hour per key, so the thread hop is immaterial, and it keeps to
google-auth's public API (its asyncio transport lives in private modules). Measured on the dev
machine: importing `google.oauth2.service_account` + the urllib3 transport costs ~136 ms once,
on the first Vertex mint only (the hand-rolled version imported ~50 ms of `cryptography`); a
mint's local work (parse the PEM key, sign) is 36.3 ms with google-auth vs 36.4 ms hand-rolled
(median of 200, `bench/vertex_mint.py`). Nothing here is imported at cold
start.

Egress: the stored JSON's own `token_uri` and `universe_domain` are ignored; the token endpoint
is always Google's (`AIGW_UPSTREAM_GOOGLE_OAUTH` overrides it in tests), so a stored key cannot
send the gateway elsewhere.

Cache: minted tokens are kept in-process until `REFRESH_MARGIN_S` before they expire, keyed by
`(account, SHA-256 of the whole stored secret)`. Nothing in the JSON itself (client email, key
id) is trusted as identity: two accounts that store the same email and key id with different
keys get separate tokens, and a rotated key gets a fresh one at once.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from aigw.config import get_settings
from aigw.errors import AuthenticationFailed, UpstreamError

TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - an endpoint
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
REFRESH_MARGIN_S = 300
MAX_ENTRIES = 4096
#: Seconds the token exchange may take in all.
EXCHANGE_TIMEOUT_S = 30


@dataclass
class _Cached:
    token: str
    expires_at: float


#: (account, sha256 of the whole stored secret) -> the minted token.
_cache: dict[tuple[str, str], _Cached] = {}
_locks: dict[tuple[str, str], asyncio.Lock] = {}


def cache_key(account_id: str, secret: str) -> tuple[str, str]:
    """The identity a minted token is cached under: the owning account and the whole secret."""
    return account_id, hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _fresh(key: tuple[str, str]) -> str | None:
    hit = _cache.get(key)
    if hit and hit.expires_at - REFRESH_MARGIN_S > time.time():
        return hit.token
    return None


class _Transport:
    """google-auth's urllib3 transport, with Google's token endpoint replaced by the configured
    one (tests point it at a fake; the JWT's `aud` stays Google's endpoint, as Google wants)."""

    def __init__(self, endpoint: str) -> None:
        import urllib3
        from google.auth.transport.urllib3 import Request

        self._endpoint = endpoint
        self._request = Request(urllib3.PoolManager(retries=False))

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None,
                 timeout: Any = None, **kwargs: Any) -> Any:
        if url == TOKEN_URI:
            url = self._endpoint
        else:  # google-auth asked for something else: never follow it
            raise AuthenticationFailed("unexpected Google auth request")
        return self._request(url, method=method, body=body, headers=headers,
                             timeout=EXCHANGE_TIMEOUT_S, **kwargs)


def _mint(sa: dict[str, Any]) -> tuple[str, float]:
    """Blocking: sign the assertion and exchange it. Returns (token, expiry as a Unix time)."""
    from google.auth import exceptions
    from google.oauth2 import service_account

    info = {k: v for k, v in sa.items() if k not in ("token_uri", "universe_domain")}
    info["token_uri"] = TOKEN_URI
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
    except (ValueError, KeyError, TypeError) as e:
        raise AuthenticationFailed("the stored Vertex service account key is not a usable "
                                   "service-account private key") from e
    endpoint = get_settings().upstream_override("google-oauth") or TOKEN_URI
    try:
        credentials.refresh(_Transport(endpoint))
    except exceptions.RefreshError as e:
        # google-auth's message quotes Google's answer; only the error code is kept.
        reason = e.args[1].get("error") if len(e.args) > 1 and isinstance(e.args[1], dict) \
            else None
        raise AuthenticationFailed("Google rejected the stored service account"
                                   + (f" ({reason})" if isinstance(reason, str) else "")) from None
    except exceptions.TransportError:
        raise UpstreamError("could not mint a Google access token") from None
    # google-auth gives a naive UTC datetime.
    expiry = credentials.expiry
    expires_at = calendar.timegm(expiry.timetuple()) if expiry else time.time() + 3600
    return str(credentials.token), expires_at


async def access_token(sa: dict[str, Any], key: tuple[str, str]) -> str:
    """An access token for service account `sa`, cached under `key` (see `cache_key`).

    Raises AuthenticationFailed (401) when Google refuses the key or it cannot be used, and
    UpstreamError (502) when the token endpoint cannot be reached."""
    token = _fresh(key)
    if token:
        return token
    if len(_locks) >= MAX_ENTRIES:
        _locks.clear()  # holders keep their lock object; new callers get fresh ones
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        token = _fresh(key)
        if token:
            return token
        minted, expires_at = await asyncio.to_thread(_mint, sa)
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[key] = _Cached(minted, expires_at)
        return minted
