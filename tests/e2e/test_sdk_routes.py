"""Dynamic routes end to end: the `cloudflare` SDK manages them, the `openai` SDK calls them as
`model="dynamic/{name}"` on compat, against the local server (`python -m aigw_local`) in front
of the fake OpenAI and Anthropic upstreams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cloudflare import Cloudflare
from openai import OpenAI
from openai.types.chat import ChatCompletion

from aigw.routing.engine import bucket
from tests.e2e.sdk_stack import SdkStack
from tests.e2e.test_logs_stored import stored
from tests.fakes import credentials
from tests.fakes.routes import elements

GATEWAY = "routes-e2e"
ERROR_500 = {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}
HELLO = [{"role": "user", "content": "Say hello"}]


@pytest.fixture(scope="module")
def routed(sdk_stack: SdkStack) -> Iterator[tuple[Cloudflare, OpenAI]]:
    """A gateway with stored OpenAI and Anthropic keys, a `run` token for the openai SDK (its
    api_key: so stored keys are used whichever provider a route picks), and a cloudflare SDK."""
    sdk_stack.manage("POST", "/gateways", {
        "id": GATEWAY, "authentication": True, "cache_ttl": 0, "collect_logs": True,
        "cache_invalidate_on_update": False, "rate_limiting_interval": 0,
        "rate_limiting_limit": 0})
    for provider, key in (("openai", credentials.OPENAI_KEY),
                          ("anthropic", credentials.ANTHROPIC_KEY)):
        sdk_stack.manage("POST", f"/gateways/{GATEWAY}/provider_configs",
                         {"provider_slug": provider, "alias": "default", "secret": key})
    token = sdk_stack.manage("POST", "/tokens", {"name": "routes", "gateways": [GATEWAY],
                                                 "permissions": ["run"]})["value"]
    cf = Cloudflare(api_token=sdk_stack.gateway.admin_token, max_retries=0,
                    base_url=f"{sdk_stack.gateway.base_url}/client/v4")
    client = OpenAI(base_url=f"{sdk_stack.gateway.base_url}/v1/{sdk_stack.account}/{GATEWAY}"
                             "/compat", api_key=token, max_retries=0,
                    http_client=sdk_stack.httpx2_client())
    yield cf, client
    client.close()


def create_route(cf: Cloudflare, stack: SdkStack, name: str, els: list[dict[str, Any]]) -> Any:
    return cf.ai_gateway.dynamic_routing.create(GATEWAY, account_id=stack.account, name=name,
                                                elements=els)  # type: ignore[arg-type]


def test_failing_primary_falls_back_json_and_stream(routed, stack: SdkStack) -> None:
    cf, client = routed
    create_route(cf, stack, "support", elements("fallback"))
    stack.openai.control.fail_next = [(500, ERROR_500)] * 2
    raw = client.chat.completions.with_raw_response.create(model="dynamic/support",
                                                           messages=HELLO)
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion) and completion.choices[0].message.content
    assert raw.headers["cf-aig-provider"] == "anthropic"
    assert raw.headers["cf-aig-model"] == "claude-sonnet-4-5"
    log = stored(cf, stack, GATEWAY, raw.headers["cf-aig-log-id"])
    assert (log.provider, log.model) == ("anthropic", "claude-sonnet-4-5")
    extra = log.model_extra or {}
    assert extra["route"] == "support" and extra["route_version"]
    assert extra["route_path"] == ["start", "primary", "secondary", "end"]

    stack.openai.control.fail_next = [(500, ERROR_500)] * 2
    with client.chat.completions.with_streaming_response.create(
            model="dynamic/support", messages=HELLO, stream=True) as streamed:
        assert streamed.headers["cf-aig-provider"] == "anthropic"
        text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed.parse()
                       if chunk.choices)
    assert text

    plain = client.chat.completions.with_raw_response.create(model="dynamic/support",
                                                             messages=HELLO)
    assert plain.headers["cf-aig-provider"] == "openai"
    assert plain.headers["cf-aig-model"] == "primary-model"


def test_split_is_exact_per_log_id(routed, stack: SdkStack) -> None:
    cf, client = routed
    create_route(cf, stack, "ab", elements("ab_split"))
    seen = set()
    for _ in range(200):
        raw = client.chat.completions.with_raw_response.create(model="dynamic/ab",
                                                               messages=HELLO)
        model = raw.headers["cf-aig-model"]
        assert model == ("model-a" if bucket(raw.headers["cf-aig-log-id"], "split") < 5000
                         else "model-b")
        seen.add(model)
    assert seen == {"model-a", "model-b"}


def test_metadata_condition_and_rollback(routed, stack: SdkStack) -> None:
    cf, client = routed
    routing = cf.ai_gateway.dynamic_routing
    route = create_route(cf, stack, "plans", elements("plans"))

    def model_for(plan: str) -> str:
        raw = client.chat.completions.with_raw_response.create(
            model="dynamic/plans", messages=HELLO,
            extra_headers={"cf-aig-metadata": json.dumps({"plan": plan})})
        return str(raw.headers["cf-aig-model"])

    assert (model_for("free"), model_for("paid")) == ("gpt-4o-mini", "gpt-4o")
    v2 = routing.create_version(route.id, account_id=stack.account, gateway_id=GATEWAY,
                                elements=elements("single", only="gpt-5-mini"))  # type: ignore
    routing.create_deployment(route.id, account_id=stack.account, gateway_id=GATEWAY,
                              version_id=v2.version_id)  # type: ignore[attr-defined]
    assert (model_for("free"), model_for("paid")) == ("gpt-5-mini", "gpt-5-mini")
    routing.create_deployment(route.id, account_id=stack.account, gateway_id=GATEWAY,
                              version_id=route.version.version_id)
    assert (model_for("free"), model_for("paid")) == ("gpt-4o-mini", "gpt-4o")


def test_budget_switches_model_once_spent(routed, stack: SdkStack) -> None:
    """0.0001 USD per team per hour; each answer costs 0.00006 here (cf-aig-custom-cost)."""
    cf, client = routed
    create_route(cf, stack, "budget", elements("budget"))
    headers = {"cf-aig-metadata": json.dumps({"team": "e2e"}),
               "cf-aig-custom-cost": json.dumps({"total_cost": 0.00006})}
    models = [client.chat.completions.with_raw_response.create(
        model="dynamic/budget", messages=HELLO, extra_headers=headers).headers["cf-aig-model"]
        for _ in range(3)]
    assert models == ["gpt-4o", "gpt-4o", "gpt-4o-mini"]
