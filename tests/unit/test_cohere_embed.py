"""Cohere embeddings translation: the edges the fixture cases do not reach."""

from __future__ import annotations

from typing import Any

import pytest

from aigw.errors import InvalidRequest
from aigw.providers.cohere_embed import COHERE_EMBEDDINGS, DEFAULT_INPUT_TYPE

MODEL = "embed-v4.0"


def build(**body: Any) -> dict[str, Any]:
    return COHERE_EMBEDDINGS.build_request(body, MODEL).body


@pytest.mark.parametrize("value", [[1, 2, 3], [[1, 2], [3]], [], None, ["ok", 3]])
def test_token_arrays_and_empty_input_are_rejected(value: Any) -> None:
    with pytest.raises(InvalidRequest) as info:
        build(input=value)
    assert info.value.param == "input"


def test_input_type_defaults_to_search_document() -> None:
    assert build(input="x")["input_type"] == DEFAULT_INPUT_TYPE == "search_document"


def test_unknown_input_type_is_rejected() -> None:
    with pytest.raises(InvalidRequest) as info:
        build(input="x", input_type="image")
    assert info.value.param == "input_type"


def test_float_embeddings_always() -> None:
    assert build(input="x", encoding_format="base64")["embedding_types"] == ["float"]


def test_response_without_billed_units_counts_zero() -> None:
    out = COHERE_EMBEDDINGS.parse_response({"id": "e", "embeddings": {"float": [[0.1]]}}, MODEL)
    assert out["usage"] == {"prompt_tokens": 0, "total_tokens": 0}
    assert out["data"] == [{"object": "embedding", "index": 0, "embedding": [0.1]}]
