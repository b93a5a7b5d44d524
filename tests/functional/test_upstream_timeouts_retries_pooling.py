"""How the gateway treats its upstream: a first-byte timeout is 504 and an unreachable upstream
502, both in the Cloudflare envelope; retryable answers are retried as the request headers (or
else the gateway's settings) say, and the last answer passes through unchanged; connections
are pooled across requests."""

from __future__ import annotations

import pytest

from aigw.request_options import RetryPolicy
from tests.fakes import credentials as keys
from tests.fakes.upstream_server import free_port, serve_in_thread
from tests.functional.inference_support import assert_gateway_error, gw_path, make_gateway

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"authorization": f"Bearer {keys.OPENAI_KEY}"}
OVERLOADED = {"error": {"message": "The server is overloaded", "type": "server_error"}}


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float]]:
    """(attempt, seconds) for every wait the retry loop asks for."""
    asked: list[tuple[int, float]] = []
    original = RetryPolicy.delay_before

    def spy(self: RetryPolicy, attempt: int) -> float:
        asked.append((attempt, original(self, attempt)))
        return asked[-1][1]

    monkeypatch.setattr(RetryPolicy, "delay_before", spy)
    return asked


def chat(inference, account: str, headers: dict[str, str] | None = None):  # noqa: ANN201
    return inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={**AUTH, **(headers or {})})


def test_no_first_byte_within_the_request_timeout_is_504(inference, management, admin_headers,
                                                         account, oai):
    make_gateway(management, account, admin_headers)
    oai.control.delay_first_byte_s = 1.0

    resp = chat(inference, account, {"cf-aig-request-timeout": "200"})

    message = assert_gateway_error(resp, 504)
    assert "no response within 0.2 s" in message and "127.0.0.1" in message
    assert len(oai.recorder.requests) == 1


def test_unreachable_upstream_is_502(inference, management, admin_headers, gateway_env, account):
    make_gateway(management, account, admin_headers)
    gateway_env.set("AIGW_UPSTREAM_OPENAI", f"http://127.0.0.1:{free_port()}/v1")

    message = assert_gateway_error(chat(inference, account), 502)
    assert "could not reach upstream" in message


def test_request_headers_retry_a_503_until_success(inference, management, admin_headers,
                                                   account, oai, delays):
    make_gateway(management, account, admin_headers)
    oai.control.fail_next += [(503, OVERLOADED), (503, OVERLOADED)]

    resp = chat(inference, account, {"cf-aig-max-attempts": "3", "cf-aig-retry-delay": "20",
                                     "cf-aig-backoff": "exponential"})

    assert resp.status_code == 200, resp.text
    assert len(oai.recorder.requests) == 3
    assert delays == [(2, 0.02), (3, 0.04)]
    # Each attempt sends the same request.
    assert [r.json() for r in oai.recorder.requests] == [CHAT] * 3
    assert len({tuple(sorted(r.headers.items())) for r in oai.recorder.requests}) == 1


def test_last_retryable_answer_passes_through_unchanged(inference, management, admin_headers,
                                                       account, oai, delays):
    make_gateway(management, account, admin_headers)
    oai.control.fail_next += [(503, OVERLOADED), (503, {"error": {"message": "still"}})]

    resp = chat(inference, account, {"cf-aig-max-attempts": "2", "cf-aig-retry-delay": "0"})

    assert resp.status_code == 503 and resp.json() == {"error": {"message": "still"}}
    assert len(oai.recorder.requests) == 2


def test_non_retryable_answers_are_not_retried(inference, management, admin_headers, account,
                                               oai):
    make_gateway(management, account, admin_headers)
    oai.control.fail_next.append((400, {"error": {"message": "bad"}}))

    resp = chat(inference, account, {"cf-aig-max-attempts": "5"})

    assert resp.status_code == 400 and resp.json() == {"error": {"message": "bad"}}
    assert len(oai.recorder.requests) == 1


def test_gateway_retry_settings_apply_without_headers(inference, management, admin_headers,
                                                      account, oai, delays):
    make_gateway(management, account, admin_headers, retry_max_attempts=3, retry_delay=10,
                 retry_backoff="linear")
    oai.control.fail_next += [(503, OVERLOADED), (429, OVERLOADED)]

    resp = chat(inference, account)

    assert resp.status_code == 200, resp.text
    assert len(oai.recorder.requests) == 3
    assert delays == [(2, 0.01), (3, 0.02)]


def test_request_headers_override_gateway_retry_settings(inference, management, admin_headers,
                                                         account, oai, delays):
    make_gateway(management, account, admin_headers, retry_max_attempts=3, retry_delay=10)
    oai.control.fail_next += [(503, OVERLOADED), (503, OVERLOADED)]

    resp = chat(inference, account, {"cf-aig-max-attempts": "1"})

    assert resp.status_code == 503 and resp.json() == OVERLOADED
    assert len(oai.recorder.requests) == 1 and delays == []


def test_timeouts_are_retried_then_reported(inference, management, admin_headers, account,
                                            oai, delays):
    make_gateway(management, account, admin_headers)
    oai.control.delay_first_byte_s = 1.0

    resp = chat(inference, account, {"cf-aig-request-timeout": "100", "cf-aig-max-attempts": "2",
                                     "cf-aig-retry-delay": "0"})

    assert_gateway_error(resp, 504)
    assert len(oai.recorder.requests) == 2 and delays == [(2, 0.0)]


def test_sequential_requests_reuse_pooled_connections(inference, management, admin_headers,
                                                      gateway_env, account):
    make_gateway(management, account, admin_headers)
    ports: list[int] = []

    async def app(scope, receive, send):  # noqa: ANN001 - a bare ASGI app
        ports.append(scope["client"][1])
        await receive()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"ok":true}'})

    server = serve_in_thread(app)
    try:
        gateway_env.set("AIGW_UPSTREAM_OPENAI", server.base_url + "/v1")
        for _ in range(25):
            assert chat(inference, account).status_code == 200
    finally:
        server.stop()

    assert len(ports) == 25
    assert len(set(ports)) <= 2, sorted(set(ports))
