"""Helpers for the inference functional tests: gateways and stored keys through the management
API, the data-plane error envelope, and a tap that shows exactly what a fake upstream answered."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.fakes.upstream_server import serve_in_thread
from tests.fakes.upstreams.common import FakeUpstream
from tests.functional.test_management_gateways import BODY as GATEWAY_BODY

GATEWAY = "gw"
#: The gateway settings every test starts from: no auth, no retries (tests opt in).
PLAIN_GATEWAY = {**GATEWAY_BODY, "id": GATEWAY, "cache_ttl": 0, "rate_limiting_interval": 0,
                 "rate_limiting_limit": 0}


def api(account: str, rest: str) -> str:
    return f"/client/v4/accounts/{account}/ai-gateway{rest}"


def gw_path(account: str, provider: str, rest: str = "", gateway: str = GATEWAY) -> str:
    """`/v1/{account}/{gateway}/{provider}{rest}` (rest starts with `/` or `?`, or is empty)."""
    return f"/v1/{account}/{gateway}/{provider}{rest}"


def make_gateway(management: TestClient, account: str, admin: dict[str, str],
                 **settings: Any) -> dict[str, Any]:
    resp = management.post(api(account, "/gateways"), json={**PLAIN_GATEWAY, **settings},
                           headers=admin)
    assert resp.status_code == 200, resp.text
    return resp.json()["result"]


def store_key(management: TestClient, account: str, admin: dict[str, str], provider: str,
              secret: str, alias: str = "default", gateway: str = GATEWAY) -> dict[str, Any]:
    resp = management.post(api(account, f"/gateways/{gateway}/provider_configs"),
                           json={"provider_slug": provider, "alias": alias, "secret": secret,
                                 "default_config": alias == "default"}, headers=admin)
    assert resp.status_code == 200, resp.text
    return resp.json()["result"]


def assert_gateway_error(resp: Any, status: int, code: int | None = None) -> str:
    """The data-plane envelope (spec section 5); returns the message."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"success", "result", "messages", "error", "name", "httpCode",
                         "internalCode"}, body
    assert body["success"] is False and body["result"] == [] and body["messages"] == []
    assert body["name"] == "AiGatewayError" and body["httpCode"] == status, body
    assert body["internalCode"] == body["error"][0]["code"], body
    assert len(body["error"]) == 1 and body["error"][0]["message"], body
    if code is not None:
        assert body["error"][0]["code"] == code, body
    return str(body["error"][0]["message"])


# ---------------------------------------------------------------- what the upstream answered


@dataclass
class Tapped:
    """One response an upstream sent, as its app produced it (before the gateway)."""

    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    #: Set once the upstream app has sent its last body byte.
    finished: threading.Event = field(default_factory=threading.Event)


@dataclass
class Tap:
    """The responses of one fake, one `Tapped` per request in arrival order. A request still
    running from an earlier test writes to its own `Tapped`, never to this test's."""

    responses: list[Tapped] = field(default_factory=list)

    @property
    def last(self) -> Tapped:
        assert self.responses, "the fake upstream answered no request"
        return self.responses[-1]

    def clear(self) -> None:
        self.responses = []


class TapMiddleware:
    def __init__(self, app: ASGIApp, tap: Tap) -> None:
        self.app, self.tap = app, tap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tapped = Tapped()
        self.tap.responses.append(tapped)

        async def tapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                tapped.status = message["status"]
                tapped.headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                                  for k, v in message.get("headers", ())]
            elif message["type"] == "http.response.body":
                tapped.body += message.get("body", b"")
                if not message.get("more_body"):
                    tapped.finished.set()
            await send(message)

        await self.app(scope, receive, tapped_send)


def start_tapped(fake: FakeUpstream) -> Tap:
    """Serve `fake` behind a tap (instead of `fake.start()`); `with fake:` still stops it."""
    tap = Tap()
    fake.server = serve_in_thread(TapMiddleware(fake.app, tap))
    return tap


def assert_relayed(resp: Any, tap: Tap) -> None:
    """The client got the upstream's last status, headers and body bytes unchanged."""
    sent = tap.last
    assert resp.status_code == sent.status, resp.text
    assert resp.content == sent.body
    framing = {"content-length", "transfer-encoding"}
    for name, value in sent.headers:
        if name not in framing:
            assert resp.headers.get(name) == value, (name, value, dict(resp.headers))


# ---------------------------------------------------------------- the app under a real server


def raw_request(base_url: str, method: str, target: str, **kwargs: Any) -> Any:
    """Send `target` byte for byte (httpx would normalise `..` and friends in a URL)."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=30) as client:
        request = client.build_request(method, "/", **kwargs)
        request.extensions["target"] = target.encode("latin-1")
        return client.send(request)
