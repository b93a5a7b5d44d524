"""aigw's own credentials never leave for a provider.

Clients put aigw tokens where a provider key goes: an SDK's `api_key`, a copied `Authorization`
header, a `?key=` parameter. A value in aigw's own token formats is never forwarded to any
upstream, on any surface:

- gateway API tokens: `aigw_` + id + secret (`aigw.tokens`), recognised by their prefix;
- the admin token: recognised by value (every function can read its secret, see template.yaml),
  and by the `aigw-admin-` prefix that local mode's generated tokens carry.

A recognised value (the admin token, or a live token of the request's account) stands in for a
missing `cf-aig-authorization`, so it authenticates the request exactly as that header would (a
gateway with authentication on still needs a `run` token that may use it); the provider
credential then comes from the gateway's stored keys. Any other value in these formats is 401
(code 2009) in the surface's shape: a mistyped, revoked or other account's aigw token is an
error, never a provider key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from aigw.admin_auth import is_admin_token
from aigw.errors import AuthenticationFailed
from aigw.tokens import VALUE_PREFIX, is_live_token

#: Formats recognised without knowing the value: gateway tokens, and local admin tokens.
OWN_PREFIXES = (VALUE_PREFIX, "aigw-admin-")
_SCHEMES = ("bearer", "token")


def credential_in(value: str) -> str:
    """The credential a header value carries: the part after `Bearer `/`Token `, else all of it."""
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if rest and scheme.lower() in _SCHEMES else value


def is_own_token(value: str | None) -> bool:
    """Whether `value` (a bare credential) is in one of aigw's own token formats."""
    if not value:
        return False
    return value.startswith(OWN_PREFIXES) or is_admin_token(value)


@dataclass
class Screened:
    """A request's headers and query with every aigw token taken out, and the tokens found."""

    headers: list[tuple[str, str]]
    query: str
    tokens: list[str] = field(default_factory=list)


def screen(headers: Iterable[tuple[str, str]], query: str) -> Screened:
    """Take aigw tokens out of what would be forwarded: any header value (bare or after an auth
    scheme) and any query parameter value. The gateway's own `cf-aig-*` headers stay: they are
    read, never forwarded."""
    out = Screened([], "")
    for name, value in headers:
        if not name.lower().startswith("cf-aig-") and is_own_token(credential_in(value)):
            out.tokens.append(credential_in(value))
        else:
            out.headers.append((name, value))
    kept = []
    for part in query.split("&") if query else []:
        value = unquote_plus(part.partition("=")[2])
        if is_own_token(value):
            out.tokens.append(value)
        else:
            kept.append(part)
    out.query = "&".join(kept)
    return out


def authenticate_with(account_id: str, tokens: list[str],
                      headers: dict[str, str]) -> None:
    """Check aigw tokens found among provider credentials; the first one stands in for a missing
    `cf-aig-authorization` in `headers` (lower-cased names), which the gateway then checks as
    usual. Raises AuthenticationFailed (401, 2009) for one that is neither the admin token nor a
    live token of `account_id`; the message never repeats it."""
    for token in tokens:
        if not (is_admin_token(token) or is_live_token(account_id, token)):
            raise AuthenticationFailed(
                "Unauthorized: an aigw token was sent as a provider credential and is not a "
                "valid token of this account; aigw tokens are never forwarded to providers")
    if tokens:
        headers.setdefault("cf-aig-authorization", f"Bearer {tokens[0]}")
