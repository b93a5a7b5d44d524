"""Kind 5 of issue 9: reasoning survives a tool loop, driven by the official `openai` SDK.

For every provider that reasons (Anthropic, Bedrock Converse, Gemini 3 on AI Studio and Vertex,
Cohere): turn 1 asks with `reasoning_effort` and a tool and gets thinking plus a tool call;
the client appends the assistant message exactly as the SDK returned it (the pydantic object
itself, or the stream helper's final message) and a tool result; turn 2 must succeed. The fakes
refuse what the real APIs refuse — Anthropic and Bedrock a tool loop whose last assistant turn
lost its signed thinking block while thinking stays on, Gemini 3 a replayed function call
without its thought signature — so an answer proves the reasoning went back intact, and the
upstream request is checked too.

A client that drops the extension fields still gets an answer: the gateway then sends what the
provider accepts (thinking off for that request; Gemini's documented skip signature).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.compat.cases import ANTHROPIC, BEDROCK, COHERE, GOOGLE_AI_STUDIO, VERTEX, ChatCase
from tests.e2e.compat.conftest import CompatStack

TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "required": ["city"],
                   "properties": {"city": {"type": "string"}}}}}
PROMPT = "What is the weather in Paris"


@dataclass(frozen=True)
class Reasoner:
    case: ChatCase
    model: str
    #: Whether the answer carries signed reasoning blocks in `reasoning_details`.
    details: bool
    #: The upstream request's last assistant turn, as the provider's blocks.
    last_assistant: Any
    #: Whether the upstream request kept reasoning on.
    reasoning_on: Any

    @property
    def ref(self) -> str:
        return f"{self.case.slug}/{self.model}"

    def __str__(self) -> str:
        return self.case.slug


def _anthropic_turn(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "assistant"][-1]["content"]


def _converse_turn(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "assistant"][-1]["content"]


def _gemini_turn(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in body["contents"] if c["role"] == "model"][-1]["parts"]


REASONERS = [
    Reasoner(ANTHROPIC, "claude-sonnet-4-5", True, _anthropic_turn,
             lambda b: (b.get("thinking") or {}).get("type") == "enabled"),
    Reasoner(BEDROCK, BEDROCK.model, True, _converse_turn,
             lambda b: bool((b.get("outputConfig") or {}).get("effort"))),
    Reasoner(GOOGLE_AI_STUDIO, "gemini-3-pro-preview", False, _gemini_turn,
             lambda b: "thinkingConfig" in b.get("generationConfig", {})),
    Reasoner(VERTEX, "google/gemini-3-pro-preview", False, _gemini_turn,
             lambda b: "thinkingConfig" in b.get("generationConfig", {})),
    Reasoner(COHERE, COHERE.model, False, lambda b: b["messages"][-2],
             lambda b: (b.get("thinking") or {}).get("type") == "enabled"),
]


def _turn_one(compat: CompatStack, r: Reasoner, stream: bool) -> Any:
    client = compat.client_for(r.case)
    messages = [{"role": "user", "content": PROMPT}]
    if stream:
        with client.chat.completions.stream(model=r.ref, messages=messages, tools=[TOOL],
                                            reasoning_effort="low") as s:
            for _ in s:
                pass
            return s.get_final_completion().choices[0]
    return client.chat.completions.create(model=r.ref, messages=messages, tools=[TOOL],
                                          reasoning_effort="low").choices[0]


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("r", REASONERS, ids=str)
def test_reasoning_survives_a_two_turn_tool_loop(compat: CompatStack, r: Reasoner,
                                                 stream: bool) -> None:
    choice = _turn_one(compat, r, stream)
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    extras = choice.message.model_extra or {}
    if r.details:
        details = extras.get("reasoning_details")
        assert details and details[0]["type"] == "reasoning.text" and details[0]["signature"]
        assert extras.get("reasoning_content") == details[0]["text"]
    if r.case in (GOOGLE_AI_STUDIO, VERTEX):
        assert (call.model_extra or {})["extra_content"]["google"]["thought_signature"]

    # The client appends the assistant message exactly as received: the SDK object itself.
    messages: list[Any] = [{"role": "user", "content": PROMPT}, choice.message,
                           {"role": "tool", "tool_call_id": call.id, "content": "21 C"}]
    second = compat.client_for(r.case).chat.completions.create(
        model=r.ref, messages=messages, tools=[TOOL], reasoning_effort="low")
    assert second.choices[0].finish_reason == "stop"
    assert "21 C" in (second.choices[0].message.content or "")

    sent = compat.last_body(r.case.slug)
    assert r.reasoning_on(sent), "reasoning stays on when the client kept the blocks"
    turn = r.last_assistant(sent)
    if r.case is ANTHROPIC:
        assert turn[0]["type"] == "thinking" and turn[0]["signature"] == details[0]["signature"]
    elif r.case is BEDROCK:
        assert turn[0]["reasoningContent"]["reasoningText"]["signature"] == \
            details[0]["signature"]
    elif r.case in (GOOGLE_AI_STUDIO, VERTEX):
        signed = [p for p in turn if "functionCall" in p][0]
        assert signed["thoughtSignature"] == \
            call.model_extra["extra_content"]["google"]["thought_signature"]  # type: ignore[index]


@pytest.mark.parametrize("r", REASONERS[:2], ids=str)
def test_redacted_thinking_goes_back_too(compat: CompatStack, r: Reasoner) -> None:
    prompt = "Weather in Paris; redact the private reasoning"
    client = compat.client_for(r.case)
    first = client.chat.completions.create(model=r.ref, tools=[TOOL], reasoning_effort="low",
                                           messages=[{"role": "user", "content": prompt}])
    message = first.choices[0].message
    kinds = [d["type"] for d in (message.model_extra or {})["reasoning_details"]]
    assert kinds == ["reasoning.text", "reasoning.encrypted"]
    [call] = message.tool_calls or []
    second = client.chat.completions.create(
        model=r.ref, tools=[TOOL], reasoning_effort="low",
        messages=[{"role": "user", "content": prompt}, message,
                  {"role": "tool", "tool_call_id": call.id, "content": "21 C"}])
    assert second.choices[0].finish_reason == "stop"
    turn = r.last_assistant(compat.last_body(r.case.slug))
    assert json.dumps(turn).count("redacted") >= 1


@pytest.mark.parametrize("r", REASONERS, ids=str)
def test_history_without_reasoning_gets_what_the_provider_accepts(compat: CompatStack,
                                                                  r: Reasoner) -> None:
    choice = _turn_one(compat, r, stream=False)
    [call] = choice.message.tool_calls or []
    stripped = choice.message.model_dump(exclude_none=True)
    stripped.pop("reasoning_details", None)
    for c in stripped.get("tool_calls") or []:
        c.pop("extra_content", None)
    second = compat.client_for(r.case).chat.completions.create(
        model=r.ref, tools=[TOOL], reasoning_effort="low",
        messages=[{"role": "user", "content": PROMPT}, stripped,
                  {"role": "tool", "tool_call_id": call.id, "content": "21 C"}])
    assert second.choices[0].finish_reason == "stop"
    sent = compat.last_body(r.case.slug)
    if r.details:
        assert not r.reasoning_on(sent), "thinking is left off for a loop that lost it"
