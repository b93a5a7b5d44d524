"""One local gateway and every fake upstream, started once, for the compat SDK suite.

`compat` (session) starts the fakes of every provider compat serves, one gateway subprocess
pointed at all of them, and, through the management API, two gateways in one account:

    OPEN    authentication off, no stored keys: the SDK's `api_key` is the provider key
    LOCKED  authentication on, a stored key for every provider: the SDK's `api_key` is a run
            token (`aigw_...`), which authenticates to the gateway and selects stored keys

`client_for(case)` gives the official `openai` client a provider is driven with: its own key on
OPEN where the provider takes one as a Bearer, otherwise the run token on LOCKED (Vertex needs a
stored service account, which names the project; Bedrock needs stored credentials to sign).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from openai import OpenAI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.e2e.compat.cases import CASES, VERTEX, ChatCase
from tests.e2e.conftest import StartGateway
from tests.fakes import credentials
from tests.fakes.local_server import LocalGateway
from tests.fakes.upstream_server import RecordedRequest
from tests.fakes.upstreams import (
    anthropic,
    bedrock,
    cohere,
    google_ai_studio,
    google_vertex,
    workers_ai,
)
from tests.fakes.upstreams import openai as openai_fake
from tests.fakes.upstreams.common import FakeUpstream, sse

OPEN, LOCKED = "compat-open", "compat-locked"
REQUIRED = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
            "rate_limiting_interval": 0, "rate_limiting_limit": 0}


@dataclass
class ErrorEventKnob:
    """With `after` set, the Anthropic fake's responses stop after that many body messages and
    an Anthropic `error` event ends them, as the API does when it overloads mid-stream."""

    after: int | None = None


class AnthropicErrorEvent:
    """ASGI middleware on the Anthropic fake, driven by an `ErrorEventKnob`."""

    def __init__(self, app: ASGIApp, knob: ErrorEventKnob) -> None:
        self.app, self.knob = app, knob

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        after = self.knob.after
        if scope["type"] != "http" or after is None:
            await self.app(scope, receive, send)
            return
        sent = 0

        async def cut(message: Message) -> None:
            nonlocal sent
            if message["type"] == "http.response.body":
                sent += 1
                if sent == after + 1:
                    error = {"type": "error", "error": {"type": "overloaded_error",
                                                        "message": "Overloaded"}}
                    message = {"type": "http.response.body", "more_body": False,
                               "body": sse(error, event="error")}
                elif sent > after + 1:
                    return  # the response already ended with the error event
            await send(message)

        await self.app(scope, receive, cut)


@dataclass
class CompatStack:
    gateway: LocalGateway
    fakes: dict[str, FakeUpstream]
    account: str
    run_token: str
    anthropic_errors: ErrorEventKnob
    clients: dict[str, OpenAI] = field(default_factory=dict)

    def compat_url(self, gateway_id: str) -> str:
        return f"{self.gateway.base_url}/v1/{self.account}/{gateway_id}/compat"

    def client(self, gateway_id: str, api_key: str, **options: Any) -> OpenAI:
        return OpenAI(base_url=self.compat_url(gateway_id), api_key=api_key, max_retries=0,
                      timeout=30, **options)

    def auth_for(self, case: ChatCase) -> tuple[str, str]:
        """(gateway, the SDK's api_key) a provider is driven with by default."""
        return (OPEN, case.key) if case.key else (LOCKED, self.run_token)

    def client_for(self, case: ChatCase) -> OpenAI:
        if case.slug not in self.clients:
            self.clients[case.slug] = self.client(*self.auth_for(case))
        return self.clients[case.slug]

    def raw_stream(self, case: ChatCase, body: dict[str, Any]) -> list[str]:
        """The `data:` payloads of a streamed chat call, read with plain httpx (no SDK)."""
        gateway_id, key = self.auth_for(case)
        with httpx.stream("POST", f"{self.compat_url(gateway_id)}/chat/completions",
                          json={"model": case.ref, "stream": True, **body}, timeout=30,
                          headers={"authorization": f"Bearer {key}"}) as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            lines: list[str] = []
            try:
                for line in resp.iter_lines():
                    lines.append(line)
            except httpx.RemoteProtocolError:  # a relayed body may end as abruptly as upstream's
                pass
        return [line[len("data: "):] for line in lines if line.startswith("data: ")]

    def upstream(self, slug: str) -> list[RecordedRequest]:
        """What the gateway sent `slug`'s fake in this test (OAuth token calls left out)."""
        return [r for r in self.fakes[slug].recorder.requests if r.path != "/token"]

    def last_body(self, slug: str) -> dict[str, Any]:
        sent = self.upstream(slug)
        assert sent, f"nothing reached the {slug} fake"
        return sent[-1].json()  # type: ignore[no-any-return]

    def log_record(self, log_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The gateway's stdout record for `log_id` (written just after the response ends)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.gateway.output().splitlines():
                if line.startswith('{"aigw_log"') and log_id in line:
                    record = json.loads(line)["aigw_log"]
                    if record["id"] == log_id:
                        return record  # type: ignore[no-any-return]
            if time.monotonic() > deadline:
                raise AssertionError(f"no log record {log_id} in the gateway output")
            time.sleep(0.05)


def _stored_secret(slug: str, fakes: dict[str, FakeUpstream]) -> str:
    if slug == "google-vertex-ai":
        vertex = fakes[slug]
        assert isinstance(vertex, google_vertex.VertexFake)
        return json.dumps(vertex.service_account())
    if slug == "aws-bedrock":
        return json.dumps({"accessKeyId": credentials.AWS_ACCESS_KEY_ID,
                           "secretAccessKey": credentials.AWS_SECRET_ACCESS_KEY,
                           "region": credentials.AWS_REGION})
    return next(str(c.key) for c in CASES if c.slug == slug)


def _manage(gateway: LocalGateway, account: str) -> httpx.Client:
    return httpx.Client(base_url=f"{gateway.base_url}/client/v4/accounts/{account}/ai-gateway",
                        headers={"authorization": f"Bearer {gateway.admin_token}"}, timeout=30)


def _configure(gateway: LocalGateway, account: str, fakes: dict[str, FakeUpstream]) -> str:
    with _manage(gateway, account) as api:
        for gateway_id, locked in ((OPEN, False), (LOCKED, True)):
            made = api.post("/gateways", json={"id": gateway_id, "authentication": locked,
                                               **REQUIRED})
            assert made.status_code == 200, made.text
        for slug in fakes:
            stored = api.post(f"/gateways/{LOCKED}/provider_configs", json={
                "provider_slug": slug, "alias": "default", "default_config": True,
                "secret": _stored_secret(slug, fakes)})
            assert stored.status_code == 200, stored.text
        token = api.post("/tokens", json={"name": "compat-e2e", "gateways": [LOCKED],
                                          "permissions": ["run"]})
        assert token.status_code == 200, token.text
        return str(token.json()["result"]["value"])


@pytest.fixture(scope="session")
def compat(start_gateway: StartGateway) -> Iterator[CompatStack]:
    fakes: dict[str, FakeUpstream] = {
        "anthropic": anthropic.create(), "google-ai-studio": google_ai_studio.create(),
        "google-vertex-ai": google_vertex.create(), "aws-bedrock": bedrock.create(),
        "cohere": cohere.create(), "openai": openai_fake.create("openai"),
        "workers-ai": workers_ai.create()}
    errors = ErrorEventKnob()
    fakes["anthropic"].app.add_middleware(AnthropicErrorEvent, knob=errors)
    for fake in fakes.values():
        fake.start()
    try:
        vertex = fakes["google-vertex-ai"]
        assert isinstance(vertex, google_vertex.VertexFake)
        env = dict([fake.env() for fake in fakes.values()])
        env["AIGW_UPSTREAM_GOOGLE_OAUTH"] = vertex.token_uri
        gateway = start_gateway(env)
        account = f"compat{int(time.time() * 1000)}"
        stack = CompatStack(gateway, fakes, account, _configure(gateway, account, fakes),
                            errors)
        # The gateway mints its Vertex token now and caches it, so a test's `fail_next`
        # answers the model call, not the token request.
        stack.client_for(VERTEX).chat.completions.create(
            model=VERTEX.ref, messages=[{"role": "user", "content": "warm up"}])
        yield stack
    finally:
        for fake in fakes.values():
            fake.stop()


@pytest.fixture(autouse=True)
def fresh_fakes(compat: CompatStack) -> Iterator[None]:
    """Each test sees only its own upstream requests and starts with the failure knobs off.
    (Vertex's minted tokens are kept: the gateway caches the one it holds.)"""
    for fake in compat.fakes.values():
        fake.recorder.clear()
        fake.control.reset()
    bedrock_fake = compat.fakes["aws-bedrock"]
    assert isinstance(bedrock_fake, bedrock.BedrockFake)
    bedrock_fake.stream_error_after = None
    compat.anthropic_errors.after = None
    yield
