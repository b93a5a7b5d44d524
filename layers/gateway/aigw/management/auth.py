"""Who may call the management API.

The admin token (from `AIGW_ADMIN_TOKEN`, or the template's generated secret read once per cold
start) works for every account. Comparisons are constant-time. Scoped API tokens plug in through
`register_token_verifier` so this module does not need to know how they are stored.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Literal

from fastapi import Request

from aigw.config import get_settings
from aigw.errors import AuthenticationFailed, Forbidden, InvalidRequest

Permission = Literal["read", "edit"]
#: (account, presented token, needed permission) -> True if allowed, False if known but not
#: allowed, None if the token is not one of theirs.
TokenVerifier = Callable[[str, str, Permission], "bool | None"]

_verifiers: list[TokenVerifier] = []
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def register_token_verifier(verifier: TokenVerifier) -> None:
    if verifier not in _verifiers:
        _verifiers.append(verifier)


@lru_cache(maxsize=1)
def admin_token() -> str | None:
    s = get_settings()
    if s.admin_token:
        return s.admin_token
    if s.admin_secret_arn:
        # Imported here: Powertools parameters is only needed by management, at first request.
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(s.admin_secret_arn, max_age=300)
        return str(value).strip() or None
    return None


def is_admin_token(presented: str | None) -> bool:
    """Constant-time check against the admin token (False when none is configured)."""
    expected = admin_token()
    return bool(presented and expected
                and hmac.compare_digest(presented.encode(), expected.encode()))


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def check_account(account_id: str) -> None:
    if not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidRequest("account_id must be 1-64 letters, digits, '-' or '_'", code=7001)


def authorize(request: Request, account_id: str, need: Permission) -> None:
    """Raise unless the request's `Authorization: Bearer` token may do `need` in this account."""
    check_account(account_id)
    presented = bearer(request.headers.get("authorization"))
    if presented is None:
        raise AuthenticationFailed("Authentication error: missing Authorization: Bearer token",
                                   code=10000)
    if is_admin_token(presented):
        return
    for verify in _verifiers:
        verdict = verify(account_id, presented, need)
        if verdict is True:
            return
        if verdict is False:
            raise Forbidden(f"Authentication error: token lacks '{need}' permission")
    raise AuthenticationFailed("Authentication error: invalid token", code=10000)
