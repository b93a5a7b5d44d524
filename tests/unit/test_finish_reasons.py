"""Kind 6 of issue 9: every documented finish/stop reason is mapped, per provider.

The expected tables are written out here (not read from the modules) so a changed mapping
fails. Each row goes through the non-stream parser and through the stream parser; an unknown
reason is logged and mapped by the documented rule, never silently to "stop" when its name says
the answer was blocked or cut.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from aigw.providers import finish_reasons
from aigw.providers.anthropic_chat import ANTHROPIC_CHAT
from aigw.providers.bedrock_converse import BEDROCK_CONVERSE
from aigw.providers.cohere_chat import COHERE_CHAT
from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT, VERTEX_CHAT
from aigw.providers.spec import StreamEvent

#: Anthropic Messages `stop_reason` (API reference, "Stop reasons and fallback").
ANTHROPIC = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
             "model_context_window_exceeded": "length", "pause_turn": "length",
             "tool_use": "tool_calls", "refusal": "content_filter"}
#: Bedrock Converse `stopReason` (Converse API reference).
BEDROCK = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
           "model_context_window_exceeded": "length", "tool_use": "tool_calls",
           "guardrail_intervened": "content_filter", "content_filtered": "content_filter",
           "malformed_model_output": "stop", "malformed_tool_use": "stop"}
#: Cohere v2 chat `finish_reason` (+ v1 values some deployments still send).
COHERE = {"COMPLETE": "stop", "STOP_SEQUENCE": "stop", "MAX_TOKENS": "length",
          "TOOL_CALL": "tool_calls", "ERROR_LIMIT": "length", "ERROR_TOXIC": "content_filter",
          "USER_CANCEL": "stop"}
#: Gemini `FinishReason` (Gemini API v1beta and Vertex AI v1 references).
GEMINI = {"FINISH_REASON_UNSPECIFIED": "stop", "STOP": "stop", "MAX_TOKENS": "length",
          "SAFETY": "content_filter", "RECITATION": "content_filter",
          "LANGUAGE": "content_filter", "OTHER": "content_filter",
          "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter",
          "SPII": "content_filter", "MALFORMED_FUNCTION_CALL": "stop",
          "IMAGE_SAFETY": "content_filter", "IMAGE_PROHIBITED_CONTENT": "content_filter",
          "IMAGE_RECITATION": "content_filter", "IMAGE_OTHER": "content_filter",
          "NO_IMAGE": "content_filter", "UNEXPECTED_TOOL_CALL": "stop",
          "TOO_MANY_TOOL_CALLS": "length", "MODEL_ARMOR": "content_filter",
          "MISSING_THOUGHT_SIGNATURE": "stop", "MALFORMED_RESPONSE": "stop"}


def _anthropic(reason: str) -> tuple[dict[str, Any], list[StreamEvent]]:
    data = {"id": "msg_1", "type": "message", "role": "assistant", "stop_reason": reason,
            "content": [{"type": "text", "text": "x"}], "usage": {"input_tokens": 1,
                                                                  "output_tokens": 1}}
    events = [StreamEvent("message_start", {"type": "message_start", "message": {
                  "id": "msg_1", "usage": {"input_tokens": 1}}}),
              StreamEvent("content_block_start", {"type": "content_block_start", "index": 0,
                                                  "content_block": {"type": "text", "text": ""}}),
              StreamEvent("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                  "delta": {"type": "text_delta", "text": "x"}}),
              StreamEvent("message_delta", {"type": "message_delta",
                                            "delta": {"stop_reason": reason},
                                            "usage": {"output_tokens": 1}}),
              StreamEvent("message_stop", {"type": "message_stop"})]
    return data, events


def _bedrock(reason: str) -> tuple[dict[str, Any], list[StreamEvent]]:
    data = {"stopReason": reason, "output": {"message": {"role": "assistant",
                                                         "content": [{"text": "x"}]}}}
    events = [StreamEvent("messageStart", {"role": "assistant"}),
              StreamEvent("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "x"}}),
              StreamEvent("contentBlockStop", {"contentBlockIndex": 0}),
              StreamEvent("messageStop", {"stopReason": reason})]
    return data, events


def _cohere(reason: str) -> tuple[dict[str, Any], list[StreamEvent]]:
    data = {"id": "c1", "finish_reason": reason,
            "message": {"role": "assistant", "content": [{"type": "text", "text": "x"}]}}
    events = [StreamEvent("message-start", {"type": "message-start", "id": "c1"}),
              StreamEvent("content-delta", {"type": "content-delta", "index": 0, "delta": {
                  "message": {"content": {"text": "x"}}}}),
              StreamEvent("message-end", {"type": "message-end",
                                          "delta": {"finish_reason": reason}})]
    return data, events


def _gemini(reason: str) -> tuple[dict[str, Any], list[StreamEvent]]:
    data = {"responseId": "r1", "candidates": [{"index": 0, "finishReason": reason, "content": {
        "role": "model", "parts": [{"text": "x"}]}}]}
    return data, [StreamEvent(None, data)]


CASES: list[tuple[str, Any, Any, dict[str, str]]] = [
    ("anthropic", ANTHROPIC_CHAT, _anthropic, ANTHROPIC),
    ("aws-bedrock", BEDROCK_CONVERSE, _bedrock, BEDROCK),
    ("cohere", COHERE_CHAT, _cohere, COHERE),
    ("google-ai-studio", GOOGLE_AI_STUDIO_CHAT, _gemini, GEMINI),
    ("google-vertex-ai", VERTEX_CHAT, _gemini, GEMINI),
]
ROWS = [pytest.param(translation, make, reason, expected, id=f"{name}-{reason}")
        for name, translation, make, table in CASES for reason, expected in table.items()]


def _streamed_finish(translation: Any, events: list[StreamEvent]) -> str | None:
    state = translation.new_stream_state("m", False)
    chunks = [c for e in events for c in translation.parse_stream_event(state, e)]
    chunks += translation.finish_stream(state)
    reasons = [ch["finish_reason"] for c in chunks for ch in c["choices"] if ch["finish_reason"]]
    assert len(reasons) == 1
    return reasons[0]


@pytest.mark.parametrize(("translation", "make", "reason", "expected"), ROWS)
def test_every_documented_finish_reason_is_mapped(translation: Any, make: Any, reason: str,
                                                  expected: str, caplog: Any) -> None:
    data, events = make(reason)
    with caplog.at_level(logging.WARNING, logger="aigw.providers"):
        assert translation.parse_response(data, "m")["choices"][0]["finish_reason"] == expected
        assert _streamed_finish(translation, events) == expected
    assert not caplog.records, "a documented reason must not be logged as unknown"


@pytest.mark.parametrize(("name", "translation", "make"),
                         [(n, t, m) for n, t, m, _ in CASES])
@pytest.mark.parametrize(("reason", "expected"), [
    ("IMAGE_GENERATION_SAFETY_BLOCKED", "content_filter"),
    ("new_guardrail_policy", "content_filter"),
    ("REFUSED_BY_MODEL", "content_filter"),
    ("OUTPUT_TOKEN_LIMIT", "length"),
    ("context_truncated", "length"),
    ("SOMETHING_NEW", "stop"),
])
def test_unknown_finish_reasons_are_logged_and_mapped_by_the_rule(
        name: str, translation: Any, make: Any, reason: str, expected: str, caplog: Any) -> None:
    data, events = make(reason)
    with caplog.at_level(logging.WARNING, logger="aigw.providers"):
        assert translation.parse_response(data, "m")["choices"][0]["finish_reason"] == expected
        assert _streamed_finish(translation, events) == expected
    assert caplog.records and all(reason in r.getMessage() for r in caplog.records)


def test_the_rule_never_reads_a_blocked_or_cut_name_as_stop() -> None:
    for reason in ("SAFETY_V2", "BLOCKED", "PROHIBITED", "content_filtered_v2", "GUARDRAIL",
                   "MAX_OUTPUT", "TOKENS_EXHAUSTED", "LENGTH"):
        assert finish_reasons.by_rule(reason, called=False) != "stop", reason


def test_a_missing_reason_is_stop_and_not_logged(caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="aigw.providers"):
        assert finish_reasons.finish_reason({}, None, "x") == "stop"
        assert finish_reasons.finish_reason({}, None, "x", called=True) == "tool_calls"
    assert not caplog.records
