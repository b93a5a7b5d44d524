"""Property-based fuzz (hypothesis) of bodies and headers on every data-plane surface:
passthrough, universal, compat chat / embeddings / models. Whatever arrives, the answer is never
a 5xx other than the documented upstream ones (502 unreachable or broken upstream, 504
timeout), always carries `cf-aig-log-id`, and gateway errors come in the surface's shape.

Fixed, small example budgets with `derandomize=True`: the run is short and repeatable.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes import credentials as keys

UPSTREAM_5XX = {502, 504}
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

OPTION_HEADERS = ["cf-aig-metadata", "cf-aig-custom-cost", "cf-aig-request-timeout",
                  "cf-aig-max-attempts", "cf-aig-retry-delay", "cf-aig-backoff",
                  "cf-aig-cache-ttl", "cf-aig-skip-cache", "cf-aig-collect-log",
                  "cf-aig-collect-log-payload", "cf-aig-byok-alias", "cf-aig-event-id",
                  "cf-aig-authorization", "content-type", "authorization", "x-api-key"]
printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
header_values = st.one_of(printable, st.sampled_from(
    ["", "NaN", "1e999", "-1", "true", '{"a": NaN}', '{"total_cost": 1}', "[" * 300,
     '{"k": "v"}', "Bearer ", "application/json", "exponential"]))
headers = st.dictionaries(st.sampled_from(OPTION_HEADERS), header_values, max_size=4)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
              st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
chat_like = st.fixed_dictionaries(
    {"model": st.one_of(st.sampled_from(["openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5",
                                         "gpt-4o-mini", "nope/x", "", "custom-x/m"]),
                        json_values),
     "messages": st.one_of(json_values, st.lists(st.fixed_dictionaries(
         {"role": st.sampled_from(["user", "system", "assistant", "tool", "bogus"]),
          "content": json_values}), max_size=3))},
    optional={"stream": json_values, "max_tokens": json_values, "tools": json_values,
              "input": json_values, "temperature": json_values})
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    chat_like.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.just(b'{"model": "openai/gpt-4o-mini", "messages": [], "temperature": NaN}'))
universal_steps = st.lists(st.fixed_dictionaries(
    {"provider": st.sampled_from(["openai", "anthropic", "nope", "custom-x", ""]),
     "endpoint": st.sampled_from(["chat/completions", "v1/messages", "../x", "%2F", ""]),
     "headers": st.dictionaries(st.sampled_from(["authorization", "x-api-key", "cf-aig-x"]),
                                printable, max_size=2),
     "query": json_values}, optional={"config": json_values}), max_size=3)


def check(resp: Any, surface: str) -> None:
    assert resp.status_code < 500 or resp.status_code in UPSTREAM_5XX, (resp.status_code,
                                                                       resp.text[:300])
    assert resp.headers.get("cf-aig-log-id"), resp.headers
    if resp.status_code >= 400 and resp.headers.get("content-type", "").startswith(
            "application/json"):
        body = resp.json()
        if surface == "openai":
            assert isinstance(body, dict) and "error" in body, body
        elif isinstance(body, dict) and body.get("success") is False:
            assert isinstance(body.get("error"), list) and body["error"], body


@pytest.fixture
def plane(inference, compat, account, gateway, oai, claude, gateway_env) -> dict[str, Any]:
    gateway_env.set("AIGW_CONNECT_TIMEOUT_SECONDS", "2")
    return {"inference": inference, "compat": compat, "account": account}


def test_passthrough_bodies_and_headers(plane):
    @FUZZ
    @given(body=bodies, hdrs=headers, provider=st.sampled_from(["openai", "anthropic"]),
           rest=st.sampled_from(["/chat/completions", "/v1/messages", "/embeddings", ""]))
    def run(body, hdrs, provider, rest):
        key = {"authorization": f"Bearer {keys.OPENAI_KEY}"} if provider == "openai" else {
            "x-api-key": keys.ANTHROPIC_KEY}
        resp = plane["inference"].post(f"/v1/{plane['account']}/gw/{provider}{rest}",
                                       content=body, headers={**key, **hdrs})
        check(resp, "gateway")

    run()


def test_universal_bodies_and_headers(plane):
    @FUZZ
    @given(body=st.one_of(bodies, universal_steps.map(lambda s: json.dumps(s).encode())),
           hdrs=headers)
    def run(body, hdrs):
        resp = plane["inference"].post(f"/v1/{plane['account']}/gw", content=body, headers=hdrs)
        check(resp, "gateway")

    run()


def test_compat_bodies_and_headers(plane):
    @FUZZ
    @given(body=bodies, hdrs=headers,
           path=st.sampled_from(["/chat/completions", "/embeddings", "/models"]))
    def run(body, hdrs, path):
        url = f"/v1/{plane['account']}/gw/compat{path}"
        client = plane["compat"]
        resp = client.get(url, headers=hdrs) if path == "/models" else client.post(
            url, content=body, headers={"authorization": f"Bearer {keys.OPENAI_KEY}", **hdrs})
        check(resp, "openai")

    run()

