"""The logs API through the official `cloudflare` SDK, unmodified, against moto.

Five records with hand-picked fields are ingested the way the ingest function stores them; every
filter key, operator, flat parameter, ordering and the paging are then checked against the ids a
person reads off the table below (not against the code's own matcher).

| # | at      | provider    | model                  | ok | cached | cost   | in/out   | ms  |
|---|---------|-------------|------------------------|----|--------|--------|----------|-----|
| 0 | T0      | openai      | gpt-5-mini             | y  | n      | 0.002  | 100/50   | 120 |
| 1 | T0+10m  | anthropic   | claude-sonnet-4-5      | y  | y      | 0.0    | 10/5     | 5   |
| 2 | T0+60m  | openai      | text-embedding-3-small | n  | n      | None   | None     | 30  |
| 3 | T0+120m | aws-bedrock | anthropic.claude-3     | y  | n      | 0.01   | 1000/200 | 900 |
| 4 | T0+180m | openai      | gpt-5-mini             | n  | n      | 0.0005 | 20/0     | 60  |
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import cloudflare
import pytest
from cloudflare import Cloudflare
from cloudflare.types.ai_gateway import LogGetResponse, LogListResponse
from fastapi.testclient import TestClient

from aigw.ingest import ingest_lines
from aigw_local.functions import load_function_module
from tests.conftest import ADMIN_TOKEN
from tests.functional.inference_support import make_gateway
from tests.functional.logs_support import T0, lines, minutes, record, sdk

RECORDS: list[dict[str, Any]] = [
    dict(at=T0, provider="openai", model="gpt-5-mini", model_type="chat", cost=0.002,
         tokens_in=100, tokens_out=50, duration=120, metadata={"user": "alice", "plan": "free"},
         event_id="evt-1", request_type="passthrough", request_content_type="application/json",
         response_content_type="application/json", user_agent="OpenAI/Python 3.51",
         authentication=True),
    dict(at=T0 + minutes(10), provider="anthropic", model="claude-sonnet-4-5", model_type="chat",
         cached=True, cost=0.0, tokens_in=10, tokens_out=5, duration=5, metadata={"user": "bob"},
         event_id="evt-2", request_type="compat", request_content_type="application/json",
         response_content_type="application/json", user_agent="curl/8.5", feedback=1),
    dict(at=T0 + minutes(60), provider="openai", model="text-embedding-3-small",
         model_type="embedding", success=False, status_code=429, duration=30,
         request_type="universal", request_content_type="text/plain",
         response_content_type="application/json", user_agent="python-httpx/0.28",
         error_code=2003),
    dict(at=T0 + minutes(120), provider="aws-bedrock", model="anthropic.claude-3",
         model_type="chat", cost=0.01, tokens_in=1000, tokens_out=200, duration=900,
         metadata={"user": "alice", "tier": 3}, event_id="evt-1", request_type="passthrough",
         request_content_type="application/json", response_content_type="text/event-stream",
         wholesale=True, dlp_action="FLAG", feedback=-1),
    dict(at=T0 + minutes(180), provider="openai", model="gpt-5-mini", model_type="chat",
         success=False, status_code=500, cost=0.0005, tokens_in=20, tokens_out=0, duration=60,
         request_type="passthrough", payload=False),
]


def store_records(management: TestClient, account: str,
                  admin_headers: dict[str, str]) -> list[str]:
    """Gateway `gw` with the five records stored; returns their ids in table order."""
    make_gateway(management, account, admin_headers)
    recs = []
    for n, spec in enumerate(RECORDS):
        spec = dict(spec)
        at = spec.pop("at")
        payload = spec.get("payload", True)
        recs.append(record(account, at, n, request=b'{"q":%d}' % n if payload else None,
                           response=b'{"a":%d}' % n if payload else None, **spec))
    stats = ingest_lines(lines(*recs))
    assert stats.stored == 5 and stats.malformed == 0
    return [r.id for r in recs]


@pytest.fixture(scope="module")
def shared(local_stack: object) -> tuple[TestClient, str, list[str]]:
    """One account with the five records, for the read-only tests (module-wide: it is slow)."""
    management = TestClient(load_function_module("management").app,
                            raise_server_exceptions=False)
    account = f"acct{uuid.uuid4().hex[:12]}"
    return management, account, store_records(management, account,
                                              {"Authorization": f"Bearer {ADMIN_TOKEN}"})


@pytest.fixture
def logged(management: TestClient, account: str, admin_headers: dict[str, str]) -> list[str]:
    """A fresh account with the five records, for tests that change them."""
    return store_records(management, account, admin_headers)


@pytest.fixture
def cf(management: TestClient) -> Cloudflare:
    return sdk(management)


@pytest.fixture
def ro(shared: tuple[TestClient, str, list[str]]) -> tuple[Cloudflare, str, list[str]]:
    management, account, ids = shared
    return sdk(management), account, ids


def listed(cf: Cloudflare, account: str, **params: Any) -> list[str]:
    page = cf.ai_gateway.logs.list("gw", account_id=account, per_page=50, **params)
    assert all(isinstance(item, LogListResponse) for item in page.result)
    return [item.id for item in page.result]


def f(key: str, operator: str, *values: Any) -> dict[str, Any]:
    return {"key": key, "operator": operator, "value": list(values)}


FILTER_CASES = [
    ([f("provider", "eq", "openai")], {0, 2, 4}),
    ([f("provider", "neq", "openai")], {1, 3}),
    ([f("provider", "eq", "anthropic", "aws-bedrock")], {1, 3}),
    ([f("provider", "contains", "AI")], {0, 2, 4}),
    ([f("model", "eq", "gpt-5-mini")], {0, 4}),
    ([f("model", "contains", "claude")], {1, 3}),
    ([f("model_type", "eq", "embedding")], {2}),
    ([f("model_type", "neq", "chat")], {2}),
    ([f("success", "eq", True)], {0, 1, 3}),
    ([f("success", "eq", False)], {2, 4}),
    ([f("success", "neq", True)], {2, 4}),
    ([f("cached", "eq", True)], {1}),
    ([f("cost", "gt", 0.001)], {0, 3}),
    ([f("cost", "lt", 0.001)], {1, 4}),
    ([f("cost", "eq", 0.01)], {3}),
    ([f("tokens", "gt", 500)], {3}),
    ([f("tokens", "lt", 100)], {1, 4}),
    ([f("tokens_in", "gt", 50)], {0, 3}),
    ([f("tokens_out", "lt", 10)], {1, 4}),
    ([f("duration", "gt", 100)], {0, 3}),
    ([f("duration", "lt", 10)], {1}),
    ([f("feedback", "eq", 1)], {1}),
    ([f("feedback", "eq", -1)], {3}),
    ([f("event_id", "eq", "evt-1")], {0, 3}),
    ([f("event_id", "contains", "evt")], {0, 1, 3}),
    ([f("metadata.key", "eq", "tier")], {3}),
    ([f("metadata.value", "eq", "alice")], {0, 3}),
    ([f("metadata.value", "contains", "BO")], {1}),
    ([f("metadata.key", "neq", "user")], {2, 4}),
    ([f("request_content_type", "eq", "application/json")], {0, 1, 3}),
    ([f("response_content_type", "contains", "event-stream")], {3}),
    ([f("request_type", "eq", "compat")], {1}),
    ([f("request_type", "eq", "universal")], {2}),
    ([f("authentication", "eq", True)], {0}),
    ([f("wholesale", "eq", True)], {3}),
    ([f("compatibilityMode", "eq", True)], {1}),
    ([f("dlp_action", "eq", "FLAG")], {3}),
    ([f("user_agent", "contains", "curl")], {1}),
    ([f("user_agent", "neq", "curl/8.5")], {0, 2, 3, 4}),
    ([f("created_at", "gt", (T0 + minutes(30)).isoformat())], {2, 3, 4}),
    ([f("created_at", "lt", (T0 + minutes(30)).isoformat())], {0, 1}),
    ([f("provider", "eq", "openai"), f("success", "eq", True)], {0}),
    ([f("metadata.value", "eq", "alice"), f("duration", "lt", 500)], {0}),
]


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES,
                         ids=[f"{c[0][0]['key']}-{c[0][0]['operator']}-{i}"
                              for i, c in enumerate(FILTER_CASES)])
def test_every_filter_key_and_operator(ro: tuple[Cloudflare, str, list[str]],
                                       filters: list[dict[str, Any]], expected: set[int]) -> None:
    cf, account, logged = ro
    got = listed(cf, account, filters=filters)
    assert set(got) == {logged[i] for i in expected}
    # The same filters as one JSON array parameter (the other accepted serialisation).
    raw = cf.get(f"/accounts/{account}/ai-gateway/gateways/gw/logs", cast_to=object,
                 options={"params": {"filters": json.dumps(filters), "per_page": 50}})
    assert {item["id"] for item in raw["result"]} == {logged[i] for i in expected}


def test_id_filters_use_time_order(ro: tuple[Cloudflare, str, list[str]]) -> None:
    cf, account, logged = ro
    assert listed(cf, account, filters=[f("id", "eq", logged[2])]) == [logged[2]]
    assert set(listed(cf, account, filters=[f("id", "lt", logged[2])])) == set(logged[:2])
    assert set(listed(cf, account, filters=[f("id", "gt", logged[2])])) == set(logged[3:])
    assert set(listed(cf, account, filters=[f("id", "neq", logged[2])])) == \
        set(logged) - {logged[2]}
    assert listed(cf, account, filters=[f("id", "contains", logged[2][-6:])]) == [logged[2]]


FLAT_CASES = [
    ({"success": True}, {0, 1, 3}),
    ({"success": False}, {2, 4}),
    ({"cached": True}, {1}),
    ({"provider": "openai"}, {0, 2, 4}),
    ({"model": "gpt-5-mini"}, {0, 4}),
    ({"model_type": "embedding"}, {2}),
    ({"request_content_type": "text/plain"}, {2}),
    ({"response_content_type": "text/event-stream"}, {3}),
    ({"feedback": 1}, {1}),
    ({"min_cost": 0.002}, {0, 3}),
    ({"max_cost": 0.0005}, {1, 4}),
    ({"min_duration": 60, "max_duration": 120}, {0, 4}),
    ({"min_tokens_in": 100}, {0, 3}),
    ({"max_tokens_out": 5}, {1, 4}),
    ({"min_tokens_out": 50}, {0, 3}),
    ({"max_tokens_in": 10}, {1}),
    ({"min_total_tokens": 15, "max_total_tokens": 150}, {0, 1, 4}),
    ({"start_date": T0 + minutes(5), "end_date": T0 + minutes(150)}, {1, 2, 3}),
    ({"start_date": T0 + minutes(60)}, {2, 3, 4}),
    ({"end_date": T0 + minutes(60)}, {0, 1, 2}),
    ({"search": "alice"}, {0, 3}),
    ({"search": "BEDROCK"}, {3}),
    ({"search": "embedding"}, {2}),
    ({"provider": "openai", "success": False, "min_cost": 0.0001}, {4}),
]


@pytest.mark.parametrize(("params", "expected"), FLAT_CASES,
                         ids=["-".join(c[0]) for c in FLAT_CASES])
def test_flat_parameters(ro: tuple[Cloudflare, str, list[str]],
                         params: dict[str, Any], expected: set[int]) -> None:
    cf, account, logged = ro
    assert set(listed(cf, account, **params)) == {logged[i] for i in expected}


ORDER_CASES = [
    ("created_at", "desc", [4, 3, 2, 1, 0]),
    ("created_at", "asc", [0, 1, 2, 3, 4]),
    ("cost", "asc", [2, 1, 4, 0, 3]),
    ("cost", "desc", [3, 0, 4, 1, 2]),
    ("duration", "asc", [1, 2, 4, 0, 3]),
    ("tokens_in", "desc", [3, 0, 4, 1, 2]),
    ("tokens_out", "asc", [2, 4, 1, 0, 3]),
    ("provider", "asc", [1, 3, 0, 2, 4]),
    ("model", "desc", [2, 4, 0, 1, 3]),  # ties: newest first, as ids sort
    ("model_type", "asc", [0, 1, 3, 4, 2]),
    ("success", "desc", [3, 1, 0, 4, 2]),
    ("cached", "desc", [1, 4, 3, 2, 0]),
    ("feedback", "desc", [1, 3, 4, 2, 0]),
]


@pytest.mark.parametrize(("order_by", "direction", "expected"), ORDER_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in ORDER_CASES])
def test_ordering(ro: tuple[Cloudflare, str, list[str]], order_by: str,
                  direction: str, expected: list[int]) -> None:
    cf, account, logged = ro
    got = listed(cf, account, order_by=order_by, order_by_direction=direction)
    assert got == [logged[i] for i in expected]


def test_paging_and_auto_pagination(ro: tuple[Cloudflare, str, list[str]]) -> None:
    cf, account, logged = ro
    first = cf.ai_gateway.logs.list("gw", account_id=account, per_page=2)
    assert [i.id for i in first.result] == [logged[4], logged[3]]
    assert first.result_info is not None and first.result_info.total_count == 5
    assert first.result_info.count == 2 and first.result_info.page == 1
    third = cf.ai_gateway.logs.list("gw", account_id=account, per_page=2, page=3)
    assert [i.id for i in third.result] == [logged[0]]
    every = [i.id for i in cf.ai_gateway.logs.list("gw", account_id=account, per_page=2)]
    assert every == list(reversed(logged))
    filtered = cf.ai_gateway.logs.list("gw", account_id=account, per_page=1, provider="openai")
    assert filtered.result_info is not None and filtered.result_info.total_count == 3


def test_list_item_and_detail_fields(ro: tuple[Cloudflare, str, list[str]]) -> None:
    cf, account, logged = ro
    item = cf.ai_gateway.logs.list("gw", account_id=account, per_page=50).result[-1]
    assert item.id == logged[0] and item.provider == "openai" and item.model == "gpt-5-mini"
    assert item.ai_model_type == "chat" and item.success is True and item.cached is False
    assert item.tokens_in == 100 and item.tokens_out == 50 and item.cost == 0.002
    assert item.duration == 120 and item.status_code == 200
    assert json.loads(item.metadata or "") == {"user": "alice", "plan": "free"}
    assert item.created_at.isoformat().startswith("2026-11-01T10:00:00")

    got = cf.ai_gateway.logs.get(logged[0], account_id=account, gateway_id="gw")
    assert isinstance(got, LogGetResponse)
    assert got.request_head == '{"q":0}' and got.request_head_complete is True
    assert got.request_size == 7 and got.response_head == '{"a":0}' and got.response_size == 7
    extra = got.model_extra or {}
    assert extra["user_agent"] == "OpenAI/Python 3.51" and extra["feedback"] is None
    assert cf.ai_gateway.logs.request(logged[0], account_id=account, gateway_id="gw") == {"q": 0}
    assert cf.ai_gateway.logs.response(logged[0], account_id=account, gateway_id="gw") == {"a": 0}


def test_payload_off_stores_no_bodies(ro: tuple[Cloudflare, str, list[str]]) -> None:
    cf, account, logged = ro
    got = cf.ai_gateway.logs.get(logged[4], account_id=account, gateway_id="gw")
    assert got.request_head is None and got.response_head is None
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.logs.request(logged[4], account_id=account, gateway_id="gw")
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.logs.response(logged[4], account_id=account, gateway_id="gw")


def test_patch_feedback_score_metadata(cf: Cloudflare, account: str, logged: list[str]) -> None:
    cf.ai_gateway.logs.edit(logged[2], account_id=account, gateway_id="gw", feedback=1,
                            score=87.5, metadata={"reviewed": True, "by": "qa"})
    got = cf.ai_gateway.logs.get(logged[2], account_id=account, gateway_id="gw")
    assert (got.model_extra or {})["feedback"] == 1 and (got.model_extra or {})["score"] == 87.5
    assert json.loads(got.metadata or "") == {"reviewed": True, "by": "qa"}
    assert set(listed(cf, account, feedback=1)) == {logged[1], logged[2]}
    assert listed(cf, account, filters=[f("metadata.key", "eq", "reviewed")]) == [logged[2]]
    cf.ai_gateway.logs.edit(logged[2], account_id=account, gateway_id="gw", feedback=None,
                            metadata=None)
    got = cf.ai_gateway.logs.get(logged[2], account_id=account, gateway_id="gw")
    assert (got.model_extra or {})["feedback"] is None and got.metadata == "{}"
    with pytest.raises(cloudflare.BadRequestError):
        cf.ai_gateway.logs.edit(logged[2], account_id=account, gateway_id="gw", feedback=5)
    with pytest.raises(cloudflare.BadRequestError):
        cf.ai_gateway.logs.edit(logged[2], account_id=account, gateway_id="gw",
                                metadata={"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6})


def test_delete_by_filters_with_limit(cf: Cloudflare, account: str, logged: list[str]) -> None:
    out = cf.ai_gateway.logs.delete("gw", account_id=account, filters=[f("provider", "eq",
                                                                          "openai")], limit=2,
                                    order_by="created_at", order_by_direction="asc")
    assert out.success is True
    # The two oldest openai logs went; the newest openai one stays.
    assert set(listed(cf, account)) == {logged[1], logged[3], logged[4]}
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.logs.get(logged[0], account_id=account, gateway_id="gw")
    cf.ai_gateway.logs.delete("gw", account_id=account)
    assert listed(cf, account) == []
    first = cf.ai_gateway.logs.list("gw", account_id=account)
    assert first.result_info is not None and first.result_info.total_count == 0


def test_bad_parameters_are_7001(ro: tuple[Cloudflare, str, list[str]]) -> None:
    cf, account, logged = ro
    for params in ({"filters": [f("nope", "eq", "x")]}, {"filters": [f("cost", "eq", "cheap")]},
                   {"filters": [f("success", "gt", True)]}, {"per_page": 51},
                   {"order_by_direction": "up"}, {"start_date": "yesterday"}):
        with pytest.raises(cloudflare.BadRequestError) as bad:
            cf.ai_gateway.logs.list("gw", account_id=account, **params)
        assert bad.value.status_code == 400
        assert bad.value.body["errors"][0]["code"] == 7001  # type: ignore[index]
    with pytest.raises(cloudflare.BadRequestError):
        cf.ai_gateway.logs.delete("gw", account_id=account, limit=10_001)


def test_unknown_gateway_and_log_are_404(ro: tuple[Cloudflare, str, list[str]]) -> None:
    cf, account, logged = ro
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.logs.list("other", account_id=account)
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.logs.get("01ZZZZZZZZZZZZZZZZZZZZZZZZ", account_id=account, gateway_id="gw")


def test_gateway_delete_deletes_its_logs(cf: Cloudflare, account: str, logged: list[str],
                                         management: TestClient,
                                         admin_headers: dict[str, str]) -> None:
    cf.ai_gateway.delete("gw", account_id=account)
    make_gateway(management, account, admin_headers)
    assert listed(cf, account) == []
    from aigw.stores.log_store import LogStore

    store = LogStore()
    leftovers = store.client.scan(TableName=store.table, FilterExpression="contains(pk, :a)",
                                  ExpressionAttributeValues={":a": {"S": account}})["Items"]
    assert leftovers == []
