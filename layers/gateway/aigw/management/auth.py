"""Who may call the management API.

The admin token (`aigw.admin_auth`) works for every account. Scoped API tokens plug in through
`register_token_verifier` so this module does not need to know how they are stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import Request

from aigw.admin_auth import ACCOUNT_ID, bearer, is_admin_token
from aigw.errors import AuthenticationFailed, Forbidden, InvalidRequest

Permission = Literal["read", "edit"]
#: (account, presented token, needed permission) -> True if allowed, False if known but not
#: allowed, None if the token is not one of theirs.
TokenVerifier = Callable[[str, str, Permission], "bool | None"]

_verifiers: list[TokenVerifier] = []


def register_token_verifier(verifier: TokenVerifier) -> None:
    if verifier not in _verifiers:
        _verifiers.append(verifier)


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
