"""The `cf-aig-*` request headers, parsed and range-checked once per request.

Precedence (spec section 2): universal step headers > request headers > gateway settings. This
module only reads headers; `effective_retry` merges them with the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aigw.errors import InvalidRequest
from aigw.json_input import parse_json

Backoff = Literal["constant", "linear", "exponential"]
BACKOFFS = ("constant", "linear", "exponential")
MAX_METADATA = 5


@dataclass(frozen=True)
class RequestOptions:
    request_timeout_ms: int | None = None
    max_attempts: int | None = None
    retry_delay_ms: int | None = None
    backoff: Backoff | None = None
    byok_alias: str | None = None
    event_id: str | None = None
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)
    collect_log: bool | None = None
    collect_log_payload: bool = True
    cache_ttl: int | None = None
    skip_cache: bool = False
    cache_key: str | None = None
    custom_cost: dict[str, float] | None = None
    #: `cf-aig-no-wholesale: true`: no fall-through past stored keys (no IAM-role signing).
    no_wholesale: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    delay_ms: int
    backoff: Backoff

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt` (2, 3, ...)."""
        n = attempt - 1
        factor = {"constant": 1, "linear": n, "exponential": 2 ** (n - 1)}[self.backoff]
        return self.delay_ms * factor / 1000.0


def _int(headers: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = headers.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw.strip())
    except ValueError as e:
        raise InvalidRequest(f"{name} must be an integer", code=2008) from e
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high}", code=2008)
    return value


def _bool(headers: Mapping[str, str], name: str) -> bool | None:
    raw = headers.get(name)
    if raw is None:
        return None
    value = raw.strip().lower()
    if value not in {"true", "false"}:
        raise InvalidRequest(f"{name} must be true or false", code=2008)
    return value == "true"


def _metadata(raw: str | None) -> dict[str, str | int | float | bool]:
    if not raw:
        return {}
    try:
        data = parse_json(raw)
    except ValueError as e:
        raise InvalidRequest("cf-aig-metadata must be a JSON object", code=2008) from e
    if not isinstance(data, dict):
        raise InvalidRequest("cf-aig-metadata must be a JSON object", code=2008)
    kept: dict[str, str | int | float | bool] = {}
    for key, value in data.items():
        if str(key).startswith("cf.") or not isinstance(value, (str, int, float, bool)):
            continue
        if len(kept) == MAX_METADATA:
            break
        kept[str(key)] = value
    return kept


def _custom_cost(raw: str | None) -> dict[str, float] | None:
    if not raw:
        return None
    allowed = {"per_token_in", "per_token_out", "per_cache_read_token", "per_cache_write_token",
               "total_cost"}
    try:
        data: Any = parse_json(raw)
    except ValueError as e:
        raise InvalidRequest("cf-aig-custom-cost must be a JSON object", code=2008) from e
    if (not isinstance(data, dict) or not data or set(data) - allowed
            or not all(isinstance(v, (int, float)) and v >= 0 for v in data.values())):
        raise InvalidRequest("cf-aig-custom-cost takes non-negative numbers for "
                             + ", ".join(sorted(allowed)), code=2008)
    return {k: float(v) for k, v in data.items()}


def parse_request_options(headers: Mapping[str, str]) -> RequestOptions:
    backoff = headers.get("cf-aig-backoff")
    if backoff is not None and backoff not in BACKOFFS:
        raise InvalidRequest("cf-aig-backoff must be constant, linear or exponential", code=2008)
    event_id = headers.get("cf-aig-event-id")
    alias = headers.get("cf-aig-byok-alias")
    return RequestOptions(
        request_timeout_ms=_int(headers, "cf-aig-request-timeout", 1, 900_000),
        max_attempts=_int(headers, "cf-aig-max-attempts", 1, 5),
        retry_delay_ms=_int(headers, "cf-aig-retry-delay", 0, 5000),
        backoff=backoff,  # type: ignore[arg-type]
        byok_alias=alias.strip() if alias and alias.strip() else None,
        event_id=event_id[:256] if event_id else None,
        metadata=_metadata(headers.get("cf-aig-metadata")),
        collect_log=_bool(headers, "cf-aig-collect-log"),
        collect_log_payload=_bool(headers, "cf-aig-collect-log-payload") is not False,
        cache_ttl=_int(headers, "cf-aig-cache-ttl" if "cf-aig-cache-ttl" in headers
                       else "cf-cache-ttl", 60, 2_592_000),
        skip_cache=bool(_bool(headers, "cf-aig-skip-cache" if "cf-aig-skip-cache" in headers
                              else "cf-skip-cache")),
        cache_key=headers.get("cf-aig-cache-key") or None,
        custom_cost=_custom_cost(headers.get("cf-aig-custom-cost")),
        no_wholesale=bool(_bool(headers, "cf-aig-no-wholesale")),
    )


def effective_retry(options: RequestOptions, gateway: dict[str, Any]) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=options.max_attempts or int(gateway.get("retry_max_attempts") or 1),
        delay_ms=(options.retry_delay_ms if options.retry_delay_ms is not None
                  else int(gateway.get("retry_delay") or 0)),
        backoff=options.backoff or gateway.get("retry_backoff") or "constant",
    )
