"""The egress policy on real connections: nothing reaches a loopback canary through a custom
provider, DNS answers are checked at connect time, and closed, silent and non-TLS ports all fail
with the same answer."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.fakes.canary import Canary, closed_port
from tests.functional.inference_support import api, assert_gateway_error, gw_path

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def custom(management, account, admin_headers, gateway) -> str:
    made = management.post(api(account, "/custom-providers"),
                           json={"name": "Mine", "slug": "mine", "enable": True,
                                 "base_url": "https://llm.example.com/v1"},
                           headers=admin_headers)
    assert made.status_code == 200, made.text
    return "custom-mine"


@pytest.fixture
def canary() -> Iterator[Canary]:
    c = Canary("http").start()
    yield c
    c.stop()


def call(inference, account: str, provider: str):  # noqa: ANN201
    return inference.post(gw_path(account, provider, "/chat/completions"), json=CHAT,
                          headers={"authorization": "Bearer sk-client"}, follow_redirects=False)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "0x7f.1",
                                  "2130706433", "127.1"])
def test_loopback_destinations_never_reach_the_canary(inference, gateway_env, account, custom,
                                                      canary, host):
    gateway_env.set("AIGW_UPSTREAM_CUSTOM_MINE", f"https://{host}:{canary.port}/v1")
    resp = call(inference, account, custom)
    assert_gateway_error(resp, 502, 2005)
    assert resp.headers["cf-aig-log-id"]
    assert canary.connections == 0


def test_a_name_that_rebinds_to_loopback_is_refused_at_connect_time(
        inference, gateway_env, account, custom, canary, monkeypatch):
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        return real("127.0.0.1" if host == "rebind.example.com" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    gateway_env.set("AIGW_UPSTREAM_CUSTOM_MINE", f"https://rebind.example.com:{canary.port}/v1")
    assert_gateway_error(call(inference, account, custom), 502, 2005)
    assert canary.connections == 0


def test_closed_silent_and_non_tls_ports_are_indistinguishable(inference, gateway_env, account,
                                                              custom):
    """With private addresses allowed (so connections are really attempted), the answers for a
    closed port, a port that never answers and a port that speaks plain HTTP are the same."""
    gateway_env.set("AIGW_EGRESS_ALLOW_PRIVATE", "true")
    gateway_env.set("AIGW_CONNECT_TIMEOUT_SECONDS", "0.5")
    silent, plain = Canary("silent").start(), Canary("http").start()
    try:
        answers = []
        for port in (closed_port(), silent.port, plain.port):
            gateway_env.set("AIGW_UPSTREAM_CUSTOM_MINE", f"https://127.0.0.1:{port}/v1")
            resp = call(inference, account, custom)
            message = resp.json()["error"][0]["message"].replace(str(port), "PORT")
            answers.append((resp.status_code, message))
        assert silent.connections == 1 and plain.connections == 1
    finally:
        silent.stop()
        plain.stop()
    assert len(set(answers)) == 1, answers
    assert answers[0] == (502, "could not reach upstream 127.0.0.1:PORT")


def test_redirects_are_not_followed(inference, gateway_env, account, custom, canary):
    from fastapi import FastAPI
    from fastapi.responses import RedirectResponse

    from tests.fakes.upstream_server import serve_in_thread

    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def moved() -> RedirectResponse:
        return RedirectResponse(f"http://127.0.0.1:{canary.port}/stolen", status_code=307)

    server = serve_in_thread(app)
    try:
        gateway_env.set("AIGW_EGRESS_ALLOW_PRIVATE", "true")
        gateway_env.set("AIGW_UPSTREAM_CUSTOM_MINE", f"{server.base_url}/v1")
        resp = call(inference, account, custom)
    finally:
        server.stop()
    assert resp.status_code == 307, resp.text
    assert canary.connections == 0


@pytest.mark.parametrize("base_url", ["https://localhost/v1", "https://[::1]/v1",
                                      "https://[::ffff:127.0.0.1]/v1", "https://0x7f.1/v1",
                                      "https://169.254.169.254/v1", "http://llm.example.com"])
def test_saving_a_non_public_base_url_is_refused(management, account, admin_headers, base_url):
    resp = management.post(api(account, "/custom-providers"),
                           json={"name": "x", "slug": "x", "base_url": base_url},
                           headers=admin_headers)
    assert resp.status_code == 400, resp.text
    assert resp.json()["errors"][0]["path"] == ["base_url"]
