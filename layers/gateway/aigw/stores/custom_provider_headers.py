"""Custom-provider header values: secrets, kept in Secrets Manager like provider keys.

Header values often carry credentials (`x-api-key`, `Authorization`), so the config document
keeps only each header's name and preview; the values are one JSON secret per custom provider,
`{secret_prefix}/keys/{account}/.custom-providers/{slug}` (inside the template's `keys/*` IAM
scope; `.` cannot start a gateway id, so no provider key shares the name). Reads on the data
plane go through the same cache as provider keys (`key_cache_seconds`).

Documents written before this existed hold the values in `headers` and have no
`headers_secret_id`: they are still honoured, and rewritten the new way on their next update.
"""

from __future__ import annotations

import json
from typing import Any

from aigw.config import get_settings
from aigw.errors import GatewayError
from aigw.json_input import parse_json
from aigw.stores.provider_keys import read_secret, remove_secret, write_secret

SECRET_FIELD = "headers_secret_id"  # noqa: S105 - a document field name


def secret_name(account: str, slug: str) -> str:
    return f"{get_settings().secret_prefix}/keys/{account}/.custom-providers/{slug}"


def store(account: str, slug: str, headers: dict[str, str] | None) -> str | None:
    """Write the values (or, for no headers, delete them); returns the secret's name or None."""
    name = secret_name(account, slug)
    if not headers:
        remove_secret(name)
        return None
    write_secret(name, json.dumps(headers), f"aigw custom provider headers {slug}")
    return name


def drop(account: str, slug: str) -> None:
    remove_secret(secret_name(account, slug))


def is_legacy(doc: dict[str, Any]) -> bool:
    """A document whose `headers` still hold the values themselves."""
    return bool(doc.get("headers")) and not doc.get(SECRET_FIELD)


def with_values(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with `headers` holding the real values (data plane only; never answered)."""
    name = doc.get(SECRET_FIELD)
    if not name:
        return doc
    raw = read_secret(str(name))
    if raw is None:
        return {**doc, "headers": None}
    try:
        values = parse_json(raw)
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise GatewayError("the custom provider's stored headers are unreadable; set them again")
    return {**doc, "headers": values}
