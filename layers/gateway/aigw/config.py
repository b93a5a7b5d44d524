"""The one place that reads configuration.

Everything the gateway needs from its environment is read here, once per process, into a frozen
dataclass. Lambda sets these variables from `template.yaml`; the local server sets the same ones.
Nothing here touches the network, so importing it is free at cold start.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    config_table: str = "ConfigTable"
    counters_table: str = "CountersTable"
    cache_table: str = "CacheTable"
    logs_table: str = "LogsTable"
    # Secrets Manager names of provider keys start with this prefix (the stack's own namespace).
    secret_prefix: str = "aigw/local"  # noqa: S105 - a name prefix, not a secret
    # Admin token: a literal (local development) or the ARN of the secret that holds it (deployed).
    admin_token: str | None = None
    admin_secret_arn: str | None = None
    # How long gateways, tokens and provider keys stay cached in a warm process, in seconds.
    config_cache_seconds: float = 5.0
    # How long a provider key read from Secrets Manager is reused; a rotation is seen after it.
    key_cache_seconds: int = 60
    region: str = "us-east-1"
    # Whether the functions may sign Bedrock calls with their own IAM role (deployed only).
    bedrock_use_role: bool = False
    upstream_overrides: dict[str, str] = field(default_factory=dict)
    # Request bodies over this many bytes are 413 (aigw.web.body_limit says why 4 MiB).
    max_body_bytes: int = 4 * 1024 * 1024
    # Egress policy (aigw.egress): user-configured destinations may reach loopback and private
    # addresses (and plain http) only when this is set. Off by default; the template never sets
    # it and `make dev` does not either: local model servers and tests opt in explicitly.
    egress_allow_private: bool = False
    # Upstream timeouts, in seconds: establishing the connection (TCP + TLS), the wait for the
    # response head when the client sent no `cf-aig-request-timeout`, and the longest silence
    # between two body chunks (a stalled stream ends with the surface's stream error).
    connect_timeout_s: float = 10.0
    first_byte_timeout_s: float = 120.0
    idle_timeout_s: float = 60.0
    # Most steps one universal request may carry (each step can be an upstream call).
    universal_max_steps: int = 10
    # The public base URL handed out by `GET /gateways/{id}/url/{provider}` (the stack's API URL
    # when deployed); None means "this request's own scheme and host", validated.
    public_base_url: str | None = None
    # Stored request logs expire (DynamoDB TTL) this many days after the request.
    log_retention_days: int = 30
    # Rate and spend limits when the counters table fails: admit (True) or refuse with 429.
    limits_fail_open: bool = True

    def upstream_override(self, slug: str) -> str | None:
        """`AIGW_UPSTREAM_<SLUG>` replaces a provider's base URL (tests point it at fakes)."""
        return self.upstream_overrides.get(slug.upper().replace("-", "_"))


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def settings_from_env(env: dict[str, str] | os._Environ[str] | None = None) -> Settings:
    e = os.environ if env is None else env
    prefix = "AIGW_UPSTREAM_"
    return Settings(
        config_table=e.get("AIGW_CONFIG_TABLE", "ConfigTable"),
        counters_table=e.get("AIGW_COUNTERS_TABLE", "CountersTable"),
        cache_table=e.get("AIGW_CACHE_TABLE", "CacheTable"),
        logs_table=e.get("AIGW_LOGS_TABLE", "LogsTable"),
        secret_prefix=e.get("AIGW_SECRET_PREFIX", "aigw/local").rstrip("/"),
        admin_token=e.get("AIGW_ADMIN_TOKEN") or None,
        admin_secret_arn=e.get("AIGW_ADMIN_SECRET_ARN") or None,
        config_cache_seconds=float(e.get("AIGW_CONFIG_CACHE_SECONDS", "5")),
        key_cache_seconds=int(e.get("AIGW_KEY_CACHE_SECONDS", "60")),
        region=e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or "us-east-1",
        bedrock_use_role=_flag(e.get("AIGW_BEDROCK_USE_ROLE")),
        egress_allow_private=_flag(e.get("AIGW_EGRESS_ALLOW_PRIVATE")),
        connect_timeout_s=float(e.get("AIGW_CONNECT_TIMEOUT_SECONDS", "10")),
        first_byte_timeout_s=float(e.get("AIGW_FIRST_BYTE_TIMEOUT_SECONDS", "120")),
        idle_timeout_s=float(e.get("AIGW_IDLE_TIMEOUT_SECONDS", "60")),
        universal_max_steps=int(e.get("AIGW_UNIVERSAL_MAX_STEPS", "10")),
        public_base_url=(e.get("AIGW_PUBLIC_BASE_URL") or "").rstrip("/") or None,
        limits_fail_open=(e.get("AIGW_LIMITS_FAIL_OPEN") or "true").strip().lower()
        not in {"0", "false", "no", "off"},
        upstream_overrides={k[len(prefix):]: v for k, v in e.items() if k.startswith(prefix) and v},
        max_body_bytes=int(e.get("AIGW_MAX_BODY_BYTES", str(4 * 1024 * 1024))),
        log_retention_days=int(e.get("AIGW_LOG_RETENTION_DAYS") or "30"),
    )


#: Local mode only. Lambda gives each function its own environment; local mode runs every
#: function in one process, so while it serves a request for one function it sets here the
#: variables the template gives *other* functions but not this one, and settings are read as if
#: they were absent, exactly as they are deployed. Unset (None) on Lambda.
HIDDEN_VARIABLES: ContextVar[frozenset[str] | None] = ContextVar("aigw_hidden_variables",
                                                                 default=None)


@lru_cache(maxsize=1)
def _process_settings() -> Settings:
    return settings_from_env()


@lru_cache(maxsize=16)
def _narrowed_settings(hidden: frozenset[str]) -> Settings:
    return settings_from_env({k: v for k, v in os.environ.items() if k not in hidden})


class _SettingsReader:
    """`get_settings()`: settings read once per process (once per function in local mode)."""

    def __call__(self) -> Settings:
        hidden = HIDDEN_VARIABLES.get()
        return _process_settings() if hidden is None else _narrowed_settings(hidden)

    def cache_clear(self) -> None:
        """Read the environment again on the next call (tests that change it call this)."""
        _process_settings.cache_clear()
        _narrowed_settings.cache_clear()


get_settings = _SettingsReader()
