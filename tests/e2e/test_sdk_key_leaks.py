"""No provider key leaves the gateway, after all the SDK traffic of the other `test_sdk_*` modules.

Runs last (`RUN_LAST` in conftest). The stack stored a canary key (alias `canary`) besides the
real test keys; here the canary is used once — the upstream rejects it, the error path — and then
the gateway's whole captured output, every stored DynamoDB item, every management answer and
every answer an SDK received are searched for it and for every other test key. Every data-plane
answer must also have carried `cf-aig-log-id`.
"""

from __future__ import annotations

import re

import boto3
import openai
import pytest
from openai import Omit, OpenAI

from tests.e2e.sdk_stack import CANARY_ALIAS, GATEWAY_ID, SdkStack
from tests.fakes import credentials

MOTO_ENDPOINT = re.compile(r"\(moto at (http://127\.0\.0\.1:\d+)\)")


def secrets_to_hide(stack: SdkStack) -> dict[str, str]:
    pem_body = stack.vertex.service_account()["private_key"].splitlines()[1]
    found = {f"key #{n}": key for n, key in enumerate(credentials.ALL_KEYS)}
    return {**found, "canary": stack.canary, "vertex private key": pem_body}


def leaks(text: str | bytes | bytearray, stack: SdkStack) -> list[str]:
    value = text if isinstance(text, str) else bytes(text).decode("utf-8", "replace")
    return [name for name, secret in secrets_to_hide(stack).items() if secret in value]


def leaking(texts: dict[str, str | bytes | bytearray], stack: SdkStack) -> dict[str, list[str]]:
    """{where: names of the secrets found there} for every text that holds one."""
    found = {where: leaks(text, stack) for where, text in texts.items()}
    return {where: names for where, names in found.items() if names}


@pytest.fixture(scope="module")
def canary_error(sdk_stack: SdkStack) -> openai.AuthenticationError:
    """The canary key in use: the SDK sends no key of its own and picks the alias."""
    sdk_stack.reset_fakes()
    client = OpenAI(base_url=sdk_stack.url("openai"), api_key="unused-placeholder",
                    max_retries=0, default_headers=sdk_stack.gateway_auth,
                    http_client=sdk_stack.httpx2_client())
    with pytest.raises(openai.AuthenticationError) as denied:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "canary"}],
            extra_headers={"Authorization": Omit(), "cf-aig-byok-alias": CANARY_ALIAS})
    assert sdk_stack.openai.recorder.last.headers["authorization"] == \
        f"Bearer {sdk_stack.canary}", "the canary key never reached the upstream"
    return denied.value


def test_the_canary_error_is_the_upstreams_and_masks_the_key(
        canary_error: openai.AuthenticationError, sdk_stack: SdkStack) -> None:
    assert canary_error.status_code == 401 and canary_error.code == "invalid_api_key"
    assert canary_error.message.startswith("Error code: 401 - ")
    assert sdk_stack.canary[-4:] in canary_error.message  # OpenAI's own mask: last 4 only
    assert not leaks(canary_error.response.text, sdk_stack)


def test_no_key_in_the_gateways_output(canary_error: object, sdk_stack: SdkStack) -> None:
    output = sdk_stack.gateway.output()
    assert '"aigw_log"' in output and f'"gateway_id":"{GATEWAY_ID}"' in output
    assert leaks(output, sdk_stack) == []


def test_no_key_in_any_stored_record(canary_error: object, sdk_stack: SdkStack) -> None:
    """Secrets Manager holds the keys by design; no DynamoDB item may."""
    endpoint = MOTO_ENDPOINT.search(sdk_stack.gateway.output())
    assert endpoint, "the local server did not print its moto endpoint"
    ddb = boto3.client("dynamodb", endpoint_url=endpoint.group(1), region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
    items = [item for table in ddb.list_tables()["TableNames"]
             for item in ddb.scan(TableName=table)["Items"]]
    assert any(GATEWAY_ID in str(item) for item in items)
    assert leaking({str(item)[:120]: str(item) for item in items}, sdk_stack) == {}


def test_no_key_in_any_management_answer(canary_error: object, sdk_stack: SdkStack) -> None:
    configs = sdk_stack.manage("GET", f"/gateways/{GATEWAY_ID}/provider_configs")
    assert {c["alias"] for c in configs} >= {"default", CANARY_ALIAS}
    sdk_stack.manage("GET", "/tokens")
    bodies = sdk_stack.management_bodies
    assert leaking({f"answer #{n}": body for n, body in enumerate(bodies)}, sdk_stack) == {}


def test_no_key_in_any_sdk_answer_and_every_answer_has_a_log_id(canary_error: object,
                                                                 sdk_stack: SdkStack) -> None:
    received = sdk_stack.exchanges.items
    data_plane = f"{sdk_stack.gateway.base_url}/v1/"
    assert received and all(e.url.startswith(data_plane) for e in received)
    assert [e.url for e in received if not e.body] == []  # every body was seen, streams too
    assert leaking({f"#{n} {e.url}": e.body for n, e in enumerate(received)}, sdk_stack) == {}
    assert [e.url for e in received if not e.headers.get("cf-aig-log-id")] == []
    assert len({e.headers["cf-aig-log-id"] for e in received}) == len(received)
