"""`cf-aig-*` headers: parsing, ranges, precedence over gateway settings, backoff shapes."""

from __future__ import annotations

import pytest

from aigw.errors import InvalidRequest
from aigw.request_options import RetryPolicy, effective_retry, parse_request_options


def test_defaults_when_no_headers():
    o = parse_request_options({})
    assert o.request_timeout_ms is None and o.collect_log_payload is True and o.metadata == {}


def test_metadata_keeps_five_scalar_entries_and_drops_cf_keys():
    raw = '{"cf.x": 1, "a": 1, "b": "2", "c": true, "nested": {}, "d": 1.5, "e": 5, "f": 6}'
    assert parse_request_options({"cf-aig-metadata": raw}).metadata == {
        "a": 1, "b": "2", "c": True, "d": 1.5, "e": 5}


@pytest.mark.parametrize("headers", [
    {"cf-aig-request-timeout": "soon"}, {"cf-aig-request-timeout": "0"},
    {"cf-aig-max-attempts": "6"}, {"cf-aig-retry-delay": "5001"},
    {"cf-aig-backoff": "wild"}, {"cf-aig-metadata": "[1]"}, {"cf-aig-metadata": "{"},
    {"cf-aig-cache-ttl": "59"}, {"cf-aig-skip-cache": "yes"},
    {"cf-aig-custom-cost": '{"per_token_in": -1}'}, {"cf-aig-custom-cost": '{"bogus": 1}'},
])
def test_bad_values_are_invalid_requests(headers):
    with pytest.raises(InvalidRequest):
        parse_request_options(headers)


def test_request_headers_override_gateway_retry_settings():
    gateway = {"retry_max_attempts": 3, "retry_delay": 100, "retry_backoff": "linear"}
    assert effective_retry(parse_request_options({}), gateway) == RetryPolicy(3, 100, "linear")
    o = parse_request_options({"cf-aig-max-attempts": "2", "cf-aig-retry-delay": "0",
                               "cf-aig-backoff": "exponential"})
    assert effective_retry(o, gateway) == RetryPolicy(2, 0, "exponential")


@pytest.mark.parametrize(("backoff", "delays"), [
    ("constant", [0.1, 0.1, 0.1]), ("linear", [0.1, 0.2, 0.3]),
    ("exponential", [0.1, 0.2, 0.4])])
def test_backoff_shapes(backoff, delays):
    policy = RetryPolicy(4, 100, backoff)
    assert [policy.delay_before(a) for a in (2, 3, 4)] == pytest.approx(delays)
