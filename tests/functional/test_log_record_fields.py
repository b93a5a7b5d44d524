"""What the data plane puts on the record for the logs API's `authentication` and `wholesale`
filters: whether the gateway checked a token, and whether the stack's own IAM role paid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from aigw import logs
from tests.conftest import ADMIN_TOKEN
from tests.fakes import credentials as keys
from tests.functional.inference_support import gw_path, make_gateway
from tests.functional.test_passthrough_signed_and_minted import INVOKE, bedrock_path

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def records() -> Iterator[list[dict[str, Any]]]:
    """Every record line emitted while the test runs, parsed."""
    seen: list[dict[str, Any]] = []

    def sink(line: str) -> None:
        seen.append(json.loads(line)[logs.LINE_KEY])
    logs.add_sink(sink)
    yield seen
    logs.remove_sink(sink)


def test_wholesale_marks_role_signed_requests_only(inference, upstreams, gateway_env, account,
                                                   gateway, records) -> None:
    upstreams.use("aws-bedrock")
    gateway_env.set("AWS_ACCESS_KEY_ID", keys.AWS_ACCESS_KEY_ID)
    gateway_env.set("AWS_SECRET_ACCESS_KEY", keys.AWS_SECRET_ACCESS_KEY)
    gateway_env.set("AIGW_BEDROCK_USE_ROLE", "true")
    signed = inference.post(bedrock_path(account), json=INVOKE)
    assert signed.status_code == 200, signed.text
    upstreams.use("openai")
    own_key = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                             headers={"Authorization": f"Bearer {keys.OPENAI_KEY}"})
    assert own_key.status_code == 200, own_key.text
    by_id = {r["id"]: r for r in records}
    assert by_id[signed.headers["cf-aig-log-id"]]["wholesale"] is True
    assert by_id[own_key.headers["cf-aig-log-id"]]["wholesale"] is False
    assert by_id[own_key.headers["cf-aig-log-id"]]["authentication"] is False


def test_authentication_marks_requests_the_gateway_checked(inference, management, upstreams,
                                                           admin_headers, account,
                                                           records) -> None:
    upstreams.use("openai")
    make_gateway(management, account, admin_headers, id="locked", authentication=True)
    resp = inference.post(gw_path(account, "openai", "/chat/completions", gateway="locked"),
                          json=CHAT, headers={"Authorization": f"Bearer {keys.OPENAI_KEY}",
                                              "cf-aig-authorization": f"Bearer {ADMIN_TOKEN}"})
    assert resp.status_code == 200, resp.text
    record = next(r for r in records if r["id"] == resp.headers["cf-aig-log-id"])
    assert record["authentication"] is True and record["gateway_id"] == "locked"
