"""Every compat translation case on disk, checked both ways, by one parametrised test.

A case is a folder `tests/fixtures/compat/<translation>/<case>/`:

    client_request.json            the OpenAI body a client sends (`model` is "{provider}/{model}")
    expected_upstream_request.json {"path", "body"[, "stream", "headers", "region"]}: the
                                   UpstreamCall the translation must build
    upstream_response.json         the provider's answer          } non-streaming,
    expected_client_response.json  what the client must receive   } both or neither
    upstream_stream.jsonl          one {"event", "data"} per line } streaming,
    expected_client_chunks.jsonl   one chunk per line             } both or neither
    expected_stream_error.json     optional {"message"[, "status", "type"]}: the stream must fail
                                   with UpstreamStreamError after the expected chunks

`id` and `created` are volatile and ignored; a tool-call id aigw made up (Gemini gives none)
is random, so the fixtures write it as "<synthesized>" and the test checks its shape. Every
client-facing object is also parsed by the official `openai` SDK's models, so what passes here
is what an OpenAI client can read.
A new provider needs folders of data and one entry in `TRANSLATIONS`, not new test code.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from aigw.providers.anthropic_chat import ANTHROPIC_CHAT
from aigw.providers.bedrock_converse import BEDROCK_CONVERSE
from aigw.providers.bedrock_embed import BEDROCK_EMBEDDINGS
from aigw.providers.cohere_chat import COHERE_CHAT
from aigw.providers.cohere_embed import COHERE_EMBEDDINGS
from aigw.providers.compat_shapes import UpstreamStreamError
from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT, VERTEX_CHAT
from aigw.providers.gemini_embed import GOOGLE_AI_STUDIO_EMBEDDINGS
from aigw.providers.spec import StreamEvent

#: Fixture folder name -> translation object (chat or embeddings).
TRANSLATIONS: dict[str, Any] = {
    "anthropic": ANTHROPIC_CHAT,
    "cohere": COHERE_CHAT,
    "cohere-embed": COHERE_EMBEDDINGS,
    "google-ai-studio": GOOGLE_AI_STUDIO_CHAT,
    "google-ai-studio-embed": GOOGLE_AI_STUDIO_EMBEDDINGS,
    "google-vertex-ai": VERTEX_CHAT,
    "aws-bedrock": BEDROCK_CONVERSE,
    "aws-bedrock-embed": BEDROCK_EMBEDDINGS,
}

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "compat"
VOLATILE = frozenset({"id", "created"})


def _cases() -> list[Any]:
    return [pytest.param(folder, id=f"{folder.parent.name}/{folder.name}")
            for folder in sorted(ROOT.glob("*/*/")) if folder.is_dir()]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


SYNTHESIZED_ID = re.compile(r"call_[0-9a-f]{32}")


def _stable(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: _synthesized(v) for k, v in obj.items() if k not in VOLATILE}


def _synthesized(value: Any) -> Any:
    """Random tool-call ids (`compat_shapes.new_tool_call_id`) read as "<synthesized>"."""
    if isinstance(value, dict):
        return {k: ("<synthesized>" if k == "id" and isinstance(v, str)
                    and SYNTHESIZED_ID.fullmatch(v) else _synthesized(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_synthesized(v) for v in value]
    return value


def _is_embeddings(translation: Any) -> bool:
    return not hasattr(translation, "new_stream_state")


@pytest.mark.parametrize("case", _cases())
def test_case(case: Path) -> None:
    translation = TRANSLATIONS.get(case.parent.name)
    assert translation is not None, f"no translation registered for '{case.parent.name}'"
    client_request = _load(case / "client_request.json")
    _, _, model = client_request["model"].partition("/")
    original = json.loads(json.dumps(client_request))

    call = translation.build_request(client_request, model)
    expected_call = {"stream": False, "headers": {}, "region": None,
                     **_load(case / "expected_upstream_request.json")}
    assert dataclasses.asdict(call) == expected_call
    assert client_request == original, "build_request mutated the client's body"

    ran = False
    if (case / "upstream_response.json").exists():
        ran = True
        _check_response(translation, case, model)
    if (case / "upstream_stream.jsonl").exists():
        ran = True
        options = client_request.get("stream_options") or {}
        _check_stream(translation, case, model, bool(options.get("include_usage")))
    assert ran, f"{case} has neither a response nor a stream to check"


def _check_response(translation: Any, case: Path, model: str) -> None:
    upstream = _load(case / "upstream_response.json")
    actual = translation.parse_response(upstream, model)
    assert _stable(actual) == _stable(_load(case / "expected_client_response.json"))
    if _is_embeddings(translation):
        CreateEmbeddingResponse.model_validate(actual)
    else:
        ChatCompletion.model_validate(actual)


def _check_stream(translation: Any, case: Path, model: str, include_usage: bool) -> None:
    state = translation.new_stream_state(model, include_usage)
    chunks: list[dict[str, Any]] = []
    error_file = case / "expected_stream_error.json"
    try:
        for line in _lines(case / "upstream_stream.jsonl"):
            chunks.extend(translation.parse_stream_event(
                state, StreamEvent(event=line.get("event"), data=line["data"])))
        chunks.extend(translation.finish_stream(state))
    except UpstreamStreamError as exc:
        assert error_file.exists(), f"unexpected stream error: {exc.message}"
        expected = _load(error_file)
        assert exc.message == expected["message"]
        assert exc.status == expected.get("status", exc.status)
        assert exc.openai_type == expected.get("type", exc.openai_type)
    else:
        assert not error_file.exists(), "the stream was expected to fail"
    assert [_stable(c) for c in chunks] == [_stable(c) for c in
                                           _lines(case / "expected_client_chunks.jsonl")]
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    ids = {c["id"] for c in chunks}
    assert len(ids) <= 1, "every chunk of one stream carries the same id"
