"""The ingest function's handler replays `events/ingest/cloudwatch-logs-subscription.json`.

That file is what CloudWatch Logs hands a subscribed function (base64 of gzip of JSON): three
record lines of the events' account and gateway, plus a Lambda `START` line that is not a record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aigw_local.functions import load_function_module
from aigw_local.template import REPO_ROOT
from tests.functional.inference_support import api
from tests.functional.test_events_replay import ACCOUNT, GATEWAY, FakeLambdaContext
from tests.functional.test_management_gateways import BODY

EVENT = REPO_ROOT / "events" / "ingest" / "cloudwatch-logs-subscription.json"


@pytest.fixture
def events_gateway(management: TestClient, admin_headers: dict[str, str]) -> Iterator[None]:
    management.delete(api(ACCOUNT, f"/gateways/{GATEWAY}"), headers=admin_headers)
    resp = management.post(api(ACCOUNT, "/gateways"), json={**BODY, "id": GATEWAY},
                           headers=admin_headers)
    assert resp.status_code == 200, resp.text
    yield
    management.delete(api(ACCOUNT, f"/gateways/{GATEWAY}"), headers=admin_headers)


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    context = FakeLambdaContext(function_name="aigw-IngestFunction",
                                log_group_name="/aws/lambda/aigw-ingest")
    return dict(load_function_module("ingest").handler(event, context))


def test_subscription_event_is_stored_once(events_gateway: None, management: TestClient,
                                           admin_headers: dict[str, str]) -> None:
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    first = invoke(event)
    assert (first["lines"], first["malformed"], first["stored"]) == (4, 1, 3)
    again = invoke(event)
    assert (again["stored"], again["duplicates"]) == (0, 3)
    listed = management.get(api(ACCOUNT, f"/gateways/{GATEWAY}/logs"), headers=admin_headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["result"]
    assert [i["provider"] for i in items] == ["openai", "anthropic", "openai"]
    assert listed.json()["result_info"]["total_count"] == 3
    by_event = management.get(api(ACCOUNT, f"/gateways/{GATEWAY}/logs"),
                              params={"filters": json.dumps([{"key": "event_id",
                                                              "operator": "eq",
                                                              "value": ["checkout-42"]}])},
                              headers=admin_headers).json()["result"]
    assert [i["model"] for i in by_event] == ["gpt-5-mini"] and by_event[0]["tokens_out"] == 30
    body = management.get(api(ACCOUNT, f"/gateways/{GATEWAY}/logs/{by_event[0]['id']}/response"),
                          headers=admin_headers)
    assert body.json()["usage"]["total_tokens"] == 42
    # The compat record was sent with cf-aig-collect-log-payload: false: no bodies, sizes kept.
    compat = items[1]
    detail = management.get(api(ACCOUNT, f"/gateways/{GATEWAY}/logs/{compat['id']}"),
                            headers=admin_headers).json()["result"]
    assert detail["request_head"] is None and detail["response_head"] is None
    assert detail["time_to_first_byte"] == 410


def stream_removal(pk: str, sk: str, by_ttl: bool) -> dict[str, Any]:
    """A DynamoDB stream record (KEYS_ONLY) of a removed item; TTL removals name the service."""
    rec: dict[str, Any] = {"eventID": sk, "eventName": "REMOVE", "eventSource": "aws:dynamodb",
                           "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
                                        "StreamViewType": "KEYS_ONLY"}}
    if by_ttl:
        rec["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return rec


def test_ttl_expiries_lower_the_stored_count(events_gateway: None) -> None:
    from aigw.stores.config_store import config_store
    from aigw.stores.log_store import LogStore, partition

    invoke(json.loads(EVENT.read_text(encoding="utf-8")))
    gateway = config_store().gateways.get(ACCOUNT, GATEWAY)
    assert gateway is not None
    part = partition(ACCOUNT, gateway)
    store = LogStore()
    assert store.count(part) == 3
    out = invoke({"Records": [stream_removal(f"L#{part}", "a", True),
                              stream_removal(f"L#{part}", "b", True),
                              stream_removal(f"L#{part}", "c", False),  # an API delete
                              stream_removal(f"B#{part}", "a", True)]})  # a body item
    assert out == {"expired": 2, "gateways": 1}
    assert store.count(part) == 1
