"""The request log record: one structured JSON line on stdout per answered request.

Logs leave the request path this way: CloudWatch Logs picks stdout up and the ingest function,
subscribed to the data-plane log groups, batches the lines into the logs table (locally the same
ingest code runs in-process). No AWS call happens on the hot path.

A record holds no credentials: only the fields below, set explicitly, never request headers. The
request body of a universal request carries each step's provider headers, so their values are
masked before the body is kept (`redact_universal_body`).

Bodies: the first `HEAD_LIMIT` bytes of each body are kept as `*_head` (UTF-8 text, or base64
with `*_head_encoding: "base64"` when the bytes are not UTF-8), with the full byte count in
`*_size` and `*_head_complete: false` when the head is shorter than the body. The whole line is
kept under `LINE_LIMIT` bytes, below CloudWatch Logs' 256 KB event limit (the older, smaller of
the two limits AWS documents; Lambda splits longer lines), by shortening heads further — and
saying so — never by dropping the line.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from aigw.json_input import parse_json

#: Bytes of each body kept on the record.
HEAD_LIMIT = 96 * 1024
#: Upper bound of one stdout line, in bytes (CloudWatch Logs event limit 256 KB minus headroom).
LINE_LIMIT = 240 * 1024
#: The key that marks a stdout line as a log record (the subscription filter matches it).
LINE_KEY = "aigw_log"
MASK = "[redacted]"


@dataclass
class BodyCapture:
    """The head of a body as it passes (request chunks received, response chunks sent)."""

    limit: int = HEAD_LIMIT
    head: bytearray = field(default_factory=bytearray)
    size: int = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        room = self.limit - len(self.head)
        if room > 0 and chunk:
            self.head += chunk[:room]

    @property
    def complete(self) -> bool:
        return len(self.head) == self.size


@dataclass
class LogRecord:
    """One answered request. Field names follow the spec's log object (section 4, Logs API)."""

    id: str
    created_at: str
    account_id: str | None = None
    gateway_id: str | None = None
    provider: str | None = None
    model: str | None = None
    model_type: str | None = None
    path: str | None = None
    method: str | None = None
    #: "passthrough" | "universal" | "compat" (derived from the path when nothing set it).
    request_type: str | None = None
    success: bool = False
    cached: bool = False
    status_code: int = 0
    #: Milliseconds from the request's arrival to its last response byte.
    duration: int = 0
    #: Milliseconds from the request's arrival to its first response body byte.
    time_to_first_byte: int | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    #: Input tokens read from the provider's prompt cache (part of tokens_in).
    cached_tokens: int | None = None
    #: Input tokens written to the provider's prompt cache (Anthropic cache_creation).
    cache_write_tokens: int | None = None
    #: Reasoning / thinking tokens (part of tokens_out).
    reasoning_tokens: int | None = None
    #: USD; None when the price of the model is unknown.
    cost: float | None = None
    custom_cost: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    step: int | None = None
    request_content_type: str | None = None
    response_content_type: str | None = None
    #: The gateway's own error code (spec section 5) when the gateway refused or failed.
    error_code: int | None = None
    user_agent: str | None = None
    #: Whether the request presented a valid gateway token (`cf-aig-authorization`).
    authentication: bool = False
    #: aigw's "wholesale": the stack's own IAM role paid (Bedrock without a credential).
    wholesale: bool = False
    dlp_action: str | None = None
    #: Set later through the logs API (PATCH).
    feedback: int | None = None
    score: float | None = None
    #: The client's trace context (`cf-aig-otel-trace-id` / `-parent-span-id`), for OTel export.
    otel_trace_id: str | None = None
    otel_parent_span_id: str | None = None
    #: Dynamic routes: the route's name, its deployed version id, the element ids passed.
    route: str | None = None
    route_version: str | None = None
    route_path: list[str] | None = None
    #: False when the client asked for a metadata-only log (`cf-aig-collect-log-payload`).
    payload: bool = True
    #: Whether the gateway (or `cf-aig-collect-log`) wants this record stored.
    collect: bool = True
    request_body: BodyCapture | None = None
    response_body: BodyCapture | None = None


def request_type_of(path: str | None, method: str | None) -> str:
    """passthrough `/v1/{a}/{g}/{provider}/...`, universal `POST /v1/{a}/{g}`, compat."""
    parts = (path or "").strip("/").split("/")
    if len(parts) >= 4 and parts[3] == "compat":
        return "compat"
    if len(parts) == 3 and (method or "").upper() == "POST":
        return "universal"
    return "passthrough"


def redact_universal_body(body: bytes) -> bytes:
    """A universal request's steps with every `headers` value masked (they carry keys)."""
    try:
        steps = parse_json(body)
    except ValueError:
        return MASK.encode()  # unparseable: it may still hold a key, keep nothing
    if isinstance(steps, dict):
        steps = [steps]
    if not isinstance(steps, list):
        return MASK.encode()
    for step in steps:
        if isinstance(step, dict) and isinstance(step.get("headers"), dict):
            step["headers"] = {k: MASK for k in step["headers"]}
    return json.dumps(steps, separators=(",", ":")).encode()


def _head(capture: BodyCapture | None, redact: Callable[[bytes], bytes] | None,
          limit: int) -> dict[str, Any]:
    if capture is None:
        return {}
    raw = bytes(capture.head)
    if redact is not None and capture.complete:
        raw = redact(raw)
    elif redact is not None:
        raw = MASK.encode()  # a truncated universal body cannot be parsed to mask its keys
    complete = capture.complete and len(raw) <= limit
    raw = raw[:limit]
    try:
        text, encoding = raw.decode("utf-8"), None
    except UnicodeDecodeError:
        if not complete:
            # A cut through a multi-byte character: drop the partial character.
            text, encoding = raw.decode("utf-8", errors="ignore"), None
            if len(text.encode()) < len(raw) - 3:
                text, encoding = base64.b64encode(raw).decode(), "base64"
        else:
            text, encoding = base64.b64encode(raw).decode(), "base64"
    return {"head": text, "head_complete": complete, "size": capture.size,
            "head_encoding": encoding}


def record_dict(record: LogRecord, limit: int = HEAD_LIMIT) -> dict[str, Any]:
    """The record as the JSON object written on the line (bodies as heads, see module doc)."""
    out = {k: v for k, v in vars(record).items()
           if k not in ("request_body", "response_body", "collect")}
    if out["request_type"] is None:
        out["request_type"] = request_type_of(record.path, record.method)
    if record.payload:
        redact = redact_universal_body if out["request_type"] == "universal" else None
        for name, capture, scrub in (("request", record.request_body, redact),
                                     ("response", record.response_body, None)):
            for key, value in _head(capture, scrub, limit).items():
                out[f"{name}_{key}"] = value
    else:
        # Metadata-only logs still say how big the bodies were.
        for name, capture in (("request", record.request_body),
                              ("response", record.response_body)):
            if capture is not None:
                out[f"{name}_size"] = capture.size
    return out


def log_line(record: LogRecord) -> str:
    """The stdout line: `{"aigw_log": {...}}`, at most `LINE_LIMIT` bytes."""
    limit = HEAD_LIMIT
    while True:
        line = json.dumps({LINE_KEY: record_dict(record, limit)}, separators=(",", ":"),
                          ensure_ascii=False)
        if len(line.encode()) <= LINE_LIMIT or limit < 256:
            return line
        limit //= 2


#: Extra receivers of each line (local mode feeds the in-process ingest through this).
_sinks: list[Callable[[str], None]] = []


def add_sink(sink: Callable[[str], None]) -> None:
    """Also hand every emitted line to `sink` (must not block: it runs on the request path)."""
    if sink not in _sinks:
        _sinks.append(sink)


def remove_sink(sink: Callable[[str], None]) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


def emit(record: LogRecord, out: TextIO | None = None) -> None:
    """Write the record's line to stdout (and any sink); nothing here waits on AWS."""
    line = log_line(record)
    stream = out or sys.stdout
    stream.write(line + "\n")
    stream.flush()
    for sink in _sinks:
        sink(line)
