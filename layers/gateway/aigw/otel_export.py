"""OpenTelemetry export: each stored log record becomes one span, sent to the gateway's `otel`
exporters with the OpenTelemetry SDK's OTLP/HTTP exporters (`content_type` `json`, the default
as on Cloudflare, or `protobuf`).

Called by the ingest function once per batch (`export(records, gateways)`), never on the request
path. The SDK is imported here only (~130 ms, ingest function only).

Span: name `{gen_ai.operation.name} {gen_ai.request.model}`, kind CLIENT, start `created_at`,
end start + `duration`, status ERROR when the request failed. Attributes: Cloudflare's
(`gen_ai.request.model`, `gen_ai.model.provider`, `gen_ai.usage.input_tokens`,
`gen_ai.usage.output_tokens`, `gen_ai.usage.cost`, `gen_ai.prompt_json`,
`gen_ai.completion_json` when the payload was collected) and the GenAI semantic conventions'
(`gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.system`, `gen_ai.response.model`,
`gen_ai.usage.cache_read.input_tokens`, `gen_ai.usage.cache_creation.input_tokens`), aigw's own
under `aigw.*`, and each `cf-aig-metadata` entry as an attribute of its own key (keys starting
`gen_ai.` are reserved and skipped). Trace context: `cf-aig-otel-trace-id` /
`-parent-span-id` from the record; otherwise the trace id is derived from the log id, so a
redelivered batch exports the same span ids.

Exporter URLs pass the egress policy (`aigw.egress`): checked when used, and every connection
goes only to an address the policy allows (resolved, checked, then connected to that address),
with no redirects. Exporter headers and `authorization` are sent as headers only, never put on
a span.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aigw.egress import EgressRefused, check_url, resolve_public
from aigw.providers.semconv import semconv_provider

logger = logging.getLogger("aigw.otel")
EXPORT_TIMEOUT_SECONDS = 5.0
#: OTel span attribute values are str/bool/int/float (or lists of one of them).
Scalar = str | bool | int | float


class ExportFailed(Exception):
    """At least one exporter did not take its spans (the ingest function counts it)."""


@dataclass
class ExportOutcome:
    spans: int = 0
    #: Exporters that failed, by host only (a URL may carry a token in its query).
    failed: list[str] = field(default_factory=list)


def _hex_id(value: Any, length: int) -> int | None:
    if isinstance(value, str) and len(value) == length:
        try:
            number = int(value, 16)
        except ValueError:
            return None
        return number or None
    return None


def _derived(log_id: str, salt: str, bits: int) -> int:
    digest = hashlib.sha256(f"{salt}:{log_id}".encode()).digest()
    return int.from_bytes(digest[:bits // 8], "big") or 1


def _nanos(created_at: str) -> int:
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1_000_000) * 1000


def _operation(record: dict[str, Any]) -> str:
    kind = record.get("model_type")
    if kind in ("embedding", "embeddings") or "embed" in str(record.get("path") or ""):
        return "embeddings"
    return "chat"


def span_attributes(record: dict[str, Any]) -> dict[str, Scalar]:
    """The span's attributes for one record (None values left out)."""
    provider = str(record.get("provider") or "")
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": _operation(record),
        "gen_ai.request.model": record.get("model"),
        "gen_ai.response.model": record.get("model"),
        "gen_ai.model.provider": provider or None,
        "gen_ai.provider.name": semconv_provider(provider) if provider else None,
        "gen_ai.system": semconv_provider(provider) if provider else None,
        "gen_ai.usage.input_tokens": record.get("tokens_in"),
        "gen_ai.usage.output_tokens": record.get("tokens_out"),
        "gen_ai.usage.cache_read.input_tokens": record.get("cached_tokens"),
        "gen_ai.usage.cache_creation.input_tokens": record.get("cache_write_tokens"),
        "gen_ai.usage.cost": record.get("cost"),
        "http.request.method": record.get("method"),
        "http.response.status_code": record.get("status_code"),
        "aigw.log_id": record.get("id"),
        "aigw.event_id": record.get("event_id"),
        "aigw.account_id": record.get("account_id"),
        "aigw.gateway_id": record.get("gateway_id"),
        "aigw.request_type": record.get("request_type"),
        "aigw.success": record.get("success"),
        "aigw.cached": record.get("cached"),
        "aigw.custom_cost": record.get("custom_cost"),
        "aigw.reasoning_tokens": record.get("reasoning_tokens"),
        "aigw.time_to_first_byte_ms": record.get("time_to_first_byte"),
        "aigw.duration_ms": record.get("duration"),
        "aigw.error_code": record.get("error_code"),
        "aigw.step": record.get("step"),
    }
    for side, key in (("request", "gen_ai.prompt_json"), ("response", "gen_ai.completion_json")):
        head = record.get(f"{side}_head")
        if isinstance(head, str) and record.get(f"{side}_head_encoding") != "base64":
            attrs[key] = head
    metadata = record.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    for key, value in (metadata if isinstance(metadata, dict) else {}).items():
        if isinstance(key, str) and not key.startswith("gen_ai.") and key not in attrs:
            attrs[key] = value if isinstance(value, (str, bool, int, float)) else json.dumps(
                value)
    return {k: v for k, v in attrs.items() if v is not None}


def to_span(record: dict[str, Any], resource: Any) -> Any:
    """One record -> an SDK `ReadableSpan` (ids from the client's trace context if given)."""
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

    log_id = str(record["id"])
    trace_id = _hex_id(record.get("otel_trace_id"), 32) or _derived(log_id, "trace", 128)
    parent_id = _hex_id(record.get("otel_parent_span_id"), 16)
    sampled = TraceFlags(TraceFlags.SAMPLED)
    context = SpanContext(trace_id, _derived(log_id, "span", 64), is_remote=False,
                          trace_flags=sampled)
    parent = (SpanContext(trace_id, parent_id, is_remote=True, trace_flags=sampled)
              if parent_id else None)
    start = _nanos(str(record["created_at"]))
    attrs = span_attributes(record)
    status = (Status(StatusCode.OK) if record.get("success")
              else Status(StatusCode.ERROR, f"status {record.get('status_code')}"))
    return ReadableSpan(
        name=f"{attrs['gen_ai.operation.name']} {record.get('model') or ''}".strip(),
        context=context, parent=parent, resource=resource, attributes=attrs,
        kind=SpanKind.CLIENT, status=status, start_time=start,
        end_time=start + int(record.get("duration") or 0) * 1_000_000,
        instrumentation_scope=InstrumentationScope("aigw"))


def _pinned_session() -> Any:
    """A `requests` session whose connections go only where the egress policy allows: the host
    is resolved and checked (`resolve_public`), and the socket connects to a checked address
    (TLS still verifies the name), so a DNS answer cannot change between check and connect."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import NewConnectionError

    def connect(conn: Any) -> socket.socket:
        try:
            addresses = resolve_public(conn._dns_host, conn.port)
        except EgressRefused as e:
            raise NewConnectionError(conn, "destination not allowed by the egress policy") from e
        error: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((address, conn.port), conn.timeout)
            except OSError as e:
                error = e
        raise NewConnectionError(conn, f"could not connect: {type(error).__name__}")

    class PinnedHTTP(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return connect(self)

    class PinnedHTTPS(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return connect(self)

    class PinnedHTTPPool(HTTPConnectionPool):
        ConnectionCls = PinnedHTTP

    class PinnedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = PinnedHTTPS

    class PinnedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": PinnedHTTPPool,
                                                       "https": PinnedHTTPSPool}

    session = requests.Session()
    session.trust_env = False  # no proxy or netrc from the environment
    session.max_redirects = 0
    session.mount("http://", PinnedAdapter())
    session.mount("https://", PinnedAdapter())
    return session


def exporter_for(config: dict[str, Any]) -> Any:
    """The SDK exporter for one `otel` entry `{url, headers?, authorization?, content_type?}`.

    Raises `EgressRefused` for a URL the egress policy refuses.
    """
    from opentelemetry.exporter.http.transport._requests import RequestsHTTPTransport

    url = check_url(str(config.get("url") or ""))
    headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}
    if config.get("authorization"):
        headers["authorization"] = str(config["authorization"])
    transport = RequestsHTTPTransport(session=_pinned_session())
    if config.get("content_type") == "protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as ProtobufExporter,
        )
        return ProtobufExporter(endpoint=url, headers=headers, timeout=EXPORT_TIMEOUT_SECONDS,
                                _transport=transport)
    from opentelemetry.exporter.otlp.json.http.trace_exporter import (
        OTLPSpanExporter as JsonExporter,
    )
    return JsonExporter(endpoint=url, headers=headers, timeout=EXPORT_TIMEOUT_SECONDS,
                        _transport=transport)


def export_gateway(exporters: Iterable[dict[str, Any]],
                   records: list[dict[str, Any]]) -> ExportOutcome:
    """Send the records' spans to each exporter; failures are collected, never raised."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import SpanExportResult

    outcome = ExportOutcome()
    resource = Resource.create({"service.name": "aigw"})
    spans = [to_span(r, resource) for r in records]
    for config in exporters:
        host = str(config.get("url") or "").split("//", 1)[-1].split("/", 1)[0].split("@")[-1]
        try:
            exporter = exporter_for(config)
        except EgressRefused:
            outcome.failed.append(host)
            continue
        try:
            ok = exporter.export(spans) == SpanExportResult.SUCCESS
        finally:
            exporter.shutdown()
        if ok:
            outcome.spans += len(spans)
        else:
            outcome.failed.append(host)
    return outcome


def export(records: list[dict[str, Any]],
           gateways: dict[tuple[str, str], dict[str, Any]]) -> ExportOutcome:
    """The ingest function's entry: records grouped by (account, gateway), each group sent to
    that gateway's `otel` exporters. Raises `ExportFailed` (after trying every exporter) when
    any exporter failed, so the batch's statistics count it."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        key = (str(record.get("account_id")), str(record.get("gateway_id")))
        groups.setdefault(key, []).append(record)
    total = ExportOutcome()
    for key, group in groups.items():
        exporters = (gateways.get(key) or {}).get("otel") or []
        if not exporters:
            continue
        outcome = export_gateway(exporters, group)
        total.spans += outcome.spans
        total.failed += outcome.failed
    if total.failed:
        logger.warning("OpenTelemetry export failed for %s", ", ".join(total.failed))
        raise ExportFailed(f"{len(total.failed)} exporter(s) failed")
    return total
