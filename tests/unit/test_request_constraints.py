"""Kind 3 of issue 9: a translated request satisfies the target API's documented constraints.

Two halves. First, the fakes refuse every listed violation the way the real API does (status,
error body shape, the real message), so a regression in a translation cannot pass unnoticed.
Second, OpenAI requests that real clients send and that used to produce violations — blank
text next to tool calls, whitespace-only parts and system messages, tool-call ids outside a
provider's grammar or repeated across turns, a prefill ending in whitespace — translate into
requests each provider's fake accepts. The constraint lists and their sources are in the README.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from aigw.errors import InvalidRequest
from aigw.providers.anthropic_chat import ANTHROPIC_CHAT
from aigw.providers.bedrock_converse import BEDROCK_CONVERSE
from aigw.providers.cohere_chat import COHERE_CHAT
from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT, VERTEX_CHAT
from tests.fakes.upstreams import anthropic, bedrock, cohere, google_ai_studio
from tests.fakes.upstreams.anthropic_rules import signature_for
from tests.fakes.upstreams.common import FakeHTTPError

# ---------------------------------------------------------------- the fakes refuse violations

USER = {"role": "user", "content": "hi"}


def _anthropic(**extra: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "max_tokens": 2048, "messages": [USER], **extra}


def _tool_turns(first: list[dict[str, Any]], ids: tuple[str, ...] = ("toolu_1",)) -> list[Any]:
    return [USER, {"role": "assistant", "content": [*first, *(
        {"type": "tool_use", "id": i, "name": "f", "input": {}} for i in ids)]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": i,
                                          "content": "ok"} for i in ids]}]


THINKING = {"type": "enabled", "budget_tokens": 1024}
TOOL_DEFS = [{"name": "f", "input_schema": {"type": "object"}}]
ANTHROPIC_VIOLATIONS = {
    "whitespace text": _anthropic(messages=[{"role": "user", "content": [
        {"type": "text", "text": "\n\n"}]}]),
    "whitespace system": _anthropic(system=[{"type": "text", "text": "  "}]),
    "empty content": _anthropic(messages=[{"role": "user", "content": []}]),
    "tool id grammar": _anthropic(tools=TOOL_DEFS, messages=_tool_turns([], ("call.1",))),
    "duplicate tool ids": _anthropic(tools=TOOL_DEFS, messages=[*_tool_turns([], ("a",)), {
        "role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "f",
                                          "input": {}}]}, {"role": "user", "content": [
                                              {"type": "tool_result", "tool_use_id": "a"}]}]),
    "tool blocks without tools": _anthropic(messages=_tool_turns([])),
    "trailing whitespace prefill": _anthropic(messages=[USER, {"role": "assistant",
                                                              "content": "Sure, "}]),
    "budget under 1024": _anthropic(thinking={"type": "enabled", "budget_tokens": 512}),
    "budget over max_tokens": _anthropic(max_tokens=1024, thinking=THINKING),
    "temperature with thinking": _anthropic(thinking=THINKING, temperature=0.2),
    "top_p with thinking": _anthropic(thinking=THINKING, top_p=0.5),
    "forced tool with thinking": _anthropic(thinking=THINKING, tools=[
        {"name": "f", "input_schema": {"type": "object"}}], tool_choice={"type": "any"}),
    "tool loop without thinking": _anthropic(thinking=THINKING, tools=TOOL_DEFS,
                                             messages=_tool_turns([])),
    "forged thinking signature": _anthropic(thinking=THINKING, tools=TOOL_DEFS,
                                            messages=_tool_turns(
        [{"type": "thinking", "thinking": "plan", "signature": "forged"}])),
}

CONVERSE_USER = {"role": "user", "content": [{"text": "hi"}]}
BEDROCK_VIOLATIONS = {
    "blank text": {"messages": [CONVERSE_USER, {"role": "assistant", "content": [
        {"text": "\n\n"}, {"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [
            {"text": "ok"}]}}]}], "toolConfig": {"tools": [{"toolSpec": {
                "name": "f", "inputSchema": {"json": {"type": "object"}}}}]}},
    "blank system": {"messages": [CONVERSE_USER], "system": [{"text": " "}]},
    "empty content": {"messages": [{"role": "user", "content": []}]},
    "starts with assistant": {"messages": [{"role": "assistant", "content": [{"text": "x"}]}]},
    "no alternation": {"messages": [CONVERSE_USER, CONVERSE_USER]},
    "tool id grammar": {"messages": [CONVERSE_USER, {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "call.1", "name": "f", "input": {}}}]}], "toolConfig": {
        "tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "object"}}}}]}},
    "tool blocks without toolConfig": {"messages": [CONVERSE_USER, {
        "role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f",
                                                      "input": {}}}]}]},
}

GEMINI_USER = {"role": "user", "parts": [{"text": "hi"}]}
GEMINI_VIOLATIONS = {
    "empty parts": {"contents": [{"role": "user", "parts": []}]},
    "empty text part": {"contents": [{"role": "user", "parts": [{"text": ""}]}]},
    "no contents": {"contents": []},
    "response without call": {"contents": [GEMINI_USER, {"role": "user", "parts": [
        {"functionResponse": {"name": "f", "response": {}}}]}]},
    "response count": {"contents": [GEMINI_USER, {"role": "model", "parts": [
        {"functionCall": {"name": "f", "args": {}}}, {"functionCall": {"name": "f", "args": {}}}
    ]}, {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]},
}

COHERE_VIOLATIONS = {
    "blank message": {"model": "command-a", "messages": [{"role": "user", "content": "  "}]},
    "blank system": {"model": "command-a", "messages": [{"role": "system", "content": ""},
                                                        {"role": "user", "content": "hi"}]},
    "unanswered tool call": {"model": "command-a", "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]},
}


def _refused(check: Any, body: dict[str, Any]) -> FakeHTTPError:
    with pytest.raises(FakeHTTPError) as caught:
        check(copy.deepcopy(body))
    return caught.value


@pytest.mark.parametrize("name", sorted(ANTHROPIC_VIOLATIONS))
def test_anthropic_fake_refuses_each_documented_violation(name: str) -> None:
    err = _refused(anthropic.validate, ANTHROPIC_VIOLATIONS[name])
    assert err.status == 400 and err.body["type"] == "error"
    assert err.body["error"]["type"] == "invalid_request_error" and err.body["error"]["message"]


@pytest.mark.parametrize("name", sorted(BEDROCK_VIOLATIONS))
def test_bedrock_fake_refuses_each_documented_violation(name: str) -> None:
    err = _refused(bedrock.validate_converse, BEDROCK_VIOLATIONS[name])
    assert err.status == 400 and set(err.body) == {"message"}
    assert err.headers["x-amzn-ErrorType"] == "ValidationException"


@pytest.mark.parametrize("name", sorted(GEMINI_VIOLATIONS))
def test_gemini_fake_refuses_each_documented_violation(name: str) -> None:
    err = _refused(google_ai_studio.validate_generate, GEMINI_VIOLATIONS[name])
    assert err.status == 400
    assert err.body["error"]["status"] == "INVALID_ARGUMENT" and err.body["error"]["code"] == 400


@pytest.mark.parametrize("name", sorted(COHERE_VIOLATIONS))
def test_cohere_fake_refuses_each_documented_violation(name: str) -> None:
    err = _refused(cohere.validate_chat, COHERE_VIOLATIONS[name])
    assert err.status == 400 and err.body["message"].startswith("invalid request: ")


def test_anthropic_fake_accepts_its_own_thinking_back() -> None:
    anthropic.validate(_anthropic(thinking=THINKING, tools=[
        {"name": "f", "input_schema": {"type": "object"}}], messages=_tool_turns(
        [{"type": "thinking", "thinking": "plan", "signature": signature_for("plan")}])))


# ---------------------------------------------------------------- translations avoid them

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"q": {"type": "string"}}}}}]


def _call(call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function",
            "function": {"name": "lookup", "arguments": '{"q": "x"}'}}


def _loop(call_id: str, content: Any = None) -> list[dict[str, Any]]:
    return [{"role": "assistant", "content": content, "tool_calls": [_call(call_id)]},
            {"role": "tool", "tool_call_id": call_id, "content": "found"}]


#: Client requests that used to produce violations; each stands for its class.
CLIENT_REQUESTS = {
    "blank text beside tool calls": [{"role": "user", "content": "find x"},
                                     *_loop("call_1", "\n\n"),
                                     {"role": "user", "content": "thanks"}],
    "whitespace parts and system": [{"role": "system", "content": "   "},
                                    {"role": "user", "content": [
                                        {"type": "text", "text": " \n"},
                                        {"type": "text", "text": "find x"}]}],
    "tool ids outside the grammar": [{"role": "user", "content": "find x"},
                                     *_loop("functions.lookup:0")],
    "tool ids repeated across turns": [{"role": "user", "content": "find x"},
                                       *_loop("call_0"), *_loop("call_0"),
                                       {"role": "user", "content": "and again"}],
    "tool id over 64 characters": [{"role": "user", "content": "find x"},
                                   *_loop("call_" + "x" * 90)],
    "prefill ending in whitespace": [{"role": "user", "content": "count"},
                                     {"role": "assistant", "content": "One, two, "}],
    "blank assistant turn": [{"role": "user", "content": "a"},
                             {"role": "assistant", "content": " "},
                             {"role": "user", "content": "b"}],
}

TARGETS: dict[str, tuple[Any, str, Any]] = {
    "anthropic": (ANTHROPIC_CHAT, "claude-sonnet-4-5", anthropic.validate),
    "aws-bedrock": (BEDROCK_CONVERSE, "anthropic.claude-sonnet-4-5-v1:0",
                    bedrock.validate_converse),
    "google-ai-studio": (GOOGLE_AI_STUDIO_CHAT, "gemini-2.5-flash",
                         google_ai_studio.validate_generate),
    "google-vertex-ai": (VERTEX_CHAT, "gemini-2.5-flash", google_ai_studio.validate_generate),
    "cohere": (COHERE_CHAT, "command-a-03-2025", cohere.validate_chat),
}
#: Prefills are Anthropic's and Bedrock's; the Gemini fake (like the API) wants the last turn to
#: be the user's only for function calls, so every target takes every request.


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("case", sorted(CLIENT_REQUESTS))
def test_translated_requests_satisfy_the_targets_constraints(target: str, case: str) -> None:
    translation, model, check = TARGETS[target]
    body = {"model": f"{target}/{model}", "messages": CLIENT_REQUESTS[case], "tools": TOOLS}
    call = translation.build_request(body, model)
    check(copy.deepcopy(call.body))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_tool_history_without_tools_is_still_accepted(target: str) -> None:
    """A final answer after a loop: the client stops offering tools but keeps the history."""
    translation, model, check = TARGETS[target]
    body = {"model": f"{target}/{model}", "messages": [
        {"role": "user", "content": "find x"}, *_loop("call_1"),
        {"role": "user", "content": "now answer"}]}
    call = translation.build_request(body, model)
    check(copy.deepcopy(call.body))


def test_repeated_client_ids_pair_with_their_own_turns_results() -> None:
    body = {"messages": [{"role": "user", "content": "x"}, *_loop("call_0"), *_loop("call_0")],
            "tools": TOOLS}
    turns = ANTHROPIC_CHAT.build_request(body, "m").body["messages"]
    uses = [b["id"] for t in turns for b in t["content"] if b["type"] == "tool_use"]
    results = [b["tool_use_id"] for t in turns for b in t["content"]
               if b["type"] == "tool_result"]
    assert uses == results and len(set(uses)) == 2


@pytest.mark.parametrize(("extra", "param"), [
    ({"temperature": 0.2}, "temperature"), ({"top_p": 0.5}, "top_p"),
    ({"tools": TOOLS, "tool_choice": "required"}, "tool_choice")])
def test_anthropic_thinking_conflicts_are_named_by_the_gateway(extra: dict[str, Any],
                                                               param: str) -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "low", **extra}
    with pytest.raises(InvalidRequest) as caught:
        ANTHROPIC_CHAT.build_request(body, "claude-sonnet-4-5")
    assert caught.value.param == param
