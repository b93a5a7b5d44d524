"""No 500s: each case the hardening issue listed gets its own 4xx/5xx in the surface's shape,
with `cf-aig-log-id`, one log record carrying the real status, and no traceback."""

from __future__ import annotations

import json

import pytest

from aigw.config import get_settings
from aigw.stores import aws
from aigw.stores.provider_keys import secret_name
from tests.fakes import credentials as keys
from tests.fakes.canary import Blackhole, raw_http_server
from tests.functional.inference_support import (
    api,
    assert_gateway_error,
    gw_path,
    make_gateway,
    store_key,
)
from tests.functional.test_management_gateways import assert_envelope_error

DEEP = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"authorization": f"Bearer {keys.OPENAI_KEY}"}


def log_records(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return [json.loads(line)["aigw_log"] for line in out.out.splitlines() if '"aigw_log"' in line]


def one_record(capsys: pytest.CaptureFixture[str], resp) -> dict:  # noqa: ANN001
    records = log_records(capsys)
    assert len(records) == 1, records
    assert records[0]["status_code"] == resp.status_code
    assert resp.headers["cf-aig-log-id"] == records[0]["id"]
    return records[0]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_deeply_nested_json_on_universal_and_compat(inference, compat, account, gateway, oai,
                                                    capsys, body):
    capsys.readouterr()
    resp = inference.post(f"/v1/{account}/gw", content=body,
                          headers={"content-type": "application/json"})
    assert_gateway_error(resp, 400)
    one_record(capsys, resp)
    for path in ("/chat/completions", "/embeddings"):
        resp = compat.post(f"/v1/{account}/gw/compat{path}", content=body,
                           headers={"content-type": "application/json", **AUTH})
        assert resp.status_code == 400 and resp.json()["error"]["type"] == \
            "invalid_request_error", resp.text
        one_record(capsys, resp)


def test_deeply_nested_json_on_passthrough_is_forwarded_not_a_500(inference, account, gateway,
                                                                   oai, capsys):
    capsys.readouterr()
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), content=DEEP,
                          headers={"content-type": "application/json", **AUTH})
    assert resp.status_code < 500, resp.text
    one_record(capsys, resp)


@pytest.mark.parametrize("header", ["cf-aig-metadata", "cf-aig-custom-cost"])
@pytest.mark.parametrize("value", [DEEP_OBJECT.decode(), '{"a": NaN}', '{"total_cost": Infinity}'])
def test_deep_or_non_finite_json_headers_are_400(inference, account, gateway, oai, capsys,
                                                 header, value):
    capsys.readouterr()
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={**AUTH, header: value})
    assert_gateway_error(resp, 400, 2008)
    one_record(capsys, resp)


def test_deeply_nested_json_on_management(management, account, admin_headers):
    for body in (DEEP, DEEP_OBJECT, b'{"id": "x", "cache_ttl": NaN}'):
        resp = management.post(api(account, "/gateways"), content=body,
                               headers={**admin_headers, "content-type": "application/json"})
        assert_envelope_error(resp, 400, 7001)


@pytest.mark.parametrize("headers", [{"x-evil": "a\r\nx-injected: 1"}, {"x-evil": "a\nb"},
                                     {"bad name": "v"}, {"x-nul": "a\x00b"}])
def test_universal_step_header_with_line_breaks_is_400(inference, account, gateway, oai, capsys,
                                                       headers):
    capsys.readouterr()
    steps = [{"provider": "openai", "endpoint": "chat/completions", "headers": headers,
              "query": CHAT}]
    resp = inference.post(f"/v1/{account}/gw", json=steps)
    assert_gateway_error(resp, 400)
    one_record(capsys, resp)
    assert oai.recorder.requests == []


def test_universal_steps_are_capped(inference, account, gateway, oai):
    steps = [{"provider": "openai", "endpoint": "chat/completions", "query": CHAT}] * (
        get_settings().universal_max_steps + 1)
    assert "at most" in assert_gateway_error(inference.post(f"/v1/{account}/gw", json=steps), 400)
    assert oai.recorder.requests == []


def test_stored_key_with_control_characters_is_refused_not_sent(
        inference, management, account, admin_headers, gateway, oai, capsys):
    store_key(management, account, admin_headers, "openai", "sk-good-key")
    # A key stored before validation existed: written straight into Secrets Manager.
    aws.secretsmanager().put_secret_value(
        SecretId=secret_name(account, "gw", "openai", "default"), SecretString="sk-a\r\nx: 1\x01")
    from aigw.stores.provider_keys import _reader

    _reader.clear()
    capsys.readouterr()
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT)
    message = assert_gateway_error(resp, 401, 2009)
    assert "sk-a" not in message and "store it again" in message
    one_record(capsys, resp)
    assert oai.recorder.requests == []


def test_storing_a_key_with_control_characters_is_400(management, account, admin_headers,
                                                      gateway):
    resp = management.post(api(account, "/gateways/gw/provider_configs"),
                           json={"provider_slug": "openai", "secret": "sk-\x01abc"},
                           headers=admin_headers)
    assert_envelope_error(resp, 400, 7001)
    assert "sk-" not in resp.text


def test_gateway_too_large_for_one_item_is_400(management, account, admin_headers):
    rule = {"limit": 1, "window": 60, "provider": {"mode": "filter",
                                                   "values": ["p" * 1000] * 450}}
    body = {"id": "big", "cache_invalidate_on_update": False, "cache_ttl": 0,
            "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
            "spend_limits": {"rules": [rule]}}
    resp = management.post(api(account, "/gateways"), json=body, headers=admin_headers)
    errors = assert_envelope_error(resp, 400, 7001)
    assert "too large" in errors[0]["message"]


def test_upstream_header_outside_latin1_is_relayed_byte_for_byte(served_inference, gateway_env,
                                                                 account, gateway, capsys):
    import http.client
    from urllib.parse import urlsplit

    value = "café ☕ €".encode()
    port, answered = raw_http_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-note: " + value
        + b"\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
    gateway_env.set("AIGW_UPSTREAM_OPENAI", f"http://127.0.0.1:{port}/v1")
    capsys.readouterr()
    served = urlsplit(served_inference)
    conn = http.client.HTTPConnection(served.hostname, served.port, timeout=10)
    conn.request("POST", gw_path(account, "openai", "/chat/completions"), json.dumps(CHAT),
                 {"content-type": "application/json", **AUTH})
    resp = conn.getresponse()
    assert resp.read() == b"{}" and answered.wait(5) and resp.status == 200
    # http.client decodes header bytes as Latin-1: encoding back gives the bytes on the wire.
    assert resp.getheader("x-note").encode("latin-1") == value
    conn.close()
    records = log_records(capsys)
    assert [r["status_code"] for r in records] == [200]
    assert resp.getheader("cf-aig-log-id") == records[0]["id"]


def test_connect_timeout_without_request_timeout_is_504_retried_and_falls_back(
        inference, management, gateway_env, upstreams, account, admin_headers, capsys):
    make_gateway(management, account, admin_headers, retry_max_attempts=2, retry_delay=0)
    hole = Blackhole().start()
    try:
        claude = upstreams.use("anthropic")
        gateway_env.set("AIGW_UPSTREAM_OPENAI", f"http://127.0.0.1:{hole.port}/v1")
        gateway_env.set("AIGW_CONNECT_TIMEOUT_SECONDS", "0.3")
        capsys.readouterr()
        resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                              headers=AUTH)
        message = assert_gateway_error(resp, 504, 2006)
        assert "connect" in message
        one_record(capsys, resp)

        steps = [{"provider": "openai", "endpoint": "chat/completions", "headers": AUTH,
                  "query": CHAT},
                 {"provider": "anthropic", "endpoint": "v1/messages",
                  "headers": {"x-api-key": keys.ANTHROPIC_KEY},
                  "query": {"model": "claude-sonnet-4-5", "max_tokens": 16,
                            "messages": [{"role": "user", "content": "hi"}]}}]
        resp = inference.post(f"/v1/{account}/gw", json=steps)
        assert resp.status_code == 200 and resp.headers["cf-aig-step"] == "1", resp.text
        assert len(claude.recorder.requests) == 1
    finally:
        hole.stop()
