"""Kind 2 of issue 9: a request header repeated on several lines reaches the upstream whole.

`anthropic-beta: a-2024` and `anthropic-beta: b-2025` sent as two lines must both arrive — as
two lines, or joined with ", " as RFC 9110 5.3 allows — on passthrough, on the universal
endpoint and for custom providers. `cookie` lines are joined with "; " (RFC 6265 5.4), never
with a comma, which would change the pairs the server reads.
"""

from __future__ import annotations

import json

from tests.fakes import credentials as keys
from tests.functional.inference_support import api, gw_path

MESSAGES = {"model": "claude-sonnet-4-5", "max_tokens": 16,
            "messages": [{"role": "user", "content": "hello"}]}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}
BETAS = [("anthropic-beta", "a-2024"), ("anthropic-beta", "b-2025")]


def test_repeated_headers_reach_the_upstream_on_passthrough(inference, claude, account,
                                                            gateway):
    headers = [("x-api-key", keys.ANTHROPIC_KEY), ("anthropic-version", "2023-06-01"),
               ("content-type", "application/json"), *BETAS,
               ("x-tag", "one"), ("x-tag", "two"), ("x-tag", "three")]
    resp = inference.post(gw_path(account, "anthropic", "/v1/messages"),
                          content=json.dumps(MESSAGES).encode(), headers=headers)
    assert resp.status_code == 200, resp.text
    got = claude.recorder.last
    assert got.values("anthropic-beta") == ["a-2024", "b-2025"]
    assert got.values("x-tag") == ["one", "two", "three"]


def test_repeated_cookie_lines_are_joined_with_semicolons(inference, claude, account, gateway):
    headers = [("x-api-key", keys.ANTHROPIC_KEY), ("anthropic-version", "2023-06-01"),
               ("content-type", "application/json"), ("cookie", "a=1"), ("cookie", "b=2")]
    resp = inference.post(gw_path(account, "anthropic", "/v1/messages"),
                          content=json.dumps(MESSAGES).encode(), headers=headers)
    assert resp.status_code == 200, resp.text
    cookies = [v for n, v in claude.recorder.last.raw_headers if n == "cookie"]
    assert cookies in (["a=1; b=2"], ["a=1", "b=2"])


def test_repeated_headers_reach_the_upstream_on_universal(inference, claude, account, gateway):
    step = {"provider": "anthropic", "endpoint": "v1/messages", "query": MESSAGES,
            "headers": {"x-api-key": keys.ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}}
    resp = inference.post(f"/v1/{account}/{gateway}", content=json.dumps([step]).encode(),
                          headers=[("content-type", "application/json"), *BETAS])
    assert resp.status_code == 200, resp.text
    assert claude.recorder.last.values("anthropic-beta") == ["a-2024", "b-2025"]


def test_repeated_headers_reach_a_custom_provider(inference, management, upstreams, gateway_env,
                                                 account, admin_headers, gateway):
    made = management.post(api(account, "/custom-providers"),
                           json={"name": "Repeat LLM", "slug": "repeat",
                                 "base_url": "https://llm.repeat.example/v1", "enable": True},
                           headers=admin_headers)
    assert made.status_code == 200, made.text
    fake = upstreams.use("openai")
    gateway_env.set("AIGW_UPSTREAM_CUSTOM_REPEAT", fake.upstream_base)
    gateway_env.set("AIGW_EGRESS_ALLOW_PRIVATE", "true")
    resp = inference.post(gw_path(account, "custom-repeat", "/chat/completions"),
                          content=json.dumps(CHAT).encode(),
                          headers=[("authorization", f"Bearer {keys.OPENAI_KEY}"),
                                   ("content-type", "application/json"),
                                   ("x-feature", "alpha"), ("x-feature", "beta")])
    assert resp.status_code == 200, resp.text
    assert fake.recorder.last.values("x-feature") == ["alpha", "beta"]
