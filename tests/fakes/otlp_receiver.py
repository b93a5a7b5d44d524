"""A local OTLP/HTTP trace receiver that decodes what it gets, as a collector would.

`application/x-protobuf` bodies are parsed with opentelemetry-proto's
`ExportTraceServiceRequest`; `application/json` bodies as OTLP/JSON (hex ids, `{key, value:
{stringValue|intValue|doubleValue|boolValue}}` attributes). Either way each span is kept as
`ReceivedSpan`, with the request's headers, so tests compare what arrived, not what was meant.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    status_code: int
    attributes: dict[str, Any]
    content_type: str
    headers: dict[str, str]


def _any_value(value: dict[str, Any]) -> Any:
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return int(value["intValue"])
    if "arrayValue" in value:
        return [_any_value(v) for v in value["arrayValue"].get("values", [])]
    return None


def _from_json(body: bytes, content_type: str, headers: dict[str, str]) -> list[ReceivedSpan]:
    data = json.loads(body)
    out = []
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                out.append(ReceivedSpan(
                    span["name"], span["traceId"], span["spanId"],
                    span.get("parentSpanId", ""), int(span.get("kind", 0)),
                    int((span.get("status") or {}).get("code", 0)),
                    {a["key"]: _any_value(a["value"]) for a in span.get("attributes", [])},
                    content_type, headers))
    return out


def _from_protobuf(body: bytes, content_type: str,
                   headers: dict[str, str]) -> list[ReceivedSpan]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    def value(v: Any) -> Any:
        kind = v.WhichOneof("value")
        if kind == "array_value":
            return [value(x) for x in v.array_value.values]
        return getattr(v, kind) if kind else None

    request = ExportTraceServiceRequest.FromString(body)
    return [ReceivedSpan(span.name, span.trace_id.hex(), span.span_id.hex(),
                         span.parent_span_id.hex(), span.kind, span.status.code,
                         {a.key: value(a.value) for a in span.attributes}, content_type, headers)
            for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


@dataclass
class OtlpReceiver:
    """`with OtlpReceiver() as r:` serves `r.url` (…/v1/traces) on 127.0.0.1."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    #: Status answered to each export (tests set 500 to see a failure counted).
    status: int = 200

    def __enter__(self) -> OtlpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                content_type = self.headers.get("content-type") or ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path != "/v1/traces":
                    self.send_response(404)
                elif "protobuf" in content_type:
                    receiver.spans += _from_protobuf(body, content_type, headers)
                    self.send_response(receiver.status)
                elif "json" in content_type:
                    receiver.spans += _from_json(body, content_type, headers)
                    self.send_response(receiver.status)
                else:
                    self.send_response(415)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1/traces"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
