"""Provider keys (BYOK): the secret in Secrets Manager, its metadata in the config table.

One secret per (account, gateway, provider, alias), named
`{secret_prefix}/keys/{account}/{gateway}/{provider}/{alias}` — inside the template's IAM scope
`aigw/${StackName}/keys/*`, and derivable from the metadata, so no ARN needs storing.

The metadata document (`provider_configs`, id `{gateway}#{provider}#{alias}`) is written first
and conditionally: it is the lock that makes a duplicate alias a 409 even under concurrent
creates, and it is what the hot path consults first, so a request for a provider with no stored
key costs one cached config-table query and no Secrets Manager call.

Hot-path secret reads go through Powertools' `SecretsProvider` (in-process cache, `max_age` =
`key_cache_seconds`), so a rotation is seen within that age. Secrets are deleted with
`ForceDeleteWithoutRecovery`, so an alias can be created again at once.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from aigw.config import get_settings
from aigw.errors import GatewayError, NotFound
from aigw.ids import now_iso
from aigw.stores import aws
from aigw.stores.config_store import config_store

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider  # pragma: no cover

logger = logging.getLogger("aigw")

ALIAS_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
DEFAULT_ALIAS = "default"
_ALIAS = re.compile(ALIAS_PATTERN)


def secret_name(account: str, gateway: str, provider: str, alias: str) -> str:
    return f"{get_settings().secret_prefix}/keys/{account}/{gateway}/{provider}/{alias}"


def _doc_id(gateway: str, provider: str, alias: str) -> str:
    return f"{gateway}#{provider}#{alias}"


def _code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


def _storage_error(action: str, code: str) -> GatewayError:
    # Only the AWS error code: messages can quote request parameters.
    logger.error("Secrets Manager %s failed: %s", action, code)
    return GatewayError(f"could not {action} the provider key in Secrets Manager ({code})")


# --------------------------------------------------------------------------- hot path

class _KeyReader:
    """One Powertools `SecretsProvider` per boto3 client (tests swap the client for moto's)."""

    def __init__(self) -> None:
        self._client: object | None = None
        self._provider: SecretsProvider | None = None

    def provider(self) -> "SecretsProvider":
        client = aws.secretsmanager()
        if self._provider is None or self._client is not client:
            # Imported here: Powertools parameters is needed only once a stored key is used.
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            self._provider, self._client = SecretsProvider(boto3_client=client), client
        return self._provider

    def clear(self) -> None:
        if self._provider is not None:
            self._provider.clear_cache()


_reader = _KeyReader()


def _configs(account: str, gateway: str) -> list[dict[str, Any]]:
    return config_store().provider_configs.cached_list(account, under=f"{gateway}#")


def _pick(configs: list[dict[str, Any]], provider: str, alias: str) -> dict[str, Any] | None:
    """`alias` of `provider`; for `default`, the config flagged `default_config` wins (newest
    first), then the one named `default`."""
    mine = [c for c in configs if c.get("provider_slug") == provider]
    if alias == DEFAULT_ALIAS:
        flagged = sorted((c for c in mine if c.get("default_config")),
                         key=lambda c: str(c.get("created_at", "")), reverse=True)
        if flagged:
            return flagged[0]
    return next((c for c in mine if c.get("alias") == alias), None)


def has_alias(account: str, gateway: str, provider: str, alias: str) -> bool:
    """Whether a key is configured for this alias (the 400/2040 decision); config-table only."""
    return bool(_ALIAS.fullmatch(alias)) and _pick(_configs(account, gateway), provider,
                                                alias) is not None


def stored_config(account: str, gateway: str, provider: str,
                  alias: str) -> dict[str, Any] | None:
    """The metadata of the stored key `alias` would use (`rate_limit` and friends), or None."""
    if not _ALIAS.fullmatch(alias):
        return None
    return _pick(_configs(account, gateway), provider, alias)


def get_provider_key(account: str, gateway: str, provider: str, alias: str) -> str | None:
    """The stored key for `alias` (`default`: the gateway's default for `provider`), or None."""
    if not _ALIAS.fullmatch(alias):
        return None
    config = _pick(_configs(account, gateway), provider, alias)
    if config is None:
        return None
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    name = secret_name(account, gateway, provider, str(config["alias"]))
    try:
        value = _reader.provider().get(name, max_age=get_settings().key_cache_seconds)
    except GetParameterError as e:
        cause = e.__context__  # Powertools re-raises every failure as GetParameterError(str)
        code = _code(cause) if isinstance(cause, ClientError) else type(cause).__name__
        if code == "ResourceNotFoundException":
            # Metadata written, secret not yet (a create in flight) or already gone.
            logger.warning("provider key secret missing for %s/%s alias %s", gateway, provider,
                           config["alias"])
            return None
        raise _storage_error("read", code) from None
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- management

def list_configs(account: str, gateway: str) -> list[dict[str, Any]]:
    return config_store().provider_configs.list(account, under=f"{gateway}#")


def find_config(account: str, gateway: str, config_id: str) -> dict[str, Any]:
    found = next((c for c in list_configs(account, gateway) if c.get("id") == config_id), None)
    if found is None:
        raise NotFound(f"provider config '{config_id[:64]}' not found")
    return found


def create_config(account: str, gateway: str, fields: dict[str, Any],
                  secret: str) -> dict[str, Any]:
    """Store a key. `fields` holds `provider_slug`, `alias` and the other public settings
    (`secret_preview` included); raises Conflict (409/7003) if the alias exists."""
    provider, alias = str(fields["provider_slug"]), str(fields["alias"])
    now = now_iso()
    doc = {"id": uuid.uuid4().hex, "gateway_id": gateway, **fields,
           "secret_id": secret_name(account, gateway, provider, alias),
           "created_at": now, "modified_at": now}
    store = config_store().provider_configs
    doc_id = _doc_id(gateway, provider, alias)
    store.create(account, doc_id, doc)
    try:
        _create_secret(doc["secret_id"], secret, f"aigw provider key {gateway}/{provider}/{alias}")
    except BaseException:
        try:
            store.delete(account, doc_id)
        except Exception as cleanup:  # noqa: BLE001 - the original failure is what matters
            logger.error("could not remove provider config %s after a failed create: %s",
                         doc_id, type(cleanup).__name__)
        raise
    _reader.clear()
    return doc


def rotate_config(account: str, gateway: str, config_id: str, secret: str,
                  secret_preview: str) -> dict[str, Any]:
    old = find_config(account, gateway, config_id)
    try:
        aws.secretsmanager().put_secret_value(SecretId=old["secret_id"], SecretString=secret)
    except ClientError as e:
        if _code(e) != "ResourceNotFoundException":
            raise _storage_error("rotate", _code(e)) from None
        _create_secret(old["secret_id"], secret, "aigw provider key")
    doc = {**old, "secret_preview": secret_preview, "modified_at": now_iso()}
    config_store().provider_configs.replace(
        account, _doc_id(gateway, old["provider_slug"], old["alias"]), doc)
    _reader.clear()
    return doc


def delete_config(account: str, gateway: str, config_id: str) -> dict[str, Any]:
    """Secret first, then metadata: a failure leaves the config listed, so a retry cleans up."""
    old = find_config(account, gateway, config_id)
    _delete_secret(old["secret_id"])
    config_store().provider_configs.delete(
        account, _doc_id(gateway, old["provider_slug"], old["alias"]))
    _reader.clear()
    return old


def delete_gateway_keys(account: str, gateway: str) -> int:
    """Remove every provider config of a deleted gateway and its secret; returns how many."""
    configs = list_configs(account, gateway)
    for c in configs:
        delete_config(account, gateway, str(c["id"]))
    return len(configs)


def write_secret(name: str, secret: str, description: str) -> None:
    """Create or overwrite the secret `name` (for other write-only values kept like keys)."""
    _create_secret(name, secret, description)
    _reader.clear()


def remove_secret(name: str) -> None:
    """Delete the secret `name` at once (no recovery window); a missing one is fine."""
    _delete_secret(name)
    _reader.clear()


def read_secret(name: str) -> str | None:
    """A secret through the hot-path cache (`key_cache_seconds`), or None if it does not exist."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = _reader.provider().get(name, max_age=get_settings().key_cache_seconds)
    except GetParameterError as e:
        cause = e.__context__
        code = _code(cause) if isinstance(cause, ClientError) else type(cause).__name__
        if code == "ResourceNotFoundException":
            return None
        raise _storage_error("read", code) from None
    return value if isinstance(value, str) else None


def _create_secret(name: str, secret: str, description: str, attempts: int = 5,
                   sleep: Callable[[float], None] = time.sleep) -> None:
    """CreateSecret; adopts an orphan left by an earlier failure (the metadata write is the
    lock, so no live config owns it), and waits out a force-deletion still in progress."""
    client = aws.secretsmanager()
    for attempt in range(1, attempts + 1):
        try:
            client.create_secret(Name=name, SecretString=secret, Description=description)
            return
        except ClientError as e:
            if _code(e) == "ResourceExistsException":
                try:
                    client.put_secret_value(SecretId=name, SecretString=secret)
                    return
                except ClientError as put_error:
                    raise _storage_error("store", _code(put_error)) from None
            pending_delete = _code(e) == "InvalidRequestException" and \
                "deletion" in str(e.response.get("Error", {}).get("Message", "")).lower()
            if not pending_delete or attempt == attempts:
                raise _storage_error("store", _code(e)) from None
        sleep(0.25 * attempt)


def _delete_secret(name: str) -> None:
    try:
        aws.secretsmanager().delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    except ClientError as e:
        if _code(e) != "ResourceNotFoundException":
            raise _storage_error("delete", _code(e)) from None
