"""The gateway object: field names, types and ranges exactly as Cloudflare's API defines them.

Both planes use it: management validates and stores it, the data plane reads its settings.
Spend rules follow spec section 4: `limitType` camelCase, `filter` / `partition` modes, 8-hex
rule ids generated when absent, at most 20 rules; every problem names the rule and the field.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from aigw.egress import check_url
from aigw.errors import FieldProblem, validation_failed
from aigw.validation import problems_from

M = TypeVar("M", bound=BaseModel)
RULE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

GATEWAY_ID_PATTERN = r"^[a-z0-9_]+(?:-[a-z0-9_]+)*$"

GatewayId = Annotated[str, Field(min_length=1, max_length=64, pattern=GATEWAY_ID_PATTERN)]


class RuleMatch(BaseModel):
    """A rule dimension: `{mode: filter, values: [...]}` (the request's value must be one of
    them) or `{mode: partition}` (each value gets its own budget)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    mode: Literal["filter", "partition"]
    values: list[Annotated[str, Field(min_length=1)]] | None = None

    @model_validator(mode="after")
    def _filter_has_values(self) -> RuleMatch:
        if self.mode == "filter" and not self.values:
            raise ValueError("a filter needs a non-empty 'values' list")
        return self


class SpendRule(BaseModel):
    """A spend rule. `provider`/`model` take the spec's `{mode, values}` object or, for
    convenience, one plain string (stored as a one-value filter); `id` is 8 hex characters,
    generated when absent."""

    model_config = ConfigDict(strict=True, extra="forbid")

    id: Annotated[str, Field(pattern=RULE_ID_PATTERN)] | None = None
    enabled: bool = True
    limit: Annotated[float, Field(ge=0, strict=False, allow_inf_nan=False)]  # USD
    limitType: Literal["cost"] = "cost"  # noqa: N815 - Cloudflare's field name
    window: Annotated[int, Field(ge=0)]  # seconds; 0 = one budget with no window
    technique: Literal["fixed", "sliding"] = "sliding"
    provider: str | RuleMatch | None = None
    model: str | RuleMatch | None = None
    metadata: Annotated[dict[str, str | int | float | bool | RuleMatch],
                        Field(max_length=5)] | None = None


class SpendLimits(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    enabled: bool = False
    rules: Annotated[list[SpendRule], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> SpendLimits:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id is not None and rule.id in seen:
                raise ValueError(f"rule id '{rule.id}' is used twice")
            if rule.id is not None:
                seen.add(rule.id)
        return self


class OtelExporter(BaseModel):
    """One OpenTelemetry exporter (`otel` entry). The URL is the OTLP/HTTP traces endpoint and
    follows the egress policy (https, a public host; re-checked at every connection)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    url: Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(check_url)]
    headers: dict[str, str] = {}
    authorization: str | None = None
    content_type: Literal["json", "protobuf"] = "json"


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
    otel: Annotated[list[OtelExporter], Field(max_length=5)] | None = None


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
    for rule in rules:
        rule["id"] = rule.get("id") or secrets.token_hex(4)
        for name in ("provider", "model"):
            if isinstance(rule.get(name), str):
                rule[name] = {"mode": "filter", "values": [rule[name]]}
            elif isinstance(rule.get(name), dict) and rule[name].get("values") is None:
                rule[name].pop("values", None)
        metadata = rule.get("metadata") or {}
        for key, match in list(metadata.items()):
            if not isinstance(match, dict):
                metadata[key] = {"mode": "filter",
                                 "values": [str(match).lower() if isinstance(match, bool)
                                            else str(match)]}
            elif match.get("values") is None:
                match.pop("values", None)
    return {"id": gateway_id, **doc, "created_at": created_at, "modified_at": modified_at,
            "is_default": gateway_id == "default"}


def validate_gateway(model: type[M], data: dict[str, Any]) -> M:
    """`model` from a request body, or 400/7001 naming every problem; a problem inside a spend
    rule names the rule (`rules[2] 'a1b2c3d4'`) and the field."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = problems_from(e)
    rules = (data.get("spend_limits") or {}).get("rules") if isinstance(
        data.get("spend_limits"), dict) else None
    named = []
    for p in problems:
        path = p.path
        if len(path) >= 3 and path[:2] == ["spend_limits", "rules"] and isinstance(path[2], int):
            index = path[2]
            rule = rules[index] if isinstance(rules, list) and index < len(rules) else None
            rule_id = rule.get("id") if isinstance(rule, dict) else None
            field = ".".join(str(x) for x in path[3:] if not str(x).startswith(("str", "RuleMatch",
                                                                           "int", "float", "bool")))
            who = f"spend rule {index}" + (f" '{rule_id}'" if isinstance(rule_id, str) else "")
            p = FieldProblem(path, f"{who}, field '{field or 'rule'}': {p.message}")
        named.append(p)
    raise validation_failed(named)
