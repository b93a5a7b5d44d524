"""Per-request identity and the guaranteed log record, as a pure ASGI middleware.

Every answer — success, upstream error, gateway error, unknown route — gets `cf-aig-log-id` (a
time-sortable id) and `cf-aig-event-id` (the client's, else the log id), and exactly one log
record. The policy stage emits it (`finish_record`) as the last step of its finish, before the
response's last byte (Lambda may freeze the process once the response has ended); for answers
that never reach the stage (errors raised before or outside it, unknown routes, a client that
hung up) this middleware emits it before the last body message, or when the app returns. The
heads of both bodies, the time to the first body byte and the user agent are taken here, for
every surface.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from aigw.ids import now_iso, time_sortable_id
from aigw.log_context import bind_log_id
from aigw.logs import HEAD_LIMIT, BodyCapture, LogRecord, emit
from aigw.metrics import publish as publish_metrics

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
STATE_KEY = "aigw_log"
#: Start times of requests whose record is not emitted yet, by record id.
_open: dict[str, float] = {}


def finish_record(record: LogRecord, tail: bytes = b"") -> None:
    """Emit `record` once: the duration so far, then the line (if the gateway collects logs).
    `tail` is a last body chunk the stage still holds, added to the captured response head.
    Later calls for the same record do nothing."""
    started = _open.pop(record.id, None)
    if started is None:
        return
    record.duration = int((time.perf_counter() - started) * 1000)
    if tail:
        if record.response_body is not None:
            record.response_body.add(tail)
        if record.time_to_first_byte is None:
            record.time_to_first_byte = record.duration  # the tail is the first byte out
    # Metrics count every request, collected or not; they never fail the request.
    try:
        publish_metrics(record)
    except Exception:  # noqa: BLE001 - metrics are an observer of the request
        logging.getLogger("aigw").exception("metrics not published")
    if record.collect:
        emit(record)


def record_of(scope: MutableMapping[str, Any]) -> LogRecord:
    return scope["state"][STATE_KEY]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") == "/healthz":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        event_id = user_agent = trace_id = parent_span_id = None
        payload = True
        for name, value in scope.get("headers", ()):
            if name == b"cf-aig-event-id":
                event_id = value.decode("latin-1")[:256]
            elif name == b"user-agent":
                user_agent = value.decode("latin-1")[:512]
            elif name == b"cf-aig-collect-log-payload":
                payload = value.strip().lower() != b"false"
            elif name == b"cf-aig-otel-trace-id":
                trace_id = _hex_id(value, 32)
            elif name == b"cf-aig-otel-parent-span-id":
                parent_span_id = _hex_id(value, 16)
        record = LogRecord(id=time_sortable_id(), created_at=now_iso(), path=scope.get("path"),
                           method=scope.get("method"), event_id=event_id, user_agent=user_agent)
        bind_log_id(record.id)
        # The client's trace context for the OpenTelemetry span (a parent needs its trace).
        record.otel_trace_id = trace_id
        record.otel_parent_span_id = parent_span_id if trace_id else None
        scope.setdefault("state", {})[STATE_KEY] = record
        _open[record.id] = started
        # Heads are only kept when the record may keep them (cf-aig-collect-log-payload); sizes
        # always are.
        request_body = record.request_body = BodyCapture(HEAD_LIMIT if payload else 0)
        response_body = record.response_body = BodyCapture(HEAD_LIMIT if payload else 0)

        async def receive_captured() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request" and request_body is not None:
                request_body.add(message.get("body", b""))
            return message

        extra = [(b"cf-aig-log-id", record.id.encode()),
                 (b"cf-aig-event-id", (event_id or record.id).encode("latin-1"))]

        async def send_with_ids(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                record.status_code = message["status"]
                record.success = 200 <= message["status"] < 400
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-type":
                        record.response_content_type = value.decode("latin-1")
                step = [] if record.step is None else [(b"cf-aig-step", str(record.step).encode())]
                message["headers"] = [*message.get("headers", ()), *extra, *step]
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if chunk and record.time_to_first_byte is None:
                    record.time_to_first_byte = int((time.perf_counter() - started) * 1000)
                if response_body is not None and record.id in _open:
                    response_body.add(chunk)  # (the stage adds a tail it emits before)
                if not message.get("more_body"):
                    finish_record(record)  # before the last byte: Lambda may freeze after it
            await send(message)

        try:
            await self.app(scope, receive_captured, send_with_ids)
        except BaseException:
            record.success = False  # the app failed mid-response
            raise
        finally:
            # The client hung up before the last body message (often right after reading a
            # complete stream) or the app failed: still exactly one record. Success stays
            # what the status said unless the pipeline marked a mid-stream failure.
            finish_record(record)


def _hex_id(value: bytes, length: int) -> str | None:
    """A W3C trace-context id (`length` lower-case hex digits, not all zero), else None."""
    text = value.strip().decode("latin-1").lower()
    if len(text) != length or text.strip("0") == "" or text.strip("0123456789abcdef"):
        return None
    return text
