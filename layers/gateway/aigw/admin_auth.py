"""Recognising gateway-level bearer tokens, for both planes.

The admin token (from `AIGW_ADMIN_TOKEN`, or the template's generated secret) works for every
account on management and, as a gateway token, on the data plane. Comparisons are
constant-time. Management's permission checks live in `aigw.management.auth`; this module holds
only what the data plane needs too, so neither surface imports the other.
"""

from __future__ import annotations

import hmac
import re

from aigw.config import get_settings

#: Account ids are namespaces: 1-64 letters, digits, `-` or `_`.
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


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
    """The token of an `Authorization: Bearer <token>`-style value, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
