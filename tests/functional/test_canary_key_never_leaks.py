"""A stored provider key with a unique canary value is sent upstream and nowhere else: not in any
response body or header, not in stdout/stderr or a log record, not in a management answer or
the config table — on success, upstream error, timeout, unreachable upstream and bad alias."""

from __future__ import annotations

import logging
from typing import Any

from aigw.config import get_settings
from aigw.stores import aws
from tests.fakes.upstream_server import free_port
from tests.fakes.upstreams import openai
from tests.functional.inference_support import api, gw_path, make_gateway, store_key

CANARY = "sk-CANARY-e41f0c7a9b3d5e8f2a6c"
ROTATED = "sk-CANARY-ROTATED-77d1b0e2c4f6a8"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def text_of(resp: Any) -> str:
    return resp.text + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.multi_items())


def test_canary_never_appears_outside_the_upstream_request(
        inference, management, admin_headers, gateway_env, account, monkeypatch, capsys,
        caplog):
    # Everything at INFO (what a deployment logs), aigw's own logger at DEBUG. botocore's DEBUG
    # output quotes API parameters by design, secrets included; nothing in aigw enables it.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="aigw")
    # The fake openai accepts exactly the canary, so the success path uses it for real.
    monkeypatch.setitem(openai.FLAVORS, "openai", openai.Flavor(CANARY, "/v1", "/v1"))
    seen: list[str] = []
    make_gateway(management, account, admin_headers)
    created = store_key(management, account, admin_headers, "openai", CANARY)
    seen.append(str(created))

    with openai.create() as fake:
        gateway_env.upstream(fake)
        url = gw_path(account, "openai", "/chat/completions")

        ok = inference.post(url, json=CHAT)
        assert ok.status_code == 200, ok.text
        assert fake.recorder.last.headers["authorization"] == f"Bearer {CANARY}"
        streamed = inference.post(url, json={**CHAT, "stream": True})
        assert streamed.status_code == 200 and "[DONE]" in streamed.text

        fake.control.fail_next.append((500, {"error": {"message": "boom"}}))
        upstream_error = inference.post(url, json=CHAT)
        assert upstream_error.status_code == 500

        fake.control.delay_first_byte_s = 1.0
        timeout = inference.post(url, json=CHAT, headers={"cf-aig-request-timeout": "100"})
        assert timeout.status_code == 504
        fake.control.reset()

        bad_alias = inference.post(url, json=CHAT, headers={"cf-aig-byok-alias": "missing"})
        assert bad_alias.status_code == 400

        seen += [text_of(r) for r in (ok, streamed, upstream_error, timeout, bad_alias)]

    gateway_env.set("AIGW_UPSTREAM_OPENAI", f"http://127.0.0.1:{free_port()}/v1")
    unreachable = inference.post(url, json=CHAT)
    assert unreachable.status_code == 502
    seen.append(text_of(unreachable))

    configs = api(account, "/gateways/gw/provider_configs")
    listed = management.get(configs, headers=admin_headers)
    rotated = management.put(f"{configs}/{created['id']}", json={"secret": ROTATED},
                             headers=admin_headers)
    invalid = management.post(configs, json={"provider_slug": "openai", "alias": "bad alias!",
                                             "secret": CANARY}, headers=admin_headers)
    duplicate = management.post(configs, json={"provider_slug": "openai", "alias": "default",
                                               "secret": CANARY}, headers=admin_headers)
    assert (listed.status_code, rotated.status_code, invalid.status_code,
            duplicate.status_code) == (200, 200, 400, 409)
    deleted = management.delete(f"{configs}/{created['id']}", headers=admin_headers)
    assert deleted.status_code == 200
    seen += [text_of(r) for r in (listed, rotated, invalid, duplicate, deleted)]

    items = aws.dynamodb().query(TableName=get_settings().config_table,
                                 KeyConditionExpression="account = :a",
                                 ExpressionAttributeValues={":a": {"S": account}})["Items"]
    captured = capsys.readouterr()
    seen += [str(items), captured.out, captured.err]
    seen += [r.getMessage() + str(r.args) + str(r.__dict__) for r in caplog.records]

    assert captured.out.count('"aigw_log"') >= 6  # the log records were there to inspect
    for text in seen:
        assert CANARY not in text and ROTATED not in text
        assert CANARY[-12:] not in text and ROTATED[-12:] not in text
