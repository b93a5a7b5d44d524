"""Request bodies over `AIGW_MAX_BODY_BYTES` are 413 in each surface's error shape.

The limit comes from template.yaml (so local mode and the deployed functions share it) and sits
below the ceiling Lambda's invocation payload puts on a base64-encoded body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from aigw.config import Settings
from aigw_local.functions import load_function_module
from aigw_local.template import load_template
from tests.functional.inference_support import GATEWAY, api, assert_gateway_error, gw_path

LIMIT = 2000
#: Lambda's synchronous invocation payload limit (the whole API Gateway event), in bytes.
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
#: Room left in the event for headers (twice), path, query and request context.
EVENT_ENVELOPE_BYTES = 256 * 1024


@pytest.fixture
def small_limit(gateway_env) -> int:
    gateway_env.set("AIGW_MAX_BODY_BYTES", str(LIMIT))
    return LIMIT


@pytest.fixture
def compat(local_stack: object) -> Iterator[TestClient]:
    with TestClient(load_function_module("compat").app, raise_server_exceptions=False) as c:
        yield c


def body_of(size: int) -> bytes:
    """A chat request of exactly `size` bytes."""
    head = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": ""}]}
    filler = size - len(json.dumps(head).encode())
    head["messages"][0]["content"] = "x" * filler
    out = json.dumps(head).encode()
    assert len(out) == size
    return out


def test_template_limit_is_below_lambdas_base64_ceiling() -> None:
    env = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    limit = int(env["AIGW_MAX_BODY_BYTES"])
    assert limit == Settings().max_body_bytes  # the default matches what the template sets
    encoded = 4 * ((limit + 2) // 3)  # base64 (BinaryMediaTypes */*)
    assert encoded + EVENT_ENVELOPE_BYTES <= LAMBDA_PAYLOAD_BYTES


def test_passthrough_body_over_the_limit_is_413_and_nothing_is_sent(
        inference, account, gateway, oai, small_limit):
    resp = inference.post(gw_path(account, "openai", "/chat/completions"),
                          content=body_of(LIMIT + 1),
                          headers={"content-type": "application/json"})
    message = assert_gateway_error(resp, 413, 2013)
    assert str(LIMIT) in message
    assert resp.headers["cf-aig-log-id"]
    assert oai.recorder.requests == []


def test_passthrough_body_at_the_limit_is_forwarded(inference, account, gateway, oai,
                                                   small_limit):
    resp = inference.post(gw_path(account, "openai", "/chat/completions"),
                          content=body_of(LIMIT),
                          headers={"content-type": "application/json",
                                   "authorization": "Bearer sk-test-openai-5b2f0c1e9d8a4f7b"})
    assert resp.status_code == 200, resp.text
    assert len(oai.recorder.last.body) == LIMIT


def test_chunked_body_over_the_limit_is_413(inference, account, gateway, oai, small_limit):
    def chunks() -> Iterator[bytes]:
        data = body_of(LIMIT * 2)
        for i in range(0, len(data), 500):
            yield data[i:i + 500]

    resp = inference.post(gw_path(account, "openai", "/chat/completions"), content=chunks(),
                          headers={"content-type": "application/json"})
    assert "content-length" not in resp.request.headers
    assert_gateway_error(resp, 413, 2013)
    assert oai.recorder.requests == []


def test_universal_body_over_the_limit_is_413(inference, account, gateway, small_limit):
    resp = inference.post(f"/v1/{account}/{GATEWAY}", content=b"[" + b" " * LIMIT + b"]")
    assert_gateway_error(resp, 413, 2013)


def test_compat_body_over_the_limit_is_413_in_openai_shape(compat, account, gateway, oai,
                                                           small_limit):
    resp = compat.post(f"/v1/{account}/{GATEWAY}/compat/chat/completions",
                       content=body_of(LIMIT + 1), headers={"content-type": "application/json"})
    assert resp.status_code == 413, resp.text
    error = resp.json()["error"]
    assert error["code"] == 2013 and error["type"] == "invalid_request_error"
    assert oai.recorder.requests == []


def test_management_body_over_the_limit_is_413_in_the_v4_envelope(
        management, account, admin_headers, small_limit):
    resp = management.post(api(account, "/gateways"), headers=admin_headers,
                           content=b'{"id": "' + b"g" * LIMIT + b'"}')
    assert resp.status_code == 413, resp.text
    body = resp.json()
    assert body["success"] is False and body["errors"][0]["code"] == 2013
