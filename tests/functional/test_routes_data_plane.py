"""`model: "dynamic/{name}"` on compat, in-process against moto and the fake upstreams.

Covers the issue's checks: an A/B split over 1,000 requests (exact per request, even overall), a
failing primary falling back (JSON, stream, timeout), a stream committed at its first byte, a
budget `rate` element switching model once its cost is spent, metadata conditions, rollback at
once, and the answer's `cf-aig-model` / `cf-aig-provider` and the log record's route fields.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aigw.routing.engine import bucket
from aigw_local.functions import load_function_module
from tests.fakes.credentials import ANTHROPIC_KEY, OPENAI_KEY
from tests.fakes.routes import elements
from tests.functional.inference_support import api, store_key
from tests.functional.test_streaming_relay import log_records

ERROR_500 = {"error": {"message": "The server had an error", "type": "server_error",
                       "param": None, "code": None}}
HELLO = [{"role": "user", "content": "hello there"}]


@pytest.fixture
def compat(local_stack: object) -> Iterator[TestClient]:
    with TestClient(load_function_module("compat").app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def keys(management, gateway, account, admin_headers, oai, claude) -> None:
    """Stored keys for both providers: a route may call either, so clients send none."""
    store_key(management, account, admin_headers, "openai", OPENAI_KEY)
    store_key(management, account, admin_headers, "anthropic", ANTHROPIC_KEY)


class Routes:
    def __init__(self, management: TestClient, account: str, admin: dict[str, str]) -> None:
        self.m, self.account, self.admin = management, account, admin

    def url(self, rest: str = "") -> str:
        return api(self.account, f"/gateways/gw/routes{rest}")

    def create(self, name: str, els: list[dict[str, Any]]) -> dict[str, Any]:
        resp = self.m.post(self.url(), json={"name": name, "elements": els}, headers=self.admin)
        assert resp.status_code == 200, resp.text
        return dict(resp.json()["result"])

    def new_version(self, route_id: str, els: list[dict[str, Any]]) -> str:
        resp = self.m.post(self.url(f"/{route_id}/versions"), json={"elements": els},
                           headers=self.admin)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["result"]["version_id"])

    def deploy(self, route_id: str, version_id: str) -> None:
        resp = self.m.post(self.url(f"/{route_id}/deployments"), json={"version_id": version_id},
                           headers=self.admin)
        assert resp.status_code == 200, resp.text


@pytest.fixture
def routes(management, account, admin_headers, keys) -> Routes:
    return Routes(management, account, admin_headers)


def chat(compat: TestClient, account: str, route: str, headers: dict[str, str] | None = None,
         **body: Any) -> Any:
    return compat.post(f"/v1/{account}/gw/compat/chat/completions", headers=headers or {},
                       json={"model": f"dynamic/{route}", "messages": HELLO, **body})


def test_ab_split_over_1000_requests(compat, routes, account, oai):
    """Each request's branch is exactly the one its log id hashes to; overall the split stays
    within 4 standard deviations of 50/50 (sigma = sqrt(1000 * 0.25) = 15.8; a false alarm
    has probability ~6e-5)."""
    routes.create("ab", elements("ab_split"))
    seen: Counter[str] = Counter()
    for _ in range(1000):
        resp = chat(compat, account, "ab")
        assert resp.status_code == 200, resp.text
        model = resp.headers["cf-aig-model"]
        expected = "model-a" if bucket(resp.headers["cf-aig-log-id"], "split") < 5000 else "model-b"
        assert model == expected and resp.json()["model"] == model
        assert resp.headers["cf-aig-provider"] == "openai"
        seen[model] += 1
    assert abs(seen["model-a"] - 500) <= 4 * math.sqrt(250), seen


def test_failing_primary_falls_back_to_secondary_json(compat, routes, account, oai, claude,
                                                      capsys):
    routes.create("fb", elements("fallback"))
    oai.control.fail_next = [(500, ERROR_500), (500, ERROR_500)]  # retries: 1 -> 2 attempts
    resp = chat(compat, account, "fb")
    assert resp.status_code == 200, resp.text
    assert resp.headers["cf-aig-provider"] == "anthropic"
    assert resp.headers["cf-aig-model"] == "claude-sonnet-4-5"
    assert resp.json()["object"] == "chat.completion"
    assert len(oai.recorder.requests) == 2 and len(claude.recorder.requests) == 1
    [record] = log_records(capsys, resp.headers["cf-aig-log-id"])
    assert record["route"] == "fb" and record["route_path"] == ["start", "primary", "secondary",
                                                                 "end"]
    assert record["provider"] == "anthropic" and record["model"] == "claude-sonnet-4-5"
    assert record["route_version"] and record["success"] is True


def test_one_failure_is_retried_on_the_primary(compat, routes, account, oai, claude):
    routes.create("fb", elements("fallback"))
    oai.control.fail_next = [(503, ERROR_500)]
    resp = chat(compat, account, "fb")
    assert resp.status_code == 200 and resp.headers["cf-aig-provider"] == "openai"
    assert len(oai.recorder.requests) == 2 and claude.recorder.requests == []


def test_failing_primary_falls_back_to_secondary_stream(compat, routes, account, oai, claude):
    routes.create("fb", elements("fallback"))
    oai.control.fail_next = [(500, ERROR_500), (500, ERROR_500)]
    with compat.stream("POST", f"/v1/{account}/gw/compat/chat/completions",
                       json={"model": "dynamic/fb", "messages": HELLO, "stream": True}) as resp:
        assert resp.status_code == 200
        assert resp.headers["cf-aig-provider"] == "anthropic"
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in resp.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c["choices"])


def test_timeout_to_first_byte_falls_back(compat, routes, account, oai, claude):
    els = elements("fallback")
    els[1]["properties"].update(timeout=300, retries=0)
    routes.create("slow", els)
    oai.control.delay_first_byte_s = 1.5
    started = time.monotonic()
    resp = chat(compat, account, "slow", stream=True)
    assert resp.status_code == 200 and resp.headers["cf-aig-provider"] == "anthropic"
    assert time.monotonic() - started < 1.4


def test_a_stream_is_committed_at_its_first_byte(compat, routes, account, oai, claude):
    """Once the primary's stream has started, a break midway is the client's error event, not
    a silent switch to another model."""
    routes.create("fb", elements("fallback"))
    oai.control.drop_connection_midstream = True
    resp = chat(compat, account, "fb", stream=True)
    assert resp.status_code == 200 and resp.headers["cf-aig-provider"] == "openai"
    assert claude.recorder.requests == []
    assert "[DONE]" not in resp.text and '"error"' in resp.text


def test_failure_without_fallback_returns_the_last_error(compat, routes, account, oai, claude):
    routes.create("fb", elements("fallback"))
    oai.control.fail_next = [(500, ERROR_500)] * 2
    claude.control.fail_next = [(529, {"type": "error", "error": {"type": "overloaded_error",
                                                                  "message": "Overloaded"}})]
    resp = chat(compat, account, "fb")
    assert resp.status_code == 529 and resp.json()["error"]["message"] == "Overloaded"


def test_conditional_on_metadata_routes_free_and_paid_users_differently(compat, routes,
                                                                        account, oai):
    routes.create("plans", elements("plans"))
    for plan, model in (("free", "gpt-4o-mini"), ("paid", "gpt-4o"), ("free", "gpt-4o-mini")):
        resp = chat(compat, account, "plans", {"cf-aig-metadata": json.dumps({"plan": plan})})
        assert resp.status_code == 200, resp.text
        assert resp.headers["cf-aig-model"] == model and oai.recorder.last.json()["model"] == model


def test_budget_rate_switches_model_once_the_cost_is_spent(compat, routes, account, oai):
    """limit 0.0001 USD per team per hour; each answer costs 0.00004 (cf-aig-custom-cost): three
    answers from the premium model (spent 0, 0.00004, 0.00008 before each), then the cheap one.
    Each team has its own budget."""
    routes.create("budget", elements("budget"))

    def ask(team: str) -> str:
        resp = chat(compat, account, "budget",
                    {"cf-aig-metadata": json.dumps({"team": team}),
                     "cf-aig-custom-cost": json.dumps({"total_cost": 0.00004})})
        assert resp.status_code == 200, resp.text
        return str(resp.headers["cf-aig-model"])

    assert [ask("red") for _ in range(5)] == ["gpt-4o"] * 3 + ["gpt-4o-mini"] * 2
    assert ask("blue") == "gpt-4o"


def test_budget_is_charged_before_a_stream_ends(compat, routes, account, oai):
    routes.create("budget", elements("budget"))
    headers = {"cf-aig-metadata": json.dumps({"team": "s"}),
               "cf-aig-custom-cost": json.dumps({"total_cost": 0.0002})}
    first = chat(compat, account, "budget", headers, stream=True,
                 stream_options={"include_usage": True})
    assert first.status_code == 200 and first.headers["cf-aig-model"] == "gpt-4o"
    assert first.text.rstrip().endswith("data: [DONE]")
    assert chat(compat, account, "budget", headers).headers["cf-aig-model"] == "gpt-4o-mini"


def test_count_rate_without_fallback_is_a_429(compat, routes, account, oai):
    els = elements("single")
    els[0]["outputs"]["next"]["elementId"] = "limit"
    els.append({"id": "limit", "type": "rate", "properties": {
        "limitType": "count", "key": "metadata.user", "limit": 2, "window": 60},
        "outputs": {"success": {"elementId": "only"}}})
    routes.create("limited", els)
    headers = {"cf-aig-metadata": json.dumps({"user": "u1"})}
    codes = [chat(compat, account, "limited", headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = chat(compat, account, "limited", headers)
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert "route element 'limit'" in refused.json()["error"]["message"]


def test_deploying_an_older_version_rolls_back_at_once(compat, routes, account, oai):
    route = routes.create("live", elements("single", only="model-v1"))
    v1 = route["version"]["version_id"]
    v2 = routes.new_version(route["id"], elements("single", only="model-v2"))
    assert chat(compat, account, "live").headers["cf-aig-model"] == "model-v1"  # not deployed
    routes.deploy(route["id"], v2)
    assert chat(compat, account, "live").headers["cf-aig-model"] == "model-v2"
    routes.deploy(route["id"], v1)
    assert chat(compat, account, "live").headers["cf-aig-model"] == "model-v1"


def test_unknown_route_is_a_400_in_openai_shape(compat, routes, account, oai):
    resp = chat(compat, account, "nope")
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["param"] == "model" and "no dynamic route named 'nope'" in error["message"]
    assert oai.recorder.requests == []


def test_embeddings_through_a_route(compat, routes, account, oai):
    routes.create("emb", elements("single", only="text-embedding-3-small"))
    resp = compat.post(f"/v1/{account}/gw/compat/embeddings",
                       json={"model": "dynamic/emb", "input": "hello", "encoding_format": "float"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"][0]["embedding"]
    assert oai.recorder.last.json()["model"] == "text-embedding-3-small"
    assert resp.headers["cf-aig-model"] == "text-embedding-3-small"
    assert resp.headers["cf-aig-provider"] == "openai"
