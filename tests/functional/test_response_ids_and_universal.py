"""`cf-aig-log-id` and `cf-aig-event-id` on every answer, and the universal endpoint: steps in
order, the next one on error or timeout, `cf-aig-step` naming the step that answered, step
headers over request headers, malformed steps refused in the envelope."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from typing import Any

import pytest

from aigw import ids
from tests.fakes import credentials as keys
from tests.functional.inference_support import assert_gateway_error, gw_path, make_gateway

LOG_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # ULID: Crockford base32
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "claude-sonnet-4-5", "max_tokens": 16,
            "messages": [{"role": "user", "content": "hi"}]}
OPENAI_STEP = {"provider": "openai", "endpoint": "chat/completions",
               "headers": {"authorization": f"Bearer {keys.OPENAI_KEY}"}, "query": CHAT}
ANTHROPIC_STEP = {"provider": "anthropic", "endpoint": "v1/messages",
                  "headers": {"x-api-key": keys.ANTHROPIC_KEY,
                              "anthropic-version": "2023-06-01"}, "query": MESSAGES}


def id_time_ms(log_id: str) -> int:
    value = 0
    for c in log_id[:10]:
        value = value * 32 + CROCKFORD.index(c)
    return value


# ---------------------------------------------------------------- ids on every answer


ANSWERS = {
    "success": lambda c, a: c.post(gw_path(a, "openai", "/chat/completions"), json=CHAT,
                                   headers={"authorization": f"Bearer {keys.OPENAI_KEY}"}),
    "upstream error": lambda c, a: c.post(gw_path(a, "openai", "/chat/completions"), json=CHAT,
                                          headers={"authorization": "Bearer sk-wrong"}),
    "gateway error": lambda c, a: c.post(gw_path(a, "openai", "/x", gateway="nope"), json={}),
    "unknown provider": lambda c, a: c.post(gw_path(a, "not-a-provider", "/x"), json={}),
    "unknown route": lambda c, a: c.get("/v2/not/a/route"),
    "wrong method": lambda c, a: c.get(f"/v1/{a}/gw"),
    "universal": lambda c, a: c.post(f"/v1/{a}/gw", json=[OPENAI_STEP]),
}


@pytest.mark.parametrize("kind", sorted(ANSWERS))
def test_every_answer_carries_a_log_id_and_an_event_id(inference, account, gateway, oai, kind):
    before_ms = int(time.time() * 1000)
    resp = ANSWERS[kind](inference, account)

    log_id = resp.headers.get("cf-aig-log-id", "")
    assert LOG_ID.fullmatch(log_id), (kind, resp.status_code, dict(resp.headers))
    assert before_ms <= id_time_ms(log_id) <= int(time.time() * 1000)  # made during the request
    assert resp.headers["cf-aig-event-id"] == log_id


def test_client_event_id_is_echoed_on_success_and_error(inference, account, gateway, oai):
    ok = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                        headers={"authorization": f"Bearer {keys.OPENAI_KEY}",
                                 "cf-aig-event-id": "order-4711"})
    failed = inference.post(gw_path(account, "openai", "/chat/completions", gateway="nope"),
                            json=CHAT, headers={"cf-aig-event-id": "order-4712"})

    assert ok.status_code == 200 and ok.headers["cf-aig-event-id"] == "order-4711"
    assert failed.status_code == 400 and failed.headers["cf-aig-event-id"] == "order-4712"
    assert ok.headers["cf-aig-log-id"] != "order-4711"
    assert "cf-aig-event-id" not in oai.recorder.last.headers


def test_sequential_log_ids_sort_in_request_order(inference, account, gateway, oai):
    first = chat_id(inference, account)
    second = chat_id(inference, account)
    assert first < second


def test_log_ids_sort_in_request_order_within_one_millisecond(inference, account, monkeypatch):
    """Fast answers (an unknown route, a cache hit) can share a millisecond."""
    monkeypatch.setattr(ids, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    got = [inference.get(f"/v2/unknown/{n}").headers["cf-aig-log-id"] for n in range(30)]

    assert len(set(got)) == len(got)
    assert got == sorted(got)
    assert {id_time_ms(i) for i in got} == {1_800_000_000_000}


def chat_id(inference, account: str) -> str:
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={"authorization": f"Bearer {keys.OPENAI_KEY}"})
    assert resp.status_code == 200
    return resp.headers["cf-aig-log-id"]


# ---------------------------------------------------------------- universal endpoint


def universal(inference, account: str, steps: Any, headers: dict[str, str] | None = None):  # noqa: ANN201
    return inference.post(f"/v1/{account}/gw", json=steps, headers=headers or {})


def test_first_step_that_succeeds_answers_as_step_0(inference, account, gateway, oai, claude):
    resp = universal(inference, account, [OPENAI_STEP, ANTHROPIC_STEP])

    assert resp.status_code == 200, resp.text
    assert resp.headers["cf-aig-step"] == "0" and resp.json()["object"] == "chat.completion"
    assert claude.recorder.requests == []
    got = oai.recorder.last
    assert got.path == "/v1/chat/completions" and got.json() == CHAT


def test_step_0_failing_with_503_falls_back_to_step_1(inference, account, gateway, oai, claude):
    oai.control.fail_next.append((503, {"error": {"message": "overloaded"}}))

    resp = universal(inference, account, [OPENAI_STEP, ANTHROPIC_STEP])

    assert resp.status_code == 200, resp.text
    assert resp.headers["cf-aig-step"] == "1" and resp.json()["type"] == "message"
    assert len(oai.recorder.requests) == 1 and len(claude.recorder.requests) == 1


def test_step_0_timing_out_falls_back_to_step_1(inference, account, gateway, oai, claude):
    oai.control.delay_first_byte_s = 1.0
    slow = {**OPENAI_STEP, "config": {"requestTimeout": 150}}

    resp = universal(inference, account, [slow, ANTHROPIC_STEP])

    assert resp.status_code == 200, resp.text
    assert resp.headers["cf-aig-step"] == "1"


def test_step_0_gateway_error_falls_back_to_step_1(inference, account, gateway, claude):
    keyless = {"provider": "openai", "endpoint": "chat/completions", "query": CHAT}

    resp = universal(inference, account, [keyless, ANTHROPIC_STEP])

    assert resp.status_code == 200 and resp.headers["cf-aig-step"] == "1"


def test_when_every_step_fails_the_last_answer_is_returned(inference, account, gateway, oai,
                                                          claude):
    oai.control.fail_next.append((503, {"error": {"message": "overloaded"}}))
    last = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    claude.control.fail_next.append((529, last))

    resp = universal(inference, account, [OPENAI_STEP, ANTHROPIC_STEP])

    assert resp.status_code == 529 and resp.json() == last
    assert resp.headers["cf-aig-step"] == "1"


def test_step_headers_take_precedence_over_request_headers(inference, account, gateway, oai):
    oai.control.delay_first_byte_s = 0.5
    request_headers = {"authorization": "Bearer sk-request-level-wrong",
                       "cf-aig-request-timeout": "100", "x-trace": "from-request"}
    step = {**OPENAI_STEP, "config": {"requestTimeout": 5000}}

    resp = universal(inference, account, [step], request_headers)

    assert resp.status_code == 200, resp.text
    got = oai.recorder.last.headers
    assert got["authorization"] == f"Bearer {keys.OPENAI_KEY}"
    assert got["x-trace"] == "from-request"  # request headers still apply where steps are silent


def test_request_headers_apply_to_steps_that_do_not_override_them(inference, account, gateway,
                                                                  oai, claude):
    oai.control.delay_first_byte_s = 1.0

    resp = universal(inference, account, [OPENAI_STEP, ANTHROPIC_STEP],
                     {"cf-aig-request-timeout": "150"})

    assert resp.status_code == 200 and resp.headers["cf-aig-step"] == "1"


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b"{}", b'"steps"', b"[1]", b"null",
    b'[{"endpoint": "chat/completions"}]',
    b'[{"provider": "openai"}]',
    b'[{"provider": "", "endpoint": "x"}]',
    b'[{"provider": "openai", "endpoint": "x", "headers": {"a": 1}}]',
    b'[{"provider": "openai", "endpoint": "x", "headers": ["a"]}]',
    b'[{"provider": "openai", "endpoint": "x", "config": {"maxAttempts": 9}}]',
    b'[{"provider": "openai", "endpoint": "x", "config": {"backoff": "wild"}}]',
])
def test_malformed_steps_are_400_in_the_envelope(inference, account, gateway, oai, body):
    resp = inference.post(f"/v1/{account}/gw", content=body,
                          headers={"content-type": "application/json"})

    assert_gateway_error(resp, 400)
    assert oai.recorder.requests == []


def test_gateway_wide_failures_answer_before_any_step(inference, management, admin_headers,
                                                      account, oai, claude):
    make_gateway(management, account, admin_headers, id="locked", authentication=True)

    denied = inference.post(f"/v1/{account}/locked", json=[OPENAI_STEP, ANTHROPIC_STEP],
                            headers={"cf-aig-authorization": "Bearer wrong"})
    unknown = inference.post(f"/v1/{account}/nope", json=[OPENAI_STEP, ANTHROPIC_STEP])

    assert_gateway_error(denied, 401, 2009)
    assert_gateway_error(unknown, 400, 2001)
    assert oai.recorder.requests == [] and claude.recorder.requests == []
