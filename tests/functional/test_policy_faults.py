"""Faults around the policy stage: the counters and cache tables throttling, failing, unreachable
or stalled (a proxy in front of moto fails their requests), and upstreams that answer garbage.
Each gets the right answer, a log line, and the gateway keeps serving."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from aigw.stores import aws
from aigw.stores.counters import counters
from aigw.stores.response_cache import response_cache
from tests.fakes.dynamodb_faults import DynamoDBFaults
from tests.functional.inference_support import make_gateway
from tests.functional.policy_support import Surface

SPEND_RULE = {"id": "0badf00d", "limit": 0.00000001, "window": 3600}


@pytest.fixture
def faults(local_stack, gateway_env) -> Iterator[DynamoDBFaults]:
    proxy = DynamoDBFaults(upstream=local_stack.moto.endpoint).start()  # type: ignore[attr-defined]
    gateway_env.set("AWS_ENDPOINT_URL", proxy.endpoint)
    aws.reset_clients()
    yield proxy
    proxy.stop()
    gateway_env.set("AWS_ENDPOINT_URL", local_stack.moto.endpoint)  # type: ignore[attr-defined]
    aws.reset_clients()


@pytest.mark.parametrize("mode", ["throttle", "error", "reset"])
def test_counters_table_failing_fails_open_logged_and_counted(surface: Surface, inference,
                                                              compat, management, admin_headers,
                                                              account, oai, faults, mode,
                                                              caplog):
    make_gateway(management, account, admin_headers, rate_limiting_limit=1,
                 rate_limiting_interval=60,
                 spend_limits={"enabled": True, "rules": [SPEND_RULE]})
    faults.failing_tables, faults.mode = {"CountersTable"}, mode
    caplog.set_level(logging.ERROR, "aigw")

    answers = [surface.send(inference, compat, account) for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3  # no limit could be counted
    assert counters().failures >= 3
    assert "counters table update failed" in caplog.text and "failing open" in caplog.text
    assert sum(faults.hits.values()) >= 3

    faults.failing_tables = set()  # the table is back: limits apply again
    assert surface.send(inference, compat, account).status_code == 200
    assert surface.send(inference, compat, account).status_code == 429


def test_counters_table_failing_refuses_when_configured_to_fail_closed(inference, management,
                                                                      admin_headers, account,
                                                                      oai, faults, gateway_env):
    from tests.functional.policy_support import SURFACES

    gateway_env.set("AIGW_LIMITS_FAIL_OPEN", "false")
    make_gateway(management, account, admin_headers, rate_limiting_limit=5,
                 rate_limiting_interval=60)
    faults.failing_tables = {"CountersTable"}

    resp = SURFACES[0].send(inference, None, account)

    assert resp.status_code == 429 and resp.json()["error"][0]["code"] == 2003
    assert oai.recorder.requests == []


@pytest.mark.parametrize("mode", ["throttle", "reset"])
def test_cache_table_failing_is_bypassed_and_logged(surface: Surface, inference, compat,
                                                   management, admin_headers, account, oai,
                                                   faults, mode, caplog):
    make_gateway(management, account, admin_headers, cache_ttl=300)
    faults.failing_tables, faults.mode = {"CacheTable"}, mode
    caplog.set_level(logging.ERROR, "aigw")

    answers = [surface.send(inference, compat, account) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    assert [a.headers["cf-aig-cache-status"] for a in answers] == ["MISS", "MISS"]
    assert len(oai.recorder.requests) == 2
    assert faults.hits["GetItem"] >= 2 and faults.hits["PutItem"] >= 2
    assert response_cache().failures >= 4
    assert "cache table read failed" in caplog.text and "cache table write failed" in caplog.text


def test_a_stalled_cache_table_costs_a_bounded_wait_not_the_request(inference, management,
                                                                   admin_headers, account, oai,
                                                                   faults):
    from tests.functional.policy_support import SURFACES

    make_gateway(management, account, admin_headers, cache_ttl=300)
    faults.failing_tables, faults.mode, faults.stall_s = {"CacheTable"}, "stall", 1.5

    resp = SURFACES[0].send(inference, None, account)

    assert resp.status_code == 200 and resp.headers["cf-aig-cache-status"] == "MISS"


def test_upstream_timeout_is_504_on_every_surface(surface: Surface, inference, compat,
                                                  management, admin_headers, account, oai):
    make_gateway(management, account, admin_headers)
    oai.control.delay_first_byte_s = 1.0

    resp = surface.send(inference, compat, account, headers={"cf-aig-request-timeout": "100"})

    assert resp.status_code == 504 and surface.code_of(resp) == 2006
    oai.control.delay_first_byte_s = 0
    assert surface.send(inference, compat, account).status_code == 200  # still serving
