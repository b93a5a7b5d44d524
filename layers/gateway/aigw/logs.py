"""The request log record: one structured JSON line on stdout per answered request.

Logs leave the request path this way (CloudWatch Logs picks stdout up; a subscription function
batches them into the logs table). The line is written after the last response byte was handed
to the server, so the client never waits on it. Records hold no credentials: only fields set
explicitly below, never request headers.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class LogRecord:
    id: str
    created_at: str
    account_id: str | None = None
    gateway_id: str | None = None
    provider: str | None = None
    model: str | None = None
    model_type: str | None = None
    path: str | None = None
    method: str | None = None
    success: bool = False
    cached: bool = False
    status_code: int = 0
    duration: int = 0
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: float | None = None
    custom_cost: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    step: int | None = None
    request_content_type: str | None = None
    response_content_type: str | None = None
    error_code: int | None = None
    #: False when the client asked for a metadata-only log (`cf-aig-collect-log-payload`).
    payload: bool = True
    #: Whether the gateway (or `cf-aig-collect-log`) wants this record stored.
    collect: bool = True


def emit(record: LogRecord, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    # vars() rather than dataclasses.asdict: the record is flat, and asdict's deep copy was a
    # measurable share of the per-request cost.
    stream.write(json.dumps({"aigw_log": vars(record)}, separators=(",", ":")) + "\n")
    stream.flush()
