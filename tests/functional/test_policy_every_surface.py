"""Every control of the policy stage acts on every surface (passthrough, a universal step,
compat chat, compat embeddings): cache, gateway rate limit, stored-key rate limit, spend
limits, retries. A control one surface can bypass is a bug, so each test runs on all four."""

from __future__ import annotations

import re

from tests.fakes import credentials as keys
from tests.functional.inference_support import make_gateway
from tests.functional.policy_support import Surface, log_records, update_gateway

SPEND_RULE = {"id": "a1b2c3d4", "limit": 0.00000001, "limitType": "cost", "window": 3600,
              "technique": "fixed"}


def test_cache_miss_then_hit_with_one_upstream_call(surface: Surface, inference, compat,
                                                    management, admin_headers, account, oai,
                                                    capsys):
    make_gateway(management, account, admin_headers, cache_ttl=300)

    first = surface.send(inference, compat, account)
    second = surface.send(inference, compat, account)

    assert first.status_code == second.status_code == 200, second.text
    assert first.headers["cf-aig-cache-status"] == "MISS"
    assert second.headers["cf-aig-cache-status"] == "HIT"
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    assert len(oai.recorder.requests) == 1
    records = log_records(capsys.readouterr().out)
    assert [r["cached"] for r in records] == [False, True]
    assert records[0]["cost"] and records[1]["cost"] == 0  # a hit costs nothing


def test_skip_cache_neither_reads_nor_writes(surface: Surface, inference, compat, management,
                                             admin_headers, account, oai):
    make_gateway(management, account, admin_headers, cache_ttl=300)
    skip = {"cf-aig-skip-cache": "true"}

    first = surface.send(inference, compat, account, headers=skip)
    assert "cf-aig-cache-status" not in first.headers
    assert surface.send(inference, compat, account).headers["cf-aig-cache-status"] == "MISS"
    assert "cf-aig-cache-status" not in surface.send(inference, compat, account,
                                                     headers=skip).headers
    assert len(oai.recorder.requests) == 3


def test_cache_key_header_caches_on_a_gateway_without_cache(surface: Surface, inference, compat,
                                                            management, admin_headers, account,
                                                            oai):
    make_gateway(management, account, admin_headers)  # cache_ttl 0
    plain = surface.send(inference, compat, account)
    assert "cf-aig-cache-status" not in plain.headers

    keyed = {"cf-aig-cache-key": "greeting-1"}
    assert surface.send(inference, compat, account, headers=keyed).headers[
        "cf-aig-cache-status"] == "MISS"
    # The custom key replaces the request part: a different body still hits.
    again = surface.send(inference, compat, account, headers=keyed, user="someone-else")
    assert again.headers["cf-aig-cache-status"] == "HIT"
    assert len(oai.recorder.requests) == 2


def test_gateway_rate_limit_refuses_with_2003_and_retry_after(surface: Surface, inference,
                                                              compat, management, admin_headers,
                                                              account, oai):
    make_gateway(management, account, admin_headers, rate_limiting_limit=2,
                 rate_limiting_interval=60)

    answers = [surface.send(inference, compat, account) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert surface.code_of(answers[2]) == 2003
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60
    assert len(oai.recorder.requests) == 2


def test_stored_key_rate_limit_counts_requests_that_use_the_key(surface: Surface, inference,
                                                                compat, management,
                                                                admin_headers, account, oai):
    make_gateway(management, account, admin_headers)
    resp = management.post(
        f"/client/v4/accounts/{account}/ai-gateway/gateways/gw/provider_configs",
        json={"provider_slug": "openai", "alias": "default", "secret": keys.OPENAI_KEY,
              "default_config": True, "rate_limit": 1, "rate_limit_period": 60},
        headers=admin_headers)
    assert resp.status_code == 200, resp.text

    used = surface.send(inference, compat, account, key=False)
    refused = surface.send(inference, compat, account, key=False)
    own_key = surface.send(inference, compat, account)  # the client's key is not limited

    assert used.status_code == 200, used.text
    assert refused.status_code == 429 and surface.code_of(refused) == 2003
    assert "stored 'openai' key 'default'" in refused.text
    assert own_key.status_code == 200
    assert len(oai.recorder.requests) == 2


def test_spend_limit_charges_the_answer_and_refuses_the_next(surface: Surface, inference,
                                                             compat, management, admin_headers,
                                                             account, oai, capsys):
    make_gateway(management, account, admin_headers,
                 spend_limits={"enabled": True, "rules": [SPEND_RULE]})

    first = surface.send(inference, compat, account)
    second = surface.send(inference, compat, account)

    assert first.status_code == 200, first.text
    assert second.status_code == 429 and surface.code_of(second) == 2041
    message = re.sub(r"\s+", " ", second.text)
    assert ("Spend limit exceeded: rule 'a1b2c3d4' (cost limit 1e-08 per 3600s, fixed) for "
            f"openai {surface.model}") in message
    assert len(oai.recorder.requests) == 1
    assert log_records(capsys.readouterr().out)[0]["cost"] > 0


def test_spend_rule_filtered_to_another_provider_does_not_apply(surface: Surface, inference,
                                                                compat, management,
                                                                admin_headers, account, oai):
    rule = {**SPEND_RULE, "provider": {"mode": "filter", "values": ["anthropic"]}}
    make_gateway(management, account, admin_headers,
                 spend_limits={"enabled": True, "rules": [rule]})

    assert [surface.send(inference, compat, account).status_code for _ in range(3)] == [200] * 3


def test_spend_partition_gives_each_metadata_value_its_own_budget(surface: Surface, inference,
                                                                  compat, management,
                                                                  admin_headers, account, oai):
    rule = {**SPEND_RULE, "metadata": {"team": {"mode": "partition"}}}
    make_gateway(management, account, admin_headers,
                 spend_limits={"enabled": True, "rules": [rule]})

    def team(name: str) -> dict[str, str]:
        return {"cf-aig-metadata": f'{{"team": "{name}"}}'}

    assert surface.send(inference, compat, account, headers=team("red")).status_code == 200
    assert surface.send(inference, compat, account, headers=team("red")).status_code == 429
    assert surface.send(inference, compat, account, headers=team("blue")).status_code == 200


def test_retries_a_503_until_success(surface: Surface, inference, compat, management,
                                     admin_headers, account, oai):
    make_gateway(management, account, admin_headers)
    overloaded = {"error": {"message": "overloaded", "type": "server_error"}}
    oai.control.fail_next += [(503, overloaded), (503, overloaded)]

    resp = surface.send(inference, compat, account,
                        headers={"cf-aig-max-attempts": "3", "cf-aig-retry-delay": "0"})

    assert resp.status_code == 200, resp.text
    assert len(oai.recorder.requests) == 3


def test_update_with_cache_invalidate_on_update_drops_cached_answers(surface: Surface, inference,
                                                                     compat, management,
                                                                     admin_headers, account,
                                                                     oai):
    gateway = make_gateway(management, account, admin_headers, cache_ttl=300,
                           cache_invalidate_on_update=True)
    assert surface.send(inference, compat, account).headers["cf-aig-cache-status"] == "MISS"
    assert surface.send(inference, compat, account).headers["cf-aig-cache-status"] == "HIT"

    update_gateway(management, account, admin_headers, gateway, collect_logs=False)

    assert surface.send(inference, compat, account).headers["cf-aig-cache-status"] == "MISS"
    assert len(oai.recorder.requests) == 2
