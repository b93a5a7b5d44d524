"""The gateway object: field names, types and ranges exactly as Cloudflare's API defines them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

GATEWAY_ID_PATTERN = r"^[a-z0-9_]+(?:-[a-z0-9_]+)*$"

GatewayId = Annotated[str, Field(min_length=1, max_length=64, pattern=GATEWAY_ID_PATTERN)]


class RuleMatch(BaseModel):
    """Cloudflare's API shape for a rule dimension: `{mode: filter, values}` or partition."""

    model_config = ConfigDict(strict=True, extra="forbid")

    mode: Literal["filter", "partition"]
    values: list[str] | None = None


class SpendRule(BaseModel):
    """A spend rule. `provider`/`model` take the spec's plain string or the Cloudflare API's
    `{mode, values}` object (what the official SDK sends); `id` is generated when absent."""

    model_config = ConfigDict(strict=True, extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    enabled: bool = True
    limit: Annotated[float, Field(gt=0, strict=False)]  # USD; JSON ints are fine here
    limitType: Literal["cost"] = "cost"  # noqa: N815 - Cloudflare's field name
    window: Annotated[int, Field(ge=60, le=2592000)]
    technique: Literal["fixed", "sliding"] = "fixed"
    provider: str | RuleMatch | None = None
    model: str | RuleMatch | None = None
    metadata: dict[str, str | int | float | bool | RuleMatch] | None = None


class SpendLimits(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    enabled: bool = False
    rules: Annotated[list[SpendRule], Field(max_length=20)] = []


class GatewaySettings(BaseModel):
    """Everything a client may set; PUT replaces all of it (a full update)."""

    # Unknown fields are ignored, not rejected: Cloudflare's SDKs send fields aigw does not use.
    model_config = ConfigDict(strict=True, extra="ignore")

    cache_invalidate_on_update: bool
    # Required but nullable, as in Cloudflare's API (null means off).
    cache_ttl: Annotated[int, Field(ge=0, le=2592000)] | None
    collect_logs: bool
    rate_limiting_interval: Annotated[int, Field(ge=0, le=86400)] | None
    rate_limiting_limit: Annotated[int, Field(ge=0)] | None
    rate_limiting_technique: Literal["fixed", "sliding"] = "fixed"
    authentication: bool = False
    log_management: Annotated[int, Field(ge=10_000, le=10_000_000)] | None = None
    log_management_strategy: Literal["STOP_INSERTING", "DELETE_OLDEST"] | None = None
    retry_max_attempts: Annotated[int, Field(ge=1, le=5)] = 1
    retry_delay: Annotated[int, Field(ge=0, le=5000)] = 0
    retry_backoff: Literal["constant", "linear", "exponential"] = "constant"
    spend_limits: SpendLimits | None = None
    byok_only: bool = False
    otel: list[dict[str, Any]] | None = None


class GatewayCreate(GatewaySettings):
    id: GatewayId


def default_gateway_settings() -> GatewaySettings:
    """What gateway `default` gets when its first authenticated request creates it."""
    return GatewaySettings(cache_invalidate_on_update=False, cache_ttl=0, collect_logs=True,
                           rate_limiting_interval=0, rate_limiting_limit=0, authentication=True)


def gateway_document(gateway_id: str, settings: GatewaySettings, created_at: str,
                     modified_at: str) -> dict[str, Any]:
    doc = settings.model_dump(mode="json")
    rules = (doc.get("spend_limits") or {}).get("rules") or []
    for i, rule in enumerate(rules):
        rule["id"] = rule.get("id") or f"rule-{i + 1}"
    return {"id": gateway_id, **doc, "created_at": created_at, "modified_at": modified_at,
            "is_default": gateway_id == "default"}
