"""Who may call the management API.

The admin token (from `AIGW_ADMIN_TOKEN`, or the template's generated secret read once per cold
start) works for every account. Comparisons are constant-time. Scoped API tokens plug in through
`register_token_verifier` so this module does not need to know how they are stored.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
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


#: Seconds a warm process reuses the admin token read from Secrets Manager (a rotation is seen
#: after this long).
ADMIN_TOKEN_MAX_AGE = 300


def admin_token() -> str | None:
    """The admin token: `AIGW_ADMIN_TOKEN` if set, else the secret `AIGW_ADMIN_SECRET_ARN` names
    (every function's template environment names it), read through Powertools' parameter cache.
    None when neither is configured. A secret that cannot be read raises (boto3's error): the
    token must never be mistaken for a provider key because it could not be recognised."""
    s = get_settings()
    if s.admin_token:
        return s.admin_token
    if s.admin_secret_arn:
        # Imported here: Powertools parameters is only needed once a token is checked.
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(s.admin_secret_arn, max_age=ADMIN_TOKEN_MAX_AGE)
        return str(value).strip() or None
    return None


def forget_admin_token() -> None:
    """Drop the cached admin token (tests that replace the secret or the settings)."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()


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
