"""OpenAI `/embeddings` <-> Cohere v2 embed (`POST /v2/embed`), for compat.

- `input` (a string or a list of strings) -> `texts`; token-id arrays are rejected: Cohere
  embeds text, and its tokenizer is not OpenAI's.
- `input_type` is required by Cohere's v3+ models and OpenAI has no such field: it defaults to
  "search_document" (what an index stores); a client may send Cohere's `input_type`
  ("search_query", "classification", "clustering") in the body to override it.
- `embedding_types` is always ["float"]; `dimensions` -> `output_dimension` (embed-v4 and newer).
- `encoding_format` is not forwarded: vectors always come back as float lists. The official
  OpenAI SDK asks for base64 by default and accepts float lists in that case unchanged.
- `user` is dropped (no Cohere field).
- usage: `meta.billed_units.input_tokens` is both `prompt_tokens` and `total_tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigw.errors import InvalidRequest
from aigw.providers.spec import UpstreamCall

EMBED_PATH = "/v2/embed"
DEFAULT_INPUT_TYPE = "search_document"
INPUT_TYPES = frozenset({"search_document", "search_query", "classification", "clustering"})


def _texts(value: Any) -> list[str]:
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise InvalidRequest("cohere embeds text: input must be a string or a non-empty list of "
                             "strings", param="input")
    return texts


def build_request(body: dict[str, Any], model: str) -> UpstreamCall:
    input_type = body.get("input_type") or DEFAULT_INPUT_TYPE
    if input_type not in INPUT_TYPES:
        raise InvalidRequest(f"input_type must be one of {', '.join(sorted(INPUT_TYPES))}",
                             param="input_type")
    out: dict[str, Any] = {"model": model, "texts": _texts(body.get("input")),
                           "input_type": input_type, "embedding_types": ["float"]}
    dimensions = body.get("dimensions")
    if dimensions is not None:
        out["output_dimension"] = dimensions
    return UpstreamCall(path=EMBED_PATH, body=out)


def parse_response(data: dict[str, Any], model: str) -> dict[str, Any]:
    embeddings = data.get("embeddings")
    vectors = embeddings.get("float") if isinstance(embeddings, dict) else embeddings
    billed = ((data.get("meta") or {}).get("billed_units") or {}).get("input_tokens") or 0
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": vector}
                 for i, vector in enumerate(vectors or [])],
        "model": model,
        "usage": {"prompt_tokens": int(billed), "total_tokens": int(billed)},
    }


@dataclass(frozen=True)
class EmbeddingFunctions:
    """An `EmbeddingsTranslation` assembled from this module's functions."""

    def build_request(self, body: dict[str, Any], model: str) -> UpstreamCall:
        return build_request(body, model)

    def parse_response(self, data: dict[str, Any], model: str) -> dict[str, Any]:
        return parse_response(data, model)


#: The `EmbeddingsTranslation` compat uses for the `cohere` provider.
COHERE_EMBEDDINGS = EmbeddingFunctions()
