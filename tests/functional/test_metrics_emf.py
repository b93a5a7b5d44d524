"""Every data-plane request publishes its counts as one CloudWatch EMF line (Powertools
Metrics) on stdout: the same figures as its log record, low-cardinality dimensions only, and
no credential ever in it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes import credentials as keys
from tests.functional.inference_support import gw_path

CANARY = "sk-canary-9f8e7d6c5b4a39281706"


def lines(out: str, prefix: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith(prefix)]


def emf_for(out: str) -> list[dict[str, Any]]:
    return lines(out, '{"_aws"')


def test_a_request_publishes_the_same_counts_as_its_record(inference, oai, account, gateway,
                                                           capsys):
    capsys.readouterr()
    resp = inference.post(gw_path(account, "openai", "/chat/completions"),
                          json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
                          headers={"authorization": f"Bearer {keys.OPENAI_KEY}"})
    assert resp.status_code == 200
    out = capsys.readouterr().out
    [record] = [r["aigw_log"] for r in lines(out, '{"aigw_log"')]
    [emf] = emf_for(out)
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "aigw"
    assert sorted(directive["Dimensions"][0]) == ["Provider", "Surface", "service"]
    assert (emf["Provider"], emf["Surface"]) == ("openai", "passthrough")
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert units["Latency"] == "Milliseconds" and units["TokensIn"] == "Count"

    def value(name: str) -> float:
        return float(emf[name][0]) if isinstance(emf[name], list) else float(emf[name])
    assert value("Requests") == 1 and value("Errors") == 0 and value("CacheHits") == 0
    assert value("TokensIn") == record["tokens_in"] and value("TokensOut") == record["tokens_out"]
    assert value("Cost") == pytest.approx(record["cost"])
    assert value("Latency") == record["duration"]
    assert value("TimeToFirstByte") == record["time_to_first_byte"]


def test_uncollected_and_failed_requests_are_still_counted(inference, oai, account, gateway,
                                                           capsys):
    capsys.readouterr()
    resp = inference.post(gw_path(account, "not-a-provider", "/x"), json={},
                          headers={"cf-aig-collect-log": "false"})
    assert resp.status_code == 400
    out = capsys.readouterr().out
    assert lines(out, '{"aigw_log"') == []
    [emf] = emf_for(out)
    assert emf["Provider"] == "none" and emf["Errors"] in (1, 1.0, [1.0])
    assert "TokensIn" not in emf and "Cost" not in emf  # unknown, not 0


def test_a_canary_key_never_reaches_a_metric(inference, oai, account, gateway, capsys):
    capsys.readouterr()
    for provider, headers in [("openai", {"authorization": f"Bearer {CANARY}"}),
                              (f"custom-{CANARY}", {"x-api-key": CANARY})]:
        inference.post(gw_path(account, provider, f"/chat/completions?key={CANARY}"),
                       json={"model": CANARY, "messages": []},
                       headers={**headers, "cf-aig-metadata": json.dumps({"k": CANARY})})
    out = capsys.readouterr().out
    emf = [line for line in out.splitlines() if line.startswith('{"_aws"')]
    assert len(emf) == 2
    assert not any(CANARY in line for line in emf)
