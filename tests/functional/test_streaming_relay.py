"""Streams are relayed chunk by chunk as they arrive under a real server (the Lambda Web
Adapter's path), whole through the Mangum handler, and cut short — with a failed log record —
when the upstream drops the connection mid-body."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from aigw_local.functions import load_function_module
from tests.fakes import credentials as keys
from tests.functional.inference_support import gw_path
from tests.functional.test_events_replay import FakeLambdaContext, load_event

PAUSE_S = 0.3
#: "Echo: one two" streams as 6 SSE frames (role, three words, finish, [DONE]): 5 pauses.
STREAM = {"model": "gpt-4o-mini", "stream": True,
          "messages": [{"role": "user", "content": "one two"}]}
AUTH = {"authorization": f"Bearer {keys.OPENAI_KEY}"}


def sse_payloads(body: str) -> list[Any]:
    frames = [f for f in body.split("\n\n") if f.strip()]
    assert all(f.startswith("data: ") for f in frames), frames
    return [f[6:] if f[6:] == "[DONE]" else json.loads(f[6:]) for f in frames]


def without_usage(upstream_body: bytes) -> list[Any]:
    """The upstream's stream as the client should see it: the gateway asked for usage on the
    client's behalf, so the usage-only chunk and `"usage": null` members are removed."""
    upstream = sse_payloads(upstream_body.decode())
    assert any(p != "[DONE]" and p.get("usage") for p in upstream)
    return [p if p == "[DONE]" else {k: v for k, v in p.items() if k != "usage"}
            for p in upstream if p == "[DONE]" or p["choices"]]


def streamed_text(payloads: list[Any]) -> str:
    return "".join(p["choices"][0]["delta"].get("content") or ""
                   for p in payloads if p != "[DONE]" and p["choices"])


def test_first_chunk_reaches_the_client_before_the_upstream_finishes(
        served_inference, oai, upstreams, account, gateway):
    tap = upstreams.tap("openai")
    oai.control.stream_pause_s = PAUSE_S
    chunks: list[bytes] = []
    upstream_done_at_first_chunk = None
    with httpx.Client(base_url=served_inference, timeout=30) as client:
        started = time.monotonic()
        with client.stream("POST", gw_path(account, "openai", "/chat/completions"),
                           json=STREAM, headers=AUTH) as resp:
            assert resp.status_code == 200
            for chunk in resp.iter_raw():
                if not chunks:
                    first_at = time.monotonic() - started
                    upstream_done_at_first_chunk = tap.last.finished.is_set()
                chunks.append(chunk)
        total = time.monotonic() - started

    assert tap.last.finished.is_set()
    assert upstream_done_at_first_chunk is False
    assert total >= 5 * PAUSE_S
    assert first_at < total / 2, (first_at, total)
    assert len(chunks) >= 3  # it came in pieces, not as one buffered body
    body = b"".join(chunks)
    # The gateway asked for usage on the client's behalf: the upstream's extra usage chunk and
    # `"usage": null` members are gone, everything else is exactly as the upstream sent it.
    assert sse_payloads(body.decode()) == without_usage(tap.last.body)
    assert streamed_text(sse_payloads(body.decode())) == "Echo: one two"


def test_mangum_handler_returns_the_whole_stream(oai, upstreams, account, gateway):
    event = load_event("inference-openai-chat-completions")
    path = gw_path(account, "openai", "/chat/completions")
    event.update(path=path, body=base64.b64encode(json.dumps(STREAM).encode()).decode(),
                 isBase64Encoded=True)
    event["pathParameters"] = {"account_id": account, "gateway_id": "gw",
                               "proxy": "openai/chat/completions"}
    event["requestContext"]["path"] = "/v0" + path
    headers = {**event["headers"], "Authorization": AUTH["authorization"]}
    event["headers"] = headers
    event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    oai.control.stream_pause_s = 0.05

    out = load_function_module("inference").handler(event, FakeLambdaContext())

    assert out["statusCode"] == 200, out
    raw = out["body"]
    body = base64.b64decode(raw) if out["isBase64Encoded"] else raw.encode()
    assert sse_payloads(body.decode()) == without_usage(upstreams.tap("openai").last.body)
    payloads = sse_payloads(body.decode())
    assert payloads[-1] == "[DONE]" and streamed_text(payloads) == "Echo: one two"
    assert oai.recorder.last.json() == {**STREAM, "stream_options": {"include_usage": True}}
    headers = {k.lower(): v for k, v in out["headers"].items()}
    assert headers["content-type"].startswith("text/event-stream")
    assert len(headers["cf-aig-log-id"]) == 26


def log_records(capsys: pytest.CaptureFixture[str], log_id: str,
                wait_s: float = 10.0) -> list[dict[str, Any]]:
    """The records with `log_id` on stdout, waiting for the server thread to write them."""
    out, deadline = "", time.monotonic() + wait_s
    while True:
        out += capsys.readouterr().out
        found = [json.loads(line)["aigw_log"] for line in out.splitlines()
                 if line.startswith('{"aigw_log"') and log_id in line]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_midstream_drop_truncates_the_body_and_logs_a_failure(served_inference, oai, account,
                                                              gateway, capsys):
    oai.control.drop_connection_midstream = True
    received = b""
    with httpx.Client(base_url=served_inference, timeout=30) as client:
        with client.stream("POST", gw_path(account, "openai", "/chat/completions"),
                           json=STREAM, headers=AUTH) as resp:
            assert resp.status_code == 200
            log_id = resp.headers["cf-aig-log-id"]
            with pytest.raises(httpx.RemoteProtocolError):
                for chunk in resp.iter_raw():
                    received += chunk

    assert received.startswith(b"data: ") and b"[DONE]" not in received
    records = log_records(capsys, log_id)
    assert len(records) == 1
    assert records[0]["success"] is False and records[0]["status_code"] == 200
