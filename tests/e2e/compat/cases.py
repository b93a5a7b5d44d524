"""The providers the compat suite drives, as data: one row each, read by parametrised tests.

Each row says how compat names the model, which key the SDK may send as its own, and where the
translated upstream request carries what a test checks (system text, a JSON schema), so the
suite asserts on what actually reached the fake, not only on what came back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes import credentials

Body = dict[str, Any]


@dataclass(frozen=True)
class Target:
    slug: str
    model: str

    @property
    def ref(self) -> str:
        """The compat `model`: `{provider}/{model}`."""
        return f"{self.slug}/{self.model}"


@dataclass(frozen=True)
class ChatCase(Target):
    #: The provider key, sent as the SDK's `api_key` on the open gateway; None where compat
    #: needs a stored credential (Vertex: the service account names the project; Bedrock signs).
    key: str | None
    #: The system and developer text, as the upstream request carries it.
    system: Callable[[Body], Any]
    #: The JSON schema of `response_format`, as the upstream request carries it.
    schema: Callable[[Body], dict[str, Any]]
    http_images: bool = True
    #: Gemini pairs function calls and responses by turn and name; its calls carry no ids.
    pairs_by_turn: bool = False
    #: OpenAI-shaped upstream: the body is forwarded, the fake answers `response_format` too.
    openai_shaped: bool = False

    def __str__(self) -> str:
        return self.slug


def _in_messages(body: Body) -> Any:
    return [m for m in body["messages"] if m["role"] in ("system", "developer")]


def _openai_schema(body: Body) -> dict[str, Any]:
    return body["response_format"]["json_schema"]["schema"]  # type: ignore[no-any-return]


def _gemini_schema(body: Body) -> dict[str, Any]:
    return body["generationConfig"]["responseSchema"]  # type: ignore[no-any-return]


def _bedrock_schema(body: Body) -> dict[str, Any]:
    structure = body["outputConfig"]["textFormat"]["structure"]["jsonSchema"]
    return json.loads(structure["schema"])  # type: ignore[no-any-return]


ANTHROPIC = ChatCase("anthropic", "claude-sonnet-4-5", credentials.ANTHROPIC_KEY,
                     system=lambda b: b["system"],
                     schema=lambda b: b["output_config"]["format"]["schema"])
GOOGLE_AI_STUDIO = ChatCase("google-ai-studio", "gemini-2.5-flash",
                            credentials.GOOGLE_AI_STUDIO_KEY,
                            system=lambda b: b["systemInstruction"], schema=_gemini_schema,
                            pairs_by_turn=True)
VERTEX = ChatCase("google-vertex-ai", "google/gemini-2.5-flash", None,
                  system=lambda b: b["systemInstruction"], schema=_gemini_schema,
                  pairs_by_turn=True)
BEDROCK = ChatCase("aws-bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", None,
                   system=lambda b: b["system"], schema=_bedrock_schema, http_images=False)
COHERE = ChatCase("cohere", "command-a-03-2025", credentials.COHERE_KEY,
                  system=_in_messages, schema=lambda b: b["response_format"]["json_schema"])
OPENAI = ChatCase("openai", "gpt-5-mini", credentials.OPENAI_KEY, system=_in_messages,
                  schema=_openai_schema, openai_shaped=True)
WORKERS_AI = ChatCase("workers-ai", "@cf/meta/llama-3.1-8b-instruct", credentials.WORKERS_AI_KEY,
                      system=_in_messages, schema=_openai_schema, openai_shaped=True)

CASES: tuple[ChatCase, ...] = (ANTHROPIC, GOOGLE_AI_STUDIO, VERTEX, BEDROCK, COHERE, OPENAI,
                               WORKERS_AI)
TRANSLATED: tuple[ChatCase, ...] = tuple(c for c in CASES if not c.openai_shaped)
CLIENT_KEYED: tuple[ChatCase, ...] = tuple(c for c in CASES if c.key)


@dataclass(frozen=True)
class EmbeddingCase(Target):
    dims: int
    #: Whether one request may carry several inputs (Titan embeds one text per call).
    batch: bool = True

    def __str__(self) -> str:
        return self.ref


EMBEDDINGS: tuple[EmbeddingCase, ...] = (
    EmbeddingCase("openai", "text-embedding-3-small", 1536),
    EmbeddingCase("google-ai-studio", "text-embedding-004", 768),
    EmbeddingCase("cohere", "embed-v4.0", 1536),
    EmbeddingCase("workers-ai", "@cf/baai/bge-base-en-v1.5", 768),
    EmbeddingCase("aws-bedrock", "amazon.titan-embed-text-v2:0", 1024, batch=False),
    EmbeddingCase("aws-bedrock", "cohere.embed-english-v3", 1024),
)
