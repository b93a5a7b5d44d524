"""One gateway subprocess in front of every fake upstream the official-SDK tests talk to.

`start_sdk_stack()` starts the OpenAI, Anthropic, Google AI Studio, Vertex and Bedrock fakes in
this process, one local gateway (`python -m aigw_local`) forwarding to all of them, and sets up,
through the management API, one account with an authenticated gateway, a `run` token and the
stored keys the tests use — among them a canary key that must never show up anywhere.

Everything that crosses the wire back to a client is kept so the leak test can search it:
`Exchanges` records each data-plane answer an SDK received (URL, status, headers, and the body
as the SDK read it, teed from its httpx stream; boto3's answers through its `after-call` event),
and `manage()` keeps every management API answer.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import httpx2

from tests.fakes import credentials
from tests.fakes.local_server import LocalGateway, start_local_gateway
from tests.fakes.upstreams import anthropic, bedrock, google_ai_studio, google_vertex, openai
from tests.fakes.upstreams.bedrock import BedrockFake
from tests.fakes.upstreams.common import FakeUpstream
from tests.fakes.upstreams.google_vertex import VertexFake

GATEWAY_ID = "sdk-e2e"
CANARY_ALIAS = "canary"
HTTP_TIMEOUT_S = 30.0


@dataclass
class Exchange:
    """One data-plane answer as a client received it."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)


class Exchanges:
    """What every SDK received; hooks for httpx/httpx2 clients and for boto3."""

    def __init__(self) -> None:
        self.items: list[Exchange] = []

    def httpx_hooks(self, module: ModuleType) -> dict[str, list[Any]]:
        """`event_hooks` for an `httpx` or `httpx2` client (the SDKs use one or the other)."""

        class Tee(module.SyncByteStream):  # type: ignore[name-defined, misc]
            def __init__(self, inner: Any, sink: bytearray) -> None:
                self.inner, self.sink = inner, sink

            def __iter__(self) -> Any:
                for chunk in self.inner:
                    self.sink.extend(chunk)
                    yield chunk

            def close(self) -> None:
                self.inner.close()

        def on_response(response: Any) -> None:
            exchange = Exchange(str(response.request.url), response.status_code,
                                {k.lower(): v for k, v in response.headers.items()})
            self.items.append(exchange)
            response.stream = Tee(response.stream, exchange.body)

        return {"response": [on_response]}

    def boto3_after_call(self, http_response: Any, model: Any, **_: Any) -> None:
        """botocore `after-call` handler; streamed bodies are left to the parser (see `saw`)."""
        exchange = Exchange(http_response.url, http_response.status_code,
                            {k.lower(): v for k, v in http_response.headers.items()})
        if not (model.has_streaming_output or model.has_event_stream_output):
            exchange.body.extend(http_response.content)
        self.items.append(exchange)

    def saw(self, value: Any) -> None:
        """Add what a boto3 stream decoded to the last exchange's body (its raw bytes are
        consumed by botocore's parser, so this is what the client received)."""
        self.items[-1].body.extend(json.dumps(value, default=_bytes_as_text).encode())


def _bytes_as_text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@dataclass
class SdkStack:
    gateway: LocalGateway
    account: str
    run_token: str
    canary: str
    openai: FakeUpstream
    anthropic: FakeUpstream
    google: FakeUpstream
    vertex: VertexFake
    bedrock: BedrockFake
    exchanges: Exchanges = field(default_factory=Exchanges)
    management_bodies: list[bytes] = field(default_factory=list)

    def url(self, provider: str) -> str:
        """The data-plane base URL an SDK is given for `provider`."""
        return f"{self.gateway.base_url}/v1/{self.account}/{GATEWAY_ID}/{provider}"

    @property
    def gateway_auth(self) -> dict[str, str]:
        return {"cf-aig-authorization": f"Bearer {self.run_token}"}

    def httpx2_client(self) -> httpx2.Client:
        """For the openai and anthropic SDKs."""
        return httpx2.Client(timeout=HTTP_TIMEOUT_S, event_hooks=self.exchanges.httpx_hooks(httpx2))

    def httpx_client(self) -> httpx.Client:
        """For google-genai."""
        return httpx.Client(timeout=HTTP_TIMEOUT_S, event_hooks=self.exchanges.httpx_hooks(httpx))

    def manage(self, method: str, path: str, body: Any = None) -> Any:
        """Call the management API as admin; returns `result`, keeps the raw answer."""
        url = f"{self.gateway.base_url}/client/v4/accounts/{self.account}/ai-gateway{path}"
        resp = httpx.request(method, url, json=body, timeout=HTTP_TIMEOUT_S,
                             headers={"Authorization": f"Bearer {self.gateway.admin_token}"})
        self.management_bodies.append(resp.content)
        assert resp.status_code == 200, resp.text
        return resp.json()["result"]

    def store_key(self, provider: str, secret: str, alias: str = "default") -> None:
        self.manage("POST", f"/gateways/{GATEWAY_ID}/provider_configs",
                    {"provider_slug": provider, "alias": alias, "secret": secret})

    @property
    def fakes(self) -> tuple[FakeUpstream, ...]:
        return self.openai, self.anthropic, self.google, self.vertex, self.bedrock

    def reset_fakes(self) -> None:
        for fake in self.fakes:
            fake.recorder.clear()
            fake.control.reset()
        # Not `fake.reset()`: that would also forget the Vertex tokens the gateway has cached.
        self.bedrock.stream_error_after = None

    def stop(self) -> None:
        self.gateway.stop()
        for fake in self.fakes:
            fake.stop()


def aws_credentials_json() -> str:
    return json.dumps({"accessKeyId": credentials.AWS_ACCESS_KEY_ID,
                       "secretAccessKey": credentials.AWS_SECRET_ACCESS_KEY,
                       "region": credentials.AWS_REGION})


def start_sdk_stack() -> SdkStack:
    fakes = [openai.create(), anthropic.create(), google_ai_studio.create(),
             google_vertex.create(), bedrock.create()]
    for fake in fakes:
        fake.start()
    vertex = fakes[3]
    assert isinstance(vertex, VertexFake) and isinstance(fakes[4], BedrockFake)
    env = dict(fake.env() for fake in fakes)
    env["AIGW_UPSTREAM_GOOGLE_OAUTH"] = vertex.token_uri
    try:
        gateway = start_local_gateway(env)
    except BaseException:
        for fake in fakes:
            fake.stop()
        raise
    stack = SdkStack(gateway, f"acct{uuid.uuid4().hex[:12]}", "", f"sk-canary-{uuid.uuid4().hex}",
                     *fakes)  # type: ignore[arg-type]
    try:
        _configure(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def _configure(stack: SdkStack) -> None:
    stack.manage("POST", "/gateways", {
        "id": GATEWAY_ID, "authentication": True, "cache_ttl": 0, "collect_logs": True,
        "cache_invalidate_on_update": False, "rate_limiting_interval": 0,
        "rate_limiting_limit": 0})
    token = stack.manage("POST", "/tokens", {"name": "sdk e2e", "gateways": [GATEWAY_ID],
                                             "permissions": ["run"]})
    stack.run_token = token["value"]
    stack.store_key("openai", credentials.OPENAI_KEY)
    stack.store_key("openai", stack.canary, alias=CANARY_ALIAS)
    stack.store_key("aws-bedrock", aws_credentials_json())
    stack.store_key("google-vertex-ai", json.dumps(stack.vertex.service_account()))
