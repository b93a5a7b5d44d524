"""OpenTelemetry export against a local OTLP receiver that decodes what it gets (protobuf via
opentelemetry-proto, and OTLP/JSON): span attributes, trace context, exporter headers, the
egress policy and failures; a canary credential never reaches a span."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from aigw import otel_export
from aigw.config import get_settings
from tests.fakes.otlp_receiver import OtlpReceiver

CANARY = "sk-canary-5e4d3c2b1a0f9e8d7c6b"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def record(**extra: Any) -> dict[str, Any]:
    return {"id": "01JZ0000000000000000000001", "created_at": "2026-11-30T10:00:00.250Z",
            "account_id": "acct", "gateway_id": "gw", "provider": "anthropic",
            "model": "claude-sonnet-4-5", "model_type": "chat", "path": "/v1/acct/gw/compat/x",
            "method": "POST", "success": True, "status_code": 200, "duration": 120,
            "tokens_in": 3100, "tokens_out": 300, "cached_tokens": 1000,
            "cache_write_tokens": 2000, "cost": 0.0126, "metadata": {"user": "u-1", "n": 7},
            **extra}


@pytest.fixture
def private_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AIGW_EGRESS_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


@pytest.mark.parametrize("content_type", ["json", "protobuf"])
def test_each_record_arrives_as_a_gen_ai_span(receiver, private_allowed, content_type):
    exporter = {"url": receiver.url, "content_type": content_type,
                "headers": {"x-team": "obs"}, "authorization": f"Bearer {CANARY}"}
    outcome = otel_export.export(
        [record(otel_trace_id=TRACE, otel_parent_span_id=PARENT,
                request_head='{"messages":[]}', response_head='{"id":"x"}')],
        {("acct", "gw"): {"otel": [exporter]}})
    assert outcome.spans == 1
    [span] = receiver.spans
    assert span.content_type == ("application/x-protobuf" if content_type == "protobuf"
                                 else "application/json")
    assert span.headers["x-team"] == "obs" and span.headers["authorization"] == f"Bearer {CANARY}"
    assert (span.trace_id, span.parent_span_id) == (TRACE, PARENT)
    assert span.name == "chat claude-sonnet-4-5" and span.kind == 3  # SPAN_KIND_CLIENT
    a = span.attributes
    assert a["gen_ai.request.model"] == "claude-sonnet-4-5"
    assert a["gen_ai.model.provider"] == "anthropic" and a["gen_ai.provider.name"] == "anthropic"
    assert a["gen_ai.operation.name"] == "chat"
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (3100, 300)
    assert a["gen_ai.usage.cache_read.input_tokens"] == 1000
    assert a["gen_ai.usage.cache_creation.input_tokens"] == 2000
    assert a["gen_ai.usage.cost"] == pytest.approx(0.0126)
    assert a["gen_ai.prompt_json"] == '{"messages":[]}'
    assert a["gen_ai.completion_json"] == '{"id":"x"}'
    assert a["user"] == "u-1" and a["n"] == 7 and a["aigw.log_id"] == record()["id"]
    assert not any(CANARY in json.dumps(v) for v in a.values())


def test_without_trace_context_ids_derive_from_the_log_id(receiver, private_allowed):
    gateways = {("acct", "gw"): {"otel": [{"url": receiver.url}]}}
    otel_export.export([record(success=False, status_code=502)], gateways)
    otel_export.export([record(success=False, status_code=502)], gateways)  # redelivered
    first, second = receiver.spans
    assert first.parent_span_id == "" and len(first.trace_id) == 32
    assert (first.trace_id, first.span_id) == (second.trace_id, second.span_id)
    assert first.status_code == 2  # STATUS_CODE_ERROR


def test_reserved_metadata_keys_and_gateways_without_exporters(receiver, private_allowed):
    otel_export.export([record(metadata={"gen_ai.request.model": "spoofed"}),
                        record(gateway_id="quiet")],
                       {("acct", "gw"): {"otel": [{"url": receiver.url}]},
                        ("acct", "quiet"): {"otel": []}})
    [span] = receiver.spans
    assert span.attributes["gen_ai.request.model"] == "claude-sonnet-4-5"


def test_a_failing_exporter_is_raised_after_the_others_ran(receiver, private_allowed):
    with OtlpReceiver() as broken:
        broken.status = 400
        with pytest.raises(otel_export.ExportFailed):
            otel_export.export([record()], {("acct", "gw"): {"otel": [
                {"url": broken.url}, {"url": receiver.url}]}})
    assert len(receiver.spans) == 1


def test_egress_policy_refuses_loopback_and_names_that_resolve_to_it(receiver, monkeypatch):
    get_settings.cache_clear()  # private addresses not allowed (the default)
    with pytest.raises(otel_export.ExportFailed):
        otel_export.export([record()], {("acct", "gw"): {"otel": [{"url": receiver.url}]}})
    # A public-looking name whose DNS answer is loopback is refused when connecting.
    port = int(receiver.url.split(":")[2].split("/")[0])
    real = socket.getaddrinfo

    def fake_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "collector.example.com" else host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with pytest.raises(otel_export.ExportFailed):
        otel_export.export([record()], {("acct", "gw"): {"otel": [
            {"url": f"https://collector.example.com:{port}/v1/traces"}]}})
    assert receiver.spans == []


# ------------------------------------------------- gateway config -> request -> ingest -> span


def test_gateway_otel_exporters_receive_the_requests_span(
        management, admin_headers, inference, oai, account, receiver, private_allowed,
        gateway_env, capsys):
    from aigw.ingest import ingest_lines
    from tests.fakes import credentials as keys
    from tests.functional.inference_support import gw_path, make_gateway

    make_gateway(management, account, admin_headers, otel=[
        {"url": receiver.url, "content_type": "protobuf", "headers": {"x-team": "obs"}}])
    capsys.readouterr()
    resp = inference.post(gw_path(account, "openai", "/chat/completions"),
                          json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
                          headers={"authorization": f"Bearer {keys.OPENAI_KEY}",
                                   "cf-aig-otel-trace-id": TRACE.upper(),
                                   "cf-aig-otel-parent-span-id": PARENT,
                                   "cf-aig-metadata": json.dumps({"team": "search"})})
    assert resp.status_code == 200
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith('{"aigw_log"')]
    assert ingest_lines(lines).stored == 1
    [span] = receiver.spans
    assert (span.trace_id, span.parent_span_id) == (TRACE, PARENT)
    assert span.attributes["gen_ai.request.model"] == "gpt-4o"
    assert span.attributes["gen_ai.usage.input_tokens"] > 0
    assert span.attributes["gen_ai.usage.cost"] > 0 and span.attributes["team"] == "search"
    assert keys.OPENAI_KEY not in json.dumps(span.attributes)


@pytest.mark.parametrize(("trace", "parent"), [("xyz", PARENT), ("0" * 32, "0" * 16),
                                               (TRACE + "00", "12")])
def test_malformed_trace_context_is_ignored(inference, oai, account, gateway, capsys,
                                            trace, parent):
    from tests.fakes import credentials as keys
    from tests.functional.inference_support import gw_path

    capsys.readouterr()
    inference.post(gw_path(account, "openai", "/chat/completions"),
                   json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
                   headers={"authorization": f"Bearer {keys.OPENAI_KEY}",
                            "cf-aig-otel-trace-id": trace, "cf-aig-otel-parent-span-id": parent})
    [line] = [json.loads(line)["aigw_log"] for line in capsys.readouterr().out.splitlines()
              if line.startswith('{"aigw_log"')]
    assert (line["otel_trace_id"], line["otel_parent_span_id"]) == (None, None)


def test_exporter_urls_follow_the_egress_policy_when_saved(management, admin_headers, account):
    from tests.functional.inference_support import api

    get_settings.cache_clear()
    base = {"id": "otelgw", "cache_invalidate_on_update": False, "cache_ttl": 0,
            "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0}
    for url in ("http://collector.example.com/v1/traces", "https://127.0.0.1/v1/traces",
                "https://user:pw@collector.example.com/v1/traces"):
        resp = management.post(api(account, "/gateways"), headers=admin_headers,
                               json={**base, "otel": [{"url": url}]})
        assert resp.status_code == 400, (url, resp.text)
    ok = management.post(api(account, "/gateways"), headers=admin_headers, json={
        **base, "otel": [{"url": "https://collector.example.com/v1/traces",
                          "content_type": "protobuf"}]})
    assert ok.status_code == 200, ok.text


def test_exporter_credentials_are_previews_in_answers_and_kept_on_put(
        management, admin_headers, account, private_allowed):
    from aigw.stores.config_store import config_store
    from tests.functional.inference_support import api

    exporter = {"url": "https://collector.example.com/v1/traces",
                "headers": {"x-api-key": CANARY}, "authorization": f"Bearer {CANARY}"}
    base = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
            "rate_limiting_interval": 0, "rate_limiting_limit": 0}
    created = management.post(api(account, "/gateways"), headers=admin_headers,
                               json={**base, "id": "withotel", "otel": [exporter]})
    assert created.status_code == 200, created.text
    shown = management.get(api(account, "/gateways/withotel"), headers=admin_headers).json()
    listed = management.get(api(account, "/gateways"), headers=admin_headers).text
    for text in (created.text, json.dumps(shown), listed):
        assert CANARY not in text
    # PUT back what GET showed: the stored credentials stay as they were.
    put = management.put(api(account, "/gateways/withotel"), headers=admin_headers,
                         json={**base, "otel": shown["result"]["otel"]})
    assert put.status_code == 200 and CANARY not in put.text
    stored = config_store().gateways.get(account, "withotel")
    assert stored["otel"][0]["authorization"] == f"Bearer {CANARY}"
    assert stored["otel"][0]["headers"] == {"x-api-key": CANARY}
