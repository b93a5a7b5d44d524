"""Kind 4 of issue 9: identifiers aigw makes up are unique across answers.

Gemini gives function calls no id and Bedrock answers carry no response id, so aigw
synthesises them. The same answer given twice (the same prompt replayed, the same tool called
with the same arguments) must still get different ids: a conversation that carries them to
another provider (Anthropic requires unique `tool_use` ids) fails otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest

from aigw.providers.anthropic_chat import ANTHROPIC_CHAT
from aigw.providers.bedrock_converse import BEDROCK_CONVERSE
from aigw.providers.cohere_chat import COHERE_CHAT
from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT, VERTEX_CHAT
from aigw.providers.spec import StreamEvent

MANY = 500

GEMINI_CALL = {"candidates": [{"index": 0, "finishReason": "STOP", "content": {
    "role": "model", "parts": [{"functionCall": {"name": "lookup", "args": {"q": "x"}}},
                               {"functionCall": {"name": "lookup", "args": {"q": "x"}}}]}}]}
#: Answers whose upstream gave no id at all (a proxy or an older API version may omit it).
NO_ID_ANSWERS: dict[str, tuple[Any, dict[str, Any]]] = {
    "anthropic": (ANTHROPIC_CHAT, {"type": "message", "role": "assistant", "stop_reason":
                                   "end_turn", "content": [{"type": "text", "text": "hi"}]}),
    "cohere": (COHERE_CHAT, {"finish_reason": "COMPLETE",
                             "message": {"role": "assistant", "content": [
                                 {"type": "text", "text": "hi"}]}}),
    "aws-bedrock": (BEDROCK_CONVERSE, {"stopReason": "end_turn", "output": {"message": {
        "role": "assistant", "content": [{"text": "hi"}]}}}),
    "google-ai-studio": (GOOGLE_AI_STUDIO_CHAT, GEMINI_CALL),
    "google-vertex-ai": (VERTEX_CHAT, GEMINI_CALL),
}


def test_synthesized_tool_call_ids_are_unique_over_many_answers() -> None:
    seen: set[str] = set()
    for _ in range(MANY):
        answer = GOOGLE_AI_STUDIO_CHAT.parse_response(GEMINI_CALL, "gemini-2.5-flash")
        ids = [c["id"] for c in answer["choices"][0]["message"]["tool_calls"]]
        assert len(ids) == 2
        seen.update(ids)
    assert len(seen) == 2 * MANY


def test_synthesized_tool_call_ids_are_unique_in_streams_too() -> None:
    seen: set[str] = set()
    for _ in range(MANY):
        state = VERTEX_CHAT.new_stream_state("gemini-2.5-flash", False)
        chunks = VERTEX_CHAT.parse_stream_event(state, StreamEvent(None, GEMINI_CALL))
        seen.update(call["id"] for chunk in chunks for choice in chunk["choices"]
                    for call in choice["delta"].get("tool_calls") or [])
    assert len(seen) == 2 * MANY


def test_synthesized_tool_call_ids_fit_every_providers_id_grammar() -> None:
    answer = GOOGLE_AI_STUDIO_CHAT.parse_response(GEMINI_CALL, "gemini-2.5-flash")
    for call in answer["choices"][0]["message"]["tool_calls"]:
        assert call["id"].startswith("call_")
        assert all(ch.isalnum() or ch in "_-" for ch in call["id"])  # Anthropic's pattern


@pytest.mark.parametrize("provider", sorted(NO_ID_ANSWERS))
def test_synthesized_response_ids_are_unique_over_many_answers(provider: str) -> None:
    translation, data = NO_ID_ANSWERS[provider]
    ids = {translation.parse_response(data, "m")["id"] for _ in range(MANY)}
    assert len(ids) == MANY
    assert all(i.startswith("chatcmpl-") for i in ids)


@pytest.mark.parametrize("provider", sorted(NO_ID_ANSWERS))
def test_synthesized_stream_ids_are_unique(provider: str) -> None:
    translation, _ = NO_ID_ANSWERS[provider]
    ids = {translation.new_stream_state("m", False).id for _ in range(MANY)}
    assert len(ids) == MANY and "" not in ids
