"""Request metrics as CloudWatch embedded metric format (EMF) lines, via Powertools Metrics.

One EMF line per answered data-plane request, written to stdout next to its log record (CloudWatch
Logs turns it into metrics; no AWS call on the request path). It is published whether or not the
record is collected (`collect_logs`), so the counts are complete.

Metrics (namespace `POWERTOOLS_METRICS_NAMESPACE`, default `aigw`): `Requests`, `Errors`,
`CacheHits`, `Status5xx`, `Throttled` (429s) as 0/1 counts — their Average is a rate —
`TokensIn`, `TokensOut` (Count), `Cost` (USD, unit None), `Latency` and `TimeToFirstByte`
(Milliseconds); a field the request does not have (no usage, unknown price) is left out, never
sent as 0.

Dimensions stay low-cardinality: `Surface` (passthrough | universal | compat), `Provider` (a
built-in slug, `custom` for any custom provider, `none` when the request named none or an
unknown one) and Powertools' `service`. Gateways, accounts, models and metadata are never
dimensions (they are user-chosen and unbounded); the analytics API breaks counts down by those.
Powertools is imported on the first request (~28 ms), not at cold start.
"""

from __future__ import annotations

from typing import Any

from aigw.logs import LogRecord, request_type_of
from aigw.providers.slugs import CUSTOM_PREFIX

DEFAULT_NAMESPACE = "aigw"
_metrics: Any = None


def _instance() -> Any:
    global _metrics
    if _metrics is None:
        from aws_lambda_powertools.metrics import Metrics

        metrics = Metrics()  # namespace and service from POWERTOOLS_* (the template sets them)
        if not metrics.namespace:
            metrics.namespace = DEFAULT_NAMESPACE
        _metrics = metrics
    return _metrics


def provider_dimension(slug: str | None) -> str:
    from aigw.providers.registry import PROVIDERS

    if slug in PROVIDERS:
        return str(slug)
    if slug and slug.startswith(CUSTOM_PREFIX):
        return "custom"
    return "none"


def metric_values(record: LogRecord) -> list[tuple[str, str, float]]:
    """(name, unit, value) for one record; fields it lacks are left out."""
    status = record.status_code
    out: list[tuple[str, str, float]] = [
        ("Requests", "Count", 1), ("Errors", "Count", 0 if record.success else 1),
        ("CacheHits", "Count", 1 if record.cached else 0),
        ("Status5xx", "Count", 1 if status >= 500 else 0),
        ("Throttled", "Count", 1 if status == 429 else 0),
        ("Latency", "Milliseconds", record.duration)]
    if record.time_to_first_byte is not None:
        out.append(("TimeToFirstByte", "Milliseconds", record.time_to_first_byte))
    if record.tokens_in is not None:
        out.append(("TokensIn", "Count", record.tokens_in))
    if record.tokens_out is not None:
        out.append(("TokensOut", "Count", record.tokens_out))
    if record.cost is not None:
        out.append(("Cost", "None", record.cost))
    return out


def publish(record: LogRecord) -> None:
    """Write the record's EMF line to stdout (Powertools prints it when flushed)."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = _instance()
    metrics.add_dimension(name="Surface",
                          value=record.request_type or request_type_of(record.path, record.method))
    metrics.add_dimension(name="Provider", value=provider_dimension(record.provider))
    for name, unit, value in metric_values(record):
        metrics.add_metric(name=name, unit=MetricUnit(unit), value=value)
    metrics.flush_metrics()
