"""`/compat/embeddings` and `GET /compat/models` through the official `openai` SDK.

The SDK asks for `encoding_format=base64` unless told otherwise and decodes the vectors itself,
so every provider's floats must come back as little-endian float32 base64 — checked against the
vectors the fakes compute, which depend only on the text and the dimensions.
"""

from __future__ import annotations

import pytest
from openai import OpenAI
from openai.types import CreateEmbeddingResponse, Model

from tests.e2e.compat.cases import EMBEDDINGS, EmbeddingCase
from tests.e2e.compat.conftest import LOCKED, CompatStack
from tests.fakes.upstreams.common import embedding

TEXTS = ["The quick brown fox", "jumps over the lazy dog"]


def embed_client(compat: CompatStack) -> OpenAI:
    """Embeddings run on stored keys for every provider (Bedrock has to sign)."""
    return compat.client(LOCKED, compat.run_token)


def inputs(case: EmbeddingCase) -> list[str]:
    return TEXTS if case.batch else TEXTS[:1]


def assert_vectors(answer: CreateEmbeddingResponse, case: EmbeddingCase, tolerance: float) -> None:
    assert isinstance(answer, CreateEmbeddingResponse) and answer.object == "list"
    assert [d.index for d in answer.data] == list(range(len(inputs(case))))
    for item, text in zip(answer.data, inputs(case), strict=True):
        assert item.object == "embedding" and len(item.embedding) == case.dims
        assert item.embedding == pytest.approx(embedding(text, case.dims), abs=tolerance)


@pytest.mark.parametrize("case", EMBEDDINGS, ids=str)
def test_sdk_default_base64_decodes_to_the_vectors(compat: CompatStack,
                                                   case: EmbeddingCase) -> None:
    answer = embed_client(compat).embeddings.create(model=case.ref, input=inputs(case))
    assert_vectors(answer, case, tolerance=1e-6)  # float32 round trip
    sent = compat.upstream(case.slug)[-1].json()
    assert sent.get("encoding_format") in (None, "base64")  # translated bodies drop it


@pytest.mark.parametrize("case", EMBEDDINGS, ids=str)
def test_float_encoding(compat: CompatStack, case: EmbeddingCase) -> None:
    answer = embed_client(compat).embeddings.create(model=case.ref, input=inputs(case),
                                                    encoding_format="float")
    assert_vectors(answer, case, tolerance=0)
    assert answer.usage.total_tokens == answer.usage.prompt_tokens


def test_models_list(compat: CompatStack) -> None:
    models = list(embed_client(compat).models.list())
    assert models and all(isinstance(m, Model) and m.object == "model" for m in models)
    ids = {m.id for m in models}
    assert {"openai/gpt-5-mini", "anthropic/claude-sonnet-4-5",
            "google-ai-studio/gemini-2.5-flash", "aws-bedrock/amazon.titan-embed-text-v2:0",
            "cohere/embed-v4.0", "workers-ai/@cf/meta/llama-3.1-8b-instruct"} <= ids
    sonnet = next(m for m in models if m.id == "anthropic/claude-sonnet-4-5")
    assert sonnet.owned_by == "anthropic"
    assert (sonnet.model_extra or {})["pricing"]["input_per_million"] == 3.0
