"""Service-account JSON -> OAuth access token (JWT bearer grant), cached until near expiry.

Only the Vertex provider needs this, so `cryptography` is imported on first use, not at
cold start. The token endpoint is Google's; `AIGW_UPSTREAM_GOOGLE_OAUTH` overrides it in tests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from aigw.config import get_settings
from aigw.errors import AuthenticationFailed, UpstreamError
from aigw.upstream import session

TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # noqa: S105 - an endpoint
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
REFRESH_MARGIN_S = 300


@dataclass
class _Cached:
    token: str
    expires_at: float


_cache: dict[tuple[str, str], _Cached] = {}
_locks: dict[tuple[str, str], asyncio.Lock] = {}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_assertion(sa: dict[str, Any], now: int) -> str:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    header = {"alg": "RS256", "typ": "JWT", "kid": sa.get("private_key_id", "")}
    claims = {"iss": sa["client_email"], "scope": SCOPE, "aud": TOKEN_AUDIENCE,
              "iat": now, "exp": now + 3600}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    key = serialization.load_pem_private_key(sa["private_key"].encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthenticationFailed("the stored Vertex service account key is not an RSA key")
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


async def access_token(sa: dict[str, Any]) -> str:
    key = (sa.get("client_email", ""), sa.get("private_key_id", ""))
    hit = _cache.get(key)
    if hit and hit.expires_at - REFRESH_MARGIN_S > time.time():
        return hit.token
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        hit = _cache.get(key)
        if hit and hit.expires_at - REFRESH_MARGIN_S > time.time():
            return hit.token
        now = int(time.time())
        url = get_settings().upstream_override("google-oauth") or TOKEN_AUDIENCE
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": signed_assertion(sa, now)}
        import aiohttp

        try:
            async with session().post(url, data=form) as resp:
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, ValueError) as e:
            raise UpstreamError("could not mint a Google access token "
                                f"({type(e).__name__})") from e
        if resp.status != 200 or "access_token" not in data:
            reason = data.get("error_description") or data.get("error") if isinstance(
                data, dict) else None
            raise AuthenticationFailed(f"Google rejected the stored service account ({reason})")
        _cache[key] = _Cached(data["access_token"], now + float(data.get("expires_in", 3600)))
        return data["access_token"]
