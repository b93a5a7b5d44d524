"""Attaching the provider credential, in the spec's precedence order.

1. A credential the client sent is forwarded unchanged; stored keys are not consulted.
2. Otherwise the stored key for alias `default` (or `cf-aig-byok-alias`), attached the way the
   provider declares (header, SigV4 signature, minted Google token).
3. Otherwise, for SigV4 providers when the deployment allows it, the function's own IAM role —
   unless the gateway is `byok_only` or the request says `cf-aig-no-wholesale: true`.
4. Otherwise 401, naming what is missing (400 when 3 was ruled out by `byok_only` /
   `cf-aig-no-wholesale`). An explicit alias that is not configured is 400/2040.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aigw.config import Settings
from aigw.errors import AuthenticationFailed, InvalidRequest
from aigw.forwarding import unsendable_value
from aigw.google_auth import cache_key
from aigw.json_input import parse_json
from aigw.providers.spec import AuthScheme, Provider, Target
from aigw.stores.provider_keys import get_provider_key, has_alias

Source = Literal["client", "stored", "role", "client_key"]


@dataclass(frozen=True)
class CredentialUse:
    source: Source
    #: Parsed stored credential for providers whose key is JSON (AWS, Google service accounts).
    parsed: dict[str, Any] | None = None
    #: (account, SHA-256 of the whole stored secret): what anything derived from the stored
    #: credential (a minted token) is cached under, so tenants and rotated keys never share.
    cache_key: tuple[str, str] | None = None


def client_brought_credential(auth: AuthScheme, headers: Mapping[str, str],
                              query_keys: set[str]) -> bool:
    return any(h in headers for h in auth.client_headers) or bool(
        query_keys & set(auth.client_query_params))


def client_credential(auth: AuthScheme, headers: Mapping[str, str], query: str) -> str | None:
    """The provider credential material the client sent itself (header values and query
    parameters the provider reads keys from), or None: the cache's credential scope."""
    parts = [headers[h] for h in auth.client_headers if h in headers]
    if auth.client_query_params and query:
        wanted = set(auth.client_query_params)
        parts += [p for p in query.split("&") if p.split("=", 1)[0] in wanted]
    return "\n".join(parts) if parts else None


def resolve_credential(provider: Provider, account_id: str, gateway_id: str, alias: str | None,
                       headers: Mapping[str, str], query_keys: set[str],
                       settings: Settings, *,
                       allow_role: bool = True) -> tuple[CredentialUse, str | None]:
    """Which credential this request uses, and the stored secret if it is a stored one."""
    if client_brought_credential(provider.auth, headers, query_keys):
        return CredentialUse("client"), None
    wanted = alias or "default"
    secret = get_provider_key(account_id, gateway_id, provider.slug, wanted)
    if secret is not None:
        parsed = None
        if provider.auth.kind in ("sigv4", "google_token"):
            try:
                parsed = parse_json(secret)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise AuthenticationFailed(f"the stored key for provider '{provider.slug}' is "
                                           "not the JSON document it needs; store it again",
                                           code=2009)
        return CredentialUse("stored", parsed, cache_key(account_id, secret)), secret
    if alias and not has_alias(account_id, gateway_id, provider.slug, alias):
        raise InvalidRequest(f"BYOK alias '{alias[:64]}' is not configured for provider "
                             f"'{provider.slug}' on this gateway", code=2040)
    wanted_header = provider.auth.client_headers[0]
    if provider.auth.kind == "sigv4" and settings.bedrock_use_role and allow_role:
        return CredentialUse("role"), None
    if not allow_role:
        raise InvalidRequest(
            f"no credential for provider '{provider.slug}', and byok_only / cf-aig-no-wholesale "
            f"rule out the gateway's own: send the provider's '{wanted_header}' header or store "
            f"a key for it (provider_configs, alias '{wanted}')")
    raise AuthenticationFailed(
        f"no credential for provider '{provider.slug}': send the provider's '{wanted_header}' "
        f"header or store a key for it (provider_configs, alias '{wanted}')", code=2009)


def sign_sigv4(method: str, url: str, headers: dict[str, str], body: bytes, service: str,
               region: str, creds: dict[str, Any] | None) -> dict[str, str]:
    """Sign with stored credentials JSON, or with the process's own role when `creds` is None."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    if creds is None:
        from aigw.stores.aws import role_credentials

        credentials = role_credentials()
    else:
        credentials = Credentials(creds["accessKeyId"], creds["secretAccessKey"],
                                  creds.get("sessionToken"))
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers.items())


async def attach(provider: Provider, use: CredentialUse, secret: str | None, target: Target,
                 url: str, method: str, headers: dict[str, str], body: bytes,
                 settings: Settings) -> dict[str, str]:
    """Headers with the credential attached (a new dict; `headers` is not changed).

    `url` is the full upstream URL, query included: a SigV4 signature covers it.
    """
    auth = provider.auth
    out = dict(headers)
    for name, value in auth.default_headers:
        out.setdefault(name, value)
    if use.source == "client":
        return out
    if auth.kind == "header":
        assert secret is not None
        if unsendable_value(secret):
            # Stored before stores refused such keys: say what to fix, never what it holds.
            raise AuthenticationFailed(f"the stored key for provider '{provider.slug}' contains "
                                       "control characters an HTTP header cannot carry; store "
                                       "it again", code=2009)
        out[auth.header] = auth.prefix + secret
        return out
    if auth.kind == "google_token":
        from aigw.google_auth import access_token

        assert use.parsed is not None and use.cache_key is not None
        out["authorization"] = "Bearer " + await access_token(use.parsed, use.cache_key)
        return out
    region = target.region or (use.parsed or {}).get("region") or settings.region
    return sign_sigv4(method, url, out, body, auth.service, region, use.parsed)


def compat_credential(provider: Provider, client_key: str | None, account_id: str,
                      gateway_id: str, alias: str | None, settings: Settings, *,
                      allow_role: bool = True
                      ) -> tuple[CredentialUse, str | None, dict[str, str]]:
    """Compat clients (OpenAI SDKs) send the provider key as `Authorization: Bearer`.

    For header-auth providers that key is re-attached the provider's way (`x-api-key`, ...);
    for token-auth providers (Vertex access tokens, Bedrock API keys) it is forwarded as the
    Bearer it already is. Without one, stored keys apply as on passthrough.
    """
    if client_key and provider.auth.kind == "header":
        return CredentialUse("client_key"), client_key, {}
    if client_key:
        return CredentialUse("client"), None, {"authorization": f"Bearer {client_key}"}
    try:
        use, secret = resolve_credential(provider, account_id, gateway_id, alias, {}, set(),
                                         settings, allow_role=allow_role)
    except AuthenticationFailed as e:
        raise AuthenticationFailed(
            f"no credential for provider '{provider.slug}': pass the provider's key as the "
            "SDK's api_key (Authorization: Bearer), or store one for this gateway "
            f"(provider_configs, alias '{alias or 'default'}') and authenticate with a "
            "gateway token") from e
    return use, secret, {}
