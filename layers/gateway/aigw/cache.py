"""Which answers may be cached, under which key, for how long (spec section 2).

- Gateway `cache_ttl` (seconds, 0/null = off) turns caching on; `cf-aig-cache-ttl` (or the
  deprecated `cf-cache-ttl`) sets the TTL per request and also turns it on for that request.
- `cf-aig-skip-cache: true` (deprecated `cf-skip-cache`) bypasses the cache: no read, no write,
  and no `cf-aig-cache-status`.
- `cf-aig-cache-key` replaces the computed request part of the key and caches even when the
  gateway's cache is off (TTL 300 s unless `cf-aig-cache-ttl`).

The key always covers the account, the gateway and its cache generation (bumped by an update
when `cache_invalidate_on_update` is true), and the credential scope (a hash of the client's own
provider credential, or the stored key's alias): one tenant never reads another's answer. The
computed part adds the provider, method, path and query, and the canonical body (JSON with
sorted keys and no whitespace; other bodies as sent). Requests over 25 MB are not cached.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from aigw.json_input import parse_json
from aigw.request_options import RequestOptions

#: TTL of an answer cached only because the client sent `cf-aig-cache-key` (spec section 2).
CUSTOM_KEY_TTL = 300
#: Cloudflare's limit on a cacheable request.
MAX_CACHEABLE_REQUEST = 25 << 20


@dataclass(frozen=True)
class CachePlan:
    """Where a cacheable request's answer lives: the hashed key and the TTL in seconds."""

    key: str
    ttl: int


def canonical_body(body: bytes) -> bytes:
    """JSON bodies re-serialised with sorted keys, so key order and spacing do not matter."""
    if body[:1] in (b"{", b"["):
        try:
            return json.dumps(parse_json(body), sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode()
        except ValueError:
            pass
    return body


def credential_scope(client_credential: str | None, alias: str | None) -> str:
    """`client:<sha256>` for a credential the client sent, else `alias:<name>`."""
    if client_credential:
        return "client:" + hashlib.sha256(client_credential.encode()).hexdigest()
    return f"alias:{alias or 'default'}"


def plan_cache(options: RequestOptions, gateway: dict[str, Any], account_id: str,
               gateway_id: str, provider: str, method: str, path_query: str, body: bytes,
               client_credential: str | None) -> CachePlan | None:
    """The cache plan for this request, or None when it is not eligible (checked first: a
    request with no cache on pays for nothing here)."""
    if options.skip_cache or len(body) > MAX_CACHEABLE_REQUEST:
        return None
    if options.cache_key:
        ttl = options.cache_ttl or CUSTOM_KEY_TTL
        request_part = b"key\x00" + options.cache_key.encode()
    else:
        ttl = options.cache_ttl or int(gateway.get("cache_ttl") or 0)
        if ttl <= 0:
            return None
        request_part = b"\x00".join([provider.encode(), method.encode(), path_query.encode(),
                                     canonical_body(body)])
    digest = hashlib.sha256()
    scope = credential_scope(client_credential, options.byok_alias)
    for part in (account_id, gateway_id, str(gateway.get("cache_generation") or 0), scope):
        digest.update(part.encode() + b"\x00")
    digest.update(request_part)
    return CachePlan(key=f"{account_id}/{gateway_id}/{digest.hexdigest()}", ttl=ttl)
