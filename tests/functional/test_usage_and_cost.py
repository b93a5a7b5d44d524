"""Every provider's answers give the log record its tokens and cost, streamed or not, on
passthrough and compat, against the fake upstreams.

The expected counts are what the same request answered without streaming reports (the fakes
are deterministic), read here with each provider's documented field names; the expected cost is
worked out by hand from the model's list price (USD per million tokens, genai-prices 0.2.3).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aigw_local.functions import load_function_module
from tests.fakes import credentials as keys
from tests.functional.inference_support import gw_path, store_key

Counts = tuple[int, int]
PROMPT = "count these few words"


def record(capsys: pytest.CaptureFixture[str], log_id: str) -> dict[str, Any]:
    found = [json.loads(line)["aigw_log"] for line in capsys.readouterr().out.splitlines()
             if line.startswith('{"aigw_log"') and log_id in line]
    assert len(found) == 1, found
    return found[0]


@dataclass
class Case:
    slug: str
    #: (path after the provider, body) for the JSON answer and for the stream.
    plain: tuple[str, dict[str, Any]]
    streamed: tuple[str, dict[str, Any]]
    #: (tokens_in, tokens_out) as the JSON answer reports them.
    counts: Callable[[Any], Counts]
    #: USD per million tokens: (input, output).
    price: tuple[float, float] | None
    headers: dict[str, str] = field(default_factory=dict)


def _chat(model: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": PROMPT}], **extra}


GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
GEMINI = "/v1beta/models/gemini-2.5-flash"
BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
BEDROCK = f"/bedrock-runtime/{keys.AWS_REGION}/model/{BEDROCK_MODEL.replace(':', '%3A')}"
INVOKE = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
          "messages": [{"role": "user", "content": PROMPT}]}
CONVERSE = {"messages": [{"role": "user", "content": [{"text": PROMPT}]}]}


def _openai_counts(a: Any) -> Counts:
    return a["usage"]["prompt_tokens"], a["usage"]["completion_tokens"]


def _anthropic_counts(a: Any) -> Counts:
    u = a["usage"]
    return (u["input_tokens"] + u.get("cache_read_input_tokens", 0)
            + u.get("cache_creation_input_tokens", 0), u["output_tokens"])


def _gemini_counts(a: Any) -> Counts:
    m = a["usageMetadata"]
    return m["promptTokenCount"], m["candidatesTokenCount"] + m.get("thoughtsTokenCount", 0)


PASSTHROUGH = [
    Case("openai", ("/chat/completions", _chat("gpt-4o")),
         ("/chat/completions", _chat("gpt-4o", stream=True)), _openai_counts, (2.5, 10.0),
         {"authorization": f"Bearer {keys.OPENAI_KEY}"}),
    Case("openai", ("/responses", {"model": "gpt-4o", "input": PROMPT}),
         ("/responses", {"model": "gpt-4o", "input": PROMPT, "stream": True}),
         lambda a: (a["usage"]["input_tokens"], a["usage"]["output_tokens"]), (2.5, 10.0),
         {"authorization": f"Bearer {keys.OPENAI_KEY}"}),
    Case("groq", ("/chat/completions", _chat("llama-3.1-8b-instant")),
         ("/chat/completions", _chat("llama-3.1-8b-instant", stream=True)), _openai_counts,
         (0.05, 0.08), {"authorization": f"Bearer {keys.GROQ_KEY}"}),
    Case("anthropic", ("/v1/messages", _chat("claude-sonnet-4-5", max_tokens=64)),
         ("/v1/messages", _chat("claude-sonnet-4-5", max_tokens=64, stream=True)),
         _anthropic_counts, (3.0, 15.0), {"x-api-key": keys.ANTHROPIC_KEY}),
    Case("google-ai-studio", (f"{GEMINI}:generateContent", GEMINI_BODY),
         (f"{GEMINI}:streamGenerateContent?alt=sse", GEMINI_BODY), _gemini_counts, (0.3, 2.5),
         {"x-goog-api-key": keys.GOOGLE_AI_STUDIO_KEY}),
    Case("google-ai-studio", (f"{GEMINI}:generateContent", GEMINI_BODY),
         (f"{GEMINI}:streamGenerateContent", GEMINI_BODY), _gemini_counts, (0.3, 2.5),
         {"x-goog-api-key": keys.GOOGLE_AI_STUDIO_KEY}),
    Case("cohere", ("/v2/chat", _chat("command-a-03-2025")),
         ("/v2/chat", _chat("command-a-03-2025", stream=True)),
         lambda a: (a["usage"]["billed_units"]["input_tokens"],
                    a["usage"]["billed_units"]["output_tokens"]), (2.5, 10.0),
         {"authorization": f"Bearer {keys.COHERE_KEY}"}),
    Case("workers-ai", ("/@cf/meta/llama-3.1-8b-instruct", {"prompt": PROMPT}),
         ("/@cf/meta/llama-3.1-8b-instruct", {"prompt": PROMPT, "stream": True}),
         lambda a: (a["result"]["usage"]["prompt_tokens"],
                    a["result"]["usage"]["completion_tokens"]), (0.282, 0.827),
         {"authorization": f"Bearer {keys.WORKERS_AI_KEY}"}),
    Case("aws-bedrock", (f"{BEDROCK}/invoke", INVOKE),
         (f"{BEDROCK}/invoke-with-response-stream", INVOKE), _anthropic_counts, (0.8, 4.0)),
    Case("aws-bedrock", (f"{BEDROCK}/converse", CONVERSE), (f"{BEDROCK}/converse-stream", CONVERSE),
         lambda a: (a["usage"]["inputTokens"], a["usage"]["outputTokens"]), (0.8, 4.0)),
]


@pytest.fixture
def stored_aws(management, admin_headers, account, gateway) -> None:
    store_key(management, account, admin_headers, "aws-bedrock", json.dumps(
        {"accessKeyId": keys.AWS_ACCESS_KEY_ID, "secretAccessKey": keys.AWS_SECRET_ACCESS_KEY,
         "region": keys.AWS_REGION}))


def _cost(price: tuple[float, float] | None, counts: Counts) -> float | None:
    return None if price is None else (counts[0] * price[0] + counts[1] * price[1]) / 1e6


@pytest.mark.parametrize("case", PASSTHROUGH,
                         ids=[f"{c.slug}-{c.streamed[0].rsplit('/', 1)[-1]}" for c in PASSTHROUGH])
def test_passthrough_records_tokens_and_cost_streamed_or_not(
        case, inference, upstreams, stored_aws, account, capsys):
    upstreams.use(case.slug)
    plain = inference.post(gw_path(account, case.slug, case.plain[0]), json=case.plain[1],
                           headers=case.headers)
    assert plain.status_code == 200, plain.text
    expected = case.counts(plain.json())
    assert all(expected), expected
    plain_log = record(capsys, plain.headers["cf-aig-log-id"])

    streamed = inference.post(gw_path(account, case.slug, case.streamed[0]),
                              json=case.streamed[1], headers=case.headers)
    assert streamed.status_code == 200, streamed.text
    stream_log = record(capsys, streamed.headers["cf-aig-log-id"])

    for log in (plain_log, stream_log):
        assert (log["tokens_in"], log["tokens_out"]) == expected, log
        assert log["cost"] == pytest.approx(_cost(case.price, expected), rel=1e-9), log
        assert log["model"]


def test_the_client_sees_no_usage_it_did_not_ask_for(inference, upstreams, account, gateway,
                                                    capsys):
    fake = upstreams.use("openai")
    resp = inference.post(gw_path(account, "openai", "/chat/completions"),
                          json=_chat("gpt-4o", stream=True),
                          headers={"authorization": f"Bearer {keys.OPENAI_KEY}"})
    assert resp.status_code == 200
    frames = [f[6:] for f in resp.text.split("\n\n") if f.startswith("data: ")]
    chunks = [json.loads(f) for f in frames if f != "[DONE]"]
    assert frames[-1] == "[DONE]" and chunks
    assert all("usage" not in c and c["choices"] for c in chunks)
    assert fake.recorder.last.json()["stream_options"] == {"include_usage": True}
    assert record(capsys, resp.headers["cf-aig-log-id"])["tokens_out"] > 0


def test_a_client_that_asked_for_usage_gets_it_untouched(inference, upstreams, account, gateway):
    upstreams.use("openai")
    body = _chat("gpt-4o", stream=True, stream_options={"include_usage": True})
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=body,
                          headers={"authorization": f"Bearer {keys.OPENAI_KEY}"})
    assert resp.content == upstreams.tap("openai").last.body
    assert '"choices":[],' in resp.text.replace(" ", "")


def test_custom_cost_and_unknown_models(inference, upstreams, account, gateway, capsys):
    upstreams.use("openai")
    auth = {"authorization": f"Bearer {keys.OPENAI_KEY}"}
    custom = inference.post(gw_path(account, "openai", "/chat/completions"),
                            json=_chat("gpt-4o"), headers={
                                **auth, "cf-aig-custom-cost": json.dumps(
                                    {"per_token_in": 0.001, "per_token_out": 0.002})})
    tokens = _openai_counts(custom.json())
    log = record(capsys, custom.headers["cf-aig-log-id"])
    assert log["custom_cost"] is True
    assert log["cost"] == pytest.approx(tokens[0] * 0.001 + tokens[1] * 0.002)
    unknown = inference.post(gw_path(account, "openai", "/chat/completions"),
                             json=_chat("gpt-unreleased-9"), headers=auth)
    log = record(capsys, unknown.headers["cf-aig-log-id"])
    assert log["tokens_in"] and log["cost"] is None


# ---------------------------------------------------------------------------------- compat


@pytest.fixture
def compat(local_stack) -> Iterator[TestClient]:
    with TestClient(load_function_module("compat").app, raise_server_exceptions=False) as c:
        yield c


COMPAT = [
    ("openai", "gpt-4o", (2.5, 10.0), keys.OPENAI_KEY),
    ("anthropic", "claude-sonnet-4-5", (3.0, 15.0), keys.ANTHROPIC_KEY),
    ("google-ai-studio", "gemini-2.5-flash", (0.3, 2.5), keys.GOOGLE_AI_STUDIO_KEY),
    ("cohere", "command-a-03-2025", (2.5, 10.0), keys.COHERE_KEY),
    ("workers-ai", "@cf/meta/llama-3.1-8b-instruct", (0.282, 0.827), keys.WORKERS_AI_KEY),
    ("aws-bedrock", BEDROCK_MODEL, (0.8, 4.0), None),
]


@pytest.mark.parametrize(("slug", "model", "price", "key"), COMPAT, ids=[c[0] for c in COMPAT])
@pytest.mark.parametrize("include_usage", [False, True])
def test_compat_streams_record_tokens_and_cost(compat, upstreams, stored_aws, account, capsys,
                                               slug, model, price, key, include_usage):
    upstreams.use(slug)
    path = f"/v1/{account}/gw/compat/chat/completions"
    headers = {"authorization": f"Bearer {key}"} if key else {}
    plain = compat.post(path, json=_chat(f"{slug}/{model}"), headers=headers)
    assert plain.status_code == 200, plain.text
    expected = _openai_counts(plain.json())
    record(capsys, plain.headers["cf-aig-log-id"])

    extra: dict[str, Any] = {"stream_options": {"include_usage": True}} if include_usage else {}
    streamed = compat.post(path, json=_chat(f"{slug}/{model}", stream=True, **extra),
                           headers=headers)
    assert streamed.status_code == 200, streamed.text
    frames = [json.loads(f[6:]) for f in streamed.text.split("\n\n")
              if f.startswith("data: {")]
    assert any(f.get("usage") for f in frames) is include_usage
    log = record(capsys, streamed.headers["cf-aig-log-id"])
    assert (log["tokens_in"], log["tokens_out"]) == expected, log
    assert log["cost"] == pytest.approx(_cost(price, expected), rel=1e-9), log
