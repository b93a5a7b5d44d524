"""Provider passthrough against each provider's fake: what the client sent arrives unchanged —
method, path, query, body, the provider's headers — minus hop-by-hop headers and the gateway's
own (`cf-aig-*`, `cf-aig-authorization`); what the upstream answered (success or error) comes
back unchanged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.fakes import credentials as keys
from tests.functional.inference_support import api, assert_relayed, gw_path

#: The gateway's own headers: read by the gateway, never forwarded.
GATEWAY_ONLY = {
    "cf-aig-authorization": "Bearer gateway-token-not-for-upstream",
    "cf-aig-metadata": '{"team": "search"}',
    "cf-aig-event-id": "evt-passthrough-1",
    "cf-aig-skip-cache": "true",
    "cf-aig-collect-log": "true",
}
#: Hop-by-hop headers and what proxies in front of the gateway add.
NOT_FORWARDED = {
    "keep-alive": "timeout=5",
    "te": "trailers",
    "proxy-authorization": "Basic cHJveHk6cGFzcw==",
    "x-forwarded-for": "203.0.113.10",
    "via": "1.1 edge",
}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]}


@dataclass(frozen=True)
class Case:
    slug: str
    #: The client's path after `/{provider}`, query included.
    rest: str
    #: Where it must arrive on the fake (`{account}` is filled in).
    upstream_path: str
    body: dict[str, Any]
    credential: dict[str, str]
    #: Provider headers the client sends that must arrive as they are.
    provider_headers: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> str:
        return self.rest.partition("?")[2]


CASES = [
    Case("openai", "/chat/completions?trace=on&x=%2F1", "/v1/chat/completions",
         CHAT, {"authorization": f"Bearer {keys.OPENAI_KEY}"},
         {"openai-organization": "org-test", "openai-beta": "assistants=v2"}),
    Case("anthropic", "/v1/messages", "/v1/messages",
         {"model": "claude-sonnet-4-5", "max_tokens": 32,
          "messages": [{"role": "user", "content": "hello"}]},
         {"x-api-key": keys.ANTHROPIC_KEY},
         {"anthropic-version": "2023-06-01", "anthropic-beta": "prompt-caching-2024-07-31"}),
    Case("google-ai-studio", "/v1beta/models/gemini-2.5-flash:generateContent",
         "/v1beta/models/gemini-2.5-flash:generateContent",
         {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]},
         {"x-goog-api-key": keys.GOOGLE_AI_STUDIO_KEY}, {"x-goog-user-project": "proj-1"}),
    Case("azure-openai", "/my-resource/gpt-4o/chat/completions?api-version=2024-10-21",
         "/openai/deployments/gpt-4o/chat/completions",
         {"messages": [{"role": "user", "content": "hello"}]},
         {"api-key": keys.AZURE_OPENAI_KEY}, {"x-ms-client-request-id": "req-1"}),
    Case("workers-ai", "/@cf/meta/llama-3.1-8b-instruct",
         "/client/v4/accounts/{account}/ai/run/@cf/meta/llama-3.1-8b-instruct",
         {"prompt": "hello"}, {"authorization": f"Bearer {keys.WORKERS_AI_KEY}"}),
    Case("workers-ai", "/v1/chat/completions",
         "/client/v4/accounts/{account}/ai/v1/chat/completions",
         {**CHAT, "model": "@cf/meta/llama-3.1-8b-instruct"},
         {"authorization": f"Bearer {keys.WORKERS_AI_KEY}"}),
    Case("cohere", "/v2/chat", "/v2/chat",
         {"model": "command-r-plus", "messages": [{"role": "user", "content": "hello"}]},
         {"authorization": f"Bearer {keys.COHERE_KEY}"}, {"x-client-name": "aigw-tests"}),
    Case("groq", "/chat/completions",
         "/openai/v1/chat/completions", {**CHAT, "model": "llama-3.3-70b-versatile"},
         {"authorization": f"Bearer {keys.GROQ_KEY}"}),
]
IDS = [f"{c.slug}{c.rest.split('?')[0]}" for c in CASES]


def send(inference, account: str, case: Case, credential: dict[str, str]) -> Any:
    headers = {**credential, **case.provider_headers, **GATEWAY_ONLY, **NOT_FORWARDED,
               "content-type": "application/json"}
    return inference.post(gw_path(account, case.slug, case.rest),
                          content=json.dumps(case.body).encode(), headers=headers)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_request_arrives_unchanged_and_answer_comes_back_unchanged(
        case, inference, upstreams, account, gateway):
    fake = upstreams.use(case.slug)
    resp = send(inference, account, case, case.credential)

    assert resp.status_code == 200, resp.text
    got = fake.recorder.last
    assert (got.method, got.path, got.query) == (
        "POST", case.upstream_path.format(account=account), case.query)
    assert got.body == json.dumps(case.body).encode()
    for name, value in {**case.credential, **case.provider_headers}.items():
        assert got.headers.get(name) == value, name
    assert got.headers["content-type"] == "application/json"
    assert not set(GATEWAY_ONLY) & set(got.headers)
    assert not set(NOT_FORWARDED) & set(got.headers)
    assert not any(name.startswith("cf-aig-") for name in got.headers)
    assert_relayed(resp, upstreams.tap(case.slug))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_upstream_errors_pass_through_unchanged(case, inference, upstreams, account, gateway):
    """The provider's own 4xx (a wrong key, rejected the provider's way) and a 5xx body."""
    fake, tap = upstreams.use(case.slug), upstreams.tap(case.slug)
    wrong = {name: value[:-4] + "XXXX" for name, value in case.credential.items()}
    rejected = send(inference, account, case, wrong)
    assert rejected.status_code in (401, 400, 403), rejected.text
    assert_relayed(rejected, tap)
    assert fake.recorder.last.headers.get(next(iter(wrong))) == next(iter(wrong.values()))

    failure = {"error": {"message": "upstream is overloaded", "code": "overloaded"}}
    fake.control.fail_next.append((500, failure))
    broken = send(inference, account, case, case.credential)
    assert broken.status_code == 500 and broken.json() == failure
    assert_relayed(broken, tap)


def test_connection_listed_headers_are_hop_by_hop(inference, oai, account, gateway):
    """RFC 9110 7.6.1: headers named in `Connection` belong to that one hop."""
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={"authorization": f"Bearer {keys.OPENAI_KEY}",
                                   "connection": "keep-alive, x-hop-secret",
                                   "x-hop-secret": "only-for-the-gateway",
                                   "x-end-to-end": "kept"})
    assert resp.status_code == 200, resp.text
    got = oai.recorder.last.headers
    assert "x-hop-secret" not in got and got.get("x-end-to-end") == "kept"


def test_repeated_upstream_headers_all_come_back(inference, gateway_env, account, gateway):
    """`set-cookie` (and any header sent twice) keeps every value, in order."""
    from starlette.responses import Response

    async def app(scope, receive, send_):  # noqa: ANN001 - raw ASGI
        await receive()
        response = Response(b'{"ok": true}', media_type="application/json")
        response.raw_headers += [(b"set-cookie", b"a=1; Path=/"), (b"set-cookie", b"b=2; Path=/")]
        await response(scope, receive, send_)

    from tests.fakes.upstream_server import serve_in_thread

    server = serve_in_thread(app)
    try:
        gateway_env.set("AIGW_UPSTREAM_OPENAI", server.base_url + "/v1")
        resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                              headers={"authorization": "Bearer sk-any"})
        assert resp.status_code == 200 and resp.json() == {"ok": True}
        assert resp.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    finally:
        server.stop()


def test_custom_provider_created_through_management(inference, management, upstreams,
                                                    gateway_env, account, admin_headers, gateway):
    made = management.post(api(account, "/custom-providers"),
                           json={"name": "In-house LLM", "slug": "inhouse",
                                 "base_url": "https://llm.internal.example/v1", "enable": True},
                           headers=admin_headers)
    assert made.status_code == 200, made.text
    fake = upstreams.use("openai")
    # The https base is replaced by the fake, exactly as for a built-in provider; the fake is on
    # loopback, which the egress policy allows only with the explicit local/test setting.
    gateway_env.set("AIGW_UPSTREAM_CUSTOM_INHOUSE", fake.upstream_base)
    gateway_env.set("AIGW_EGRESS_ALLOW_PRIVATE", "true")
    case = Case("custom-inhouse", "/chat/completions?v=2", "/v1/chat/completions", CHAT,
                {"authorization": f"Bearer {keys.OPENAI_KEY}"}, {"x-team": "search"})
    resp = send(inference, account, case, case.credential)
    assert resp.status_code == 200, resp.text
    got = fake.recorder.last
    assert (got.path, got.query, got.body) == ("/v1/chat/completions", "v=2",
                                               json.dumps(CHAT).encode())
    assert got.headers["authorization"] == f"Bearer {keys.OPENAI_KEY}"
    assert got.headers["x-team"] == "search"
    assert not any(name.startswith("cf-aig-") for name in got.headers)
    assert_relayed(resp, upstreams.tap("openai"))

    disabled = management.put(api(account, f"/custom-providers/{made.json()['result']['id']}"),
                              json={"name": "In-house LLM",
                                    "base_url": "https://llm.internal.example/v1",
                                    "enable": False}, headers=admin_headers)
    assert disabled.status_code == 200, disabled.text
    off = inference.post(gw_path(account, "custom-inhouse", "/chat/completions"), json=CHAT)
    assert off.status_code == 400 and off.json()["error"][0]["code"] == 2008
    assert len(fake.recorder.requests) == 1


def test_other_methods_and_bodyless_requests_pass_through(inference, oai, upstreams, account,
                                                          gateway):
    resp = inference.get(gw_path(account, "openai", "/models?limit=2&order=desc"),
                         headers={"authorization": f"Bearer {keys.OPENAI_KEY}"})

    assert resp.status_code == 200, resp.text
    got = oai.recorder.last
    assert (got.method, got.path, got.query, got.body) == (
        "GET", "/v1/models", "limit=2&order=desc", b"")
    assert_relayed(resp, upstreams.tap("openai"))

    gone = inference.delete(gw_path(account, "openai", "/files/file-abc"),
                            headers={"authorization": f"Bearer {keys.OPENAI_KEY}"})
    assert (oai.recorder.last.method, oai.recorder.last.path) == ("DELETE", "/v1/files/file-abc")
    assert_relayed(gone, upstreams.tap("openai"))  # the fake's own 404, unchanged
