"""Loading a gateway on the data plane, and who may use it.

Reads come from the warm-process cache. Gateway `default` is created on its first
authenticated request with the spec's defaults; any other unknown id is 400/2001.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aigw.admin_auth import ACCOUNT_ID, bearer, is_admin_token
from aigw.errors import AuthenticationFailed, Conflict, UnknownGateway
from aigw.gateway_schema import (
    GATEWAY_ID_PATTERN,
    default_gateway_settings,
    gateway_document,
)
from aigw.ids import now_iso
from aigw.stores.config_store import config_store
from aigw.tokens import verify_run_token

_GATEWAY_ID = re.compile(GATEWAY_ID_PATTERN)
DEFAULT_GATEWAY = "default"


def presented_token(headers: Mapping[str, str]) -> str | None:
    return bearer(headers.get("cf-aig-authorization"))


def token_is_valid(account_id: str, gateway_id: str, token: str | None) -> bool:
    if not token:
        return False
    if is_admin_token(token):
        return True
    return verify_run_token(account_id, gateway_id, token)


def load_gateway(account_id: str, gateway_id: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """The gateway, authenticated: raises 400/2001 for unknown ids and 401/2009 for bad tokens."""
    if not ACCOUNT_ID.fullmatch(account_id) or len(gateway_id) > 64 \
            or not _GATEWAY_ID.fullmatch(gateway_id):
        raise UnknownGateway("unknown gateway")
    store = config_store().gateways
    gateway = store.cached_get(account_id, gateway_id)
    token = presented_token(headers)
    if gateway is None:
        if gateway_id != DEFAULT_GATEWAY:
            raise UnknownGateway(f"gateway '{gateway_id}' does not exist")
        if not token_is_valid(account_id, gateway_id, token):
            raise AuthenticationFailed("Unauthorized: gateway 'default' is created on the first "
                                       "request with a valid cf-aig-authorization token")
        return _create_default(account_id)
    if gateway.get("authentication") and not token_is_valid(account_id, gateway_id, token):
        raise AuthenticationFailed("Unauthorized: missing or invalid cf-aig-authorization token")
    return gateway


def _create_default(account_id: str) -> dict[str, Any]:
    store = config_store().gateways
    now = now_iso()
    doc = gateway_document(DEFAULT_GATEWAY, default_gateway_settings(), now, now)
    try:
        store.create(account_id, DEFAULT_GATEWAY, doc)
    except Conflict:
        # Another process created it first: use theirs.
        return store.get(account_id, DEFAULT_GATEWAY) or doc
    return doc
