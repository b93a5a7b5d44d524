"""Helpers for the stored-logs tests: records as the data plane writes them, ingested into moto,
and the official `cloudflare` SDK talking to the in-process management app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cloudflare import Cloudflare
from fastapi.testclient import TestClient

from aigw.ids import id_floor
from aigw.logs import BodyCapture, LogRecord, log_line
from tests.conftest import ADMIN_TOKEN

T0 = datetime(2026, 11, 1, 10, 0, 0, tzinfo=UTC)


class _InProcess(httpx.BaseTransport):
    """An httpx transport that hands each request to the app through Starlette's TestClient
    (which speaks httpx2, the SDK httpx): the SDK's bytes in, the app's bytes out."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.client.request(request.method, str(request.url),
                                     headers=list(request.headers.multi_items()),
                                     content=request.read())
        return httpx.Response(answer.status_code, headers=list(answer.headers.multi_items()),
                              content=answer.content)


def sdk(management: TestClient) -> Cloudflare:
    """The unmodified SDK, its requests served by the in-process management app."""
    return Cloudflare(api_token=ADMIN_TOKEN, base_url="http://testserver/client/v4",
                      http_client=httpx.Client(transport=_InProcess(management)), max_retries=0)


def record(account: str, at: datetime, n: int = 0, gateway: str = "gw",
           request: bytes | None = b'{"model":"m"}', response: bytes | None = b'{"ok":true}',
           **fields: Any) -> LogRecord:
    """A record made at `at` (its id sorts by that time), with the given bodies and fields."""
    ms = int(at.timestamp() * 1000)
    log_id = id_floor(ms)[:22] + f"{n:04d}"
    r = LogRecord(id=log_id, created_at=at.isoformat().replace("+00:00", "Z"),
                  account_id=account, gateway_id=gateway, path=f"/v1/{account}/{gateway}/x",
                  method="POST", status_code=200, success=True)
    for name, value in fields.items():
        setattr(r, name, value)
    if request is not None:
        r.request_body = BodyCapture()
        r.request_body.add(request)
    if response is not None:
        r.response_body = BodyCapture()
        r.response_body.add(response)
    return r


def lines(*records: LogRecord) -> list[str]:
    return [log_line(r) for r in records]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
