"""Kind 1 of issue 9: a streamed answer reassembles to exactly the non-streamed one.

For every translated provider (Anthropic, Gemini on AI Studio and Vertex, Bedrock Converse,
Cohere) and for every stream fixture in `tests/fixtures/compat` — plus answers hypothesis makes
up, with every string cut into fragments at random (empty fragments included) — the translated
chunks, accumulated by the openai SDK's own `ChatCompletionStreamState` (what
`client.chat.completions.stream()` uses), must equal the translated non-stream answer for the
same upstream answer: content, reasoning (text and the `reasoning_details` extension), every
tool call's id, name and arguments (parsed; always a JSON object), finish reason and usage.

Two normalisations, both the SDK's own reading: a stream's first chunk says `content: ""`
where a non-stream answer without text says `null`, and a tool call's `index` exists only in
stream deltas. Tool-call ids aigw synthesises (Gemini gives none) are random on each side, so
they are compared by shape and uniqueness instead of equality.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from aigw.providers.anthropic_chat import ANTHROPIC_CHAT
from aigw.providers.bedrock_converse import BEDROCK_CONVERSE
from aigw.providers.cohere_chat import COHERE_CHAT
from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT, VERTEX_CHAT
from aigw.providers.spec import StreamEvent
from tests.unit.reassembly_cases import PROVIDERS, Answer, Block

TRANSLATIONS: dict[str, Any] = {
    "anthropic": ANTHROPIC_CHAT,
    "aws-bedrock": BEDROCK_CONVERSE,
    "cohere": COHERE_CHAT,
    "google-ai-studio": GOOGLE_AI_STUDIO_CHAT,
    "google-vertex-ai": VERTEX_CHAT,
}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "compat"
SYNTHESIZED = re.compile(r"call_[0-9a-f]{32}")


def _stream_fixtures() -> list[Any]:
    return [pytest.param(p.parent, id=f"{p.parent.parent.name}/{p.parent.name}")
            for p in sorted(FIXTURES.glob("*/*/upstream_stream.jsonl"))
            if p.parent.parent.name in TRANSLATIONS
            and not (p.parent / "expected_stream_error.json").exists()]


def sdk_accumulated(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The chunks as the openai SDK's stream helper accumulates them."""
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    # The snapshot, not get_final_completion(): that one raises on finish_reason "length",
    # which is a legitimate end here.
    final = state.current_completion_snapshot
    choice = final.choices[0]
    return {"message": choice.message.model_dump(), "finish_reason": choice.finish_reason,
            "usage": final.usage.model_dump(exclude_none=True) if final.usage else None}


def sdk_parsed(answer: dict[str, Any]) -> dict[str, Any]:
    """A non-stream answer as the openai SDK reads it."""
    completion = ChatCompletion.model_validate(answer)
    choice = completion.choices[0]
    return {"message": choice.message.model_dump(), "finish_reason": choice.finish_reason,
            "usage": completion.usage.model_dump(exclude_none=True) if completion.usage
            else None}


def normalised(result: dict[str, Any]) -> dict[str, Any]:
    message = {k: v for k, v in result["message"].items()
               if v not in (None, "", []) and k not in ("parsed", "refusal", "annotations")}
    calls = []
    for call in message.pop("tool_calls", None) or []:
        arguments = json.loads(call["function"]["arguments"])
        assert isinstance(arguments, dict), "tool-call arguments must be a JSON object"
        calls.append({k: v for k, v in call.items() if k not in ("index", "function")}
                     | {"name": call["function"]["name"], "arguments": arguments})
    if calls:
        message["tool_calls"] = calls
    return {**result, "message": message}


def _without_synthesized_ids(result: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    ids = []
    for call in result["message"].get("tool_calls") or []:
        if SYNTHESIZED.fullmatch(call["id"]):
            ids.append(call["id"])
            call["id"] = "<synthesized>"
    return result, ids


def assert_reassembles(provider: str, events: list[dict[str, Any]],
                       non_stream: dict[str, Any]) -> None:
    translation = TRANSLATIONS[provider]
    state = translation.new_stream_state("m", True)
    chunks = [c for e in events for c in translation.parse_stream_event(
        state, StreamEvent(e.get("event"), e["data"]))]
    chunks += translation.finish_stream(state)
    streamed, stream_ids = _without_synthesized_ids(normalised(sdk_accumulated(chunks)))
    answered, answer_ids = _without_synthesized_ids(
        normalised(sdk_parsed(translation.parse_response(non_stream, "m"))))
    assert streamed == answered
    assert len(set(stream_ids)) == len(stream_ids) and not set(stream_ids) & set(answer_ids)


@pytest.mark.parametrize("case", _stream_fixtures())
def test_every_stream_fixture_reassembles_to_the_non_stream_answer(case: Path) -> None:
    provider = case.parent.name
    events = [json.loads(line) for line in
              (case / "upstream_stream.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    assert_reassembles(provider, events, PROVIDERS[provider].fold(events))


# ---------------------------------------------------------------- generated answers

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6)
ARGS = st.dictionaries(TEXT, JSON_VALUES, max_size=4)
IDS = st.from_regex(r"[a-zA-Z0-9_]{6,20}", fullmatch=True)


@st.composite
def answers(draw: st.DrawFn, provider: str) -> Answer:
    spec = PROVIDERS[provider]
    blocks = []
    used: set[str] = set()
    for kind in draw(st.lists(st.sampled_from(spec.kinds), max_size=5)):
        if kind == "tool":
            call_id = draw(IDS.filter(lambda i: i not in used))
            used.add(call_id)
            signature = draw(st.sampled_from(["", "c2lnbmF0dXJl"])) \
                if provider.startswith("google") else ""
            blocks.append(Block("tool", id=call_id, name=draw(IDS), args=draw(ARGS),
                                signature=signature))
        elif kind == "redacted":
            blocks.append(Block("redacted", data=draw(IDS)))
        else:
            blocks.append(Block(kind, text=draw(TEXT), signature=draw(IDS)))
    if provider == "cohere":  # Cohere's stream order: content, then the plan, then calls
        order = {"text": 0, "thinking": 0, "plan": 1, "tool": 2}
        blocks.sort(key=lambda b: order[b.kind])
    return Answer(blocks, draw(st.sampled_from(spec.reasons)),
                  draw(st.integers(0, 10**5)), draw(st.integers(0, 10**5)))


def cutter(data: st.DataObject) -> Any:
    """Cuts a string into fragments at points hypothesis picks (empty fragments allowed)."""
    def cut(text: str) -> list[str]:
        points = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
        bounds = [0, *points, len(text)]
        return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    return cut


@pytest.mark.parametrize("provider", sorted(TRANSLATIONS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_streamed_answers_reassemble_to_the_non_stream_answer(provider: str,
                                                              data: st.DataObject) -> None:
    spec = PROVIDERS[provider]
    answer = data.draw(answers(provider))
    events = spec.render(answer, cutter(data))
    assert_reassembles(provider, events, spec.fold(events))


@pytest.mark.parametrize("fragments", [[""], [" "], ["", "\n", " "]])
def test_whitespace_only_argument_fragments_still_end_as_a_json_object(
        fragments: list[str]) -> None:
    answer = Answer([Block("tool", id="toolu_01", name="now", args={})], "tool_use")
    events = PROVIDERS["anthropic"].render(answer, lambda s: fragments)
    translation = TRANSLATIONS["anthropic"]
    state = translation.new_stream_state("m", False)
    chunks = [c for e in events for c in translation.parse_stream_event(
        state, StreamEvent(e["event"], e["data"]))]
    arguments = sdk_accumulated(chunks)["message"]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(arguments) == {}


def test_a_tool_without_parameters_streams_empty_json_object_arguments() -> None:
    """The issue's own example: `input: {}`, one `partial_json: ""`, then the block stops."""
    answer = Answer([Block("tool", id="toolu_01", name="now", args={})], "tool_use")
    events = PROVIDERS["anthropic"].render(answer, lambda s: [s])
    translation = TRANSLATIONS["anthropic"]
    state = translation.new_stream_state("m", False)
    chunks = [c for e in events for c in translation.parse_stream_event(
        state, StreamEvent(e["event"], e["data"]))]
    message = sdk_accumulated(chunks)["message"]
    assert message["tool_calls"][0]["function"]["arguments"] == "{}"
