"""boto3 clients, created on first use and shared by the process.

Clients are built lazily so importing a function module does no network work and no credential
lookup; boto3 itself (~140 ms to import here) is imported on first use, for the same reason.
`AWS_ENDPOINT_URL` (honoured by boto3 itself) points the clients at moto locally.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aigw.config import get_settings

if TYPE_CHECKING:
    import boto3  # pragma: no cover
    from mypy_boto3_dynamodb import DynamoDBClient  # pragma: no cover
    from mypy_boto3_secretsmanager import SecretsManagerClient  # pragma: no cover


def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 3, "mode": "standard"}, tcp_keepalive=True,
                    connect_timeout=2, read_timeout=5)
    return boto3.session.Session().client(service, region_name=get_settings().region,
                                          config=config)


@lru_cache(maxsize=1)
def dynamodb() -> "DynamoDBClient":
    return _client("dynamodb")


@lru_cache(maxsize=1)
def dynamodb_hot() -> "DynamoDBClient":
    """The client for per-request counter and cache calls: short timeouts and no retries
    (botocore's backoff on a throttled item would add up to seconds to the request), so a slow,
    throttling or unreachable table costs a request at most ~1 s before the caller bypasses
    it (fail open) or refuses."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, tcp_keepalive=True,
                    connect_timeout=0.5, read_timeout=1)
    return boto3.session.Session().client("dynamodb", region_name=get_settings().region,
                                          config=config)


@lru_cache(maxsize=1)
def secretsmanager() -> "SecretsManagerClient":
    return _client("secretsmanager")


def reset_clients() -> None:
    """Forget cached clients (tests that point the process at a new moto server)."""
    dynamodb.cache_clear()
    dynamodb_hot.cache_clear()
    secretsmanager.cache_clear()


@lru_cache(maxsize=1)
def _role_session() -> "boto3.session.Session":
    import boto3

    return boto3.session.Session()


def role_credentials() -> object:
    """The function's own IAM role credentials (botocore refreshes them before expiry)."""
    creds = _role_session().get_credentials()
    if creds is None:
        from aigw.errors import AuthenticationFailed

        raise AuthenticationFailed("no AWS credentials available to sign the Bedrock request")
    return creds.get_frozen_credentials()
