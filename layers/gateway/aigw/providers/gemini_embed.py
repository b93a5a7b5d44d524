"""OpenAI `/embeddings` -> Gemini `batchEmbedContents` (Google AI Studio).

One call serves a single string or a list: each input becomes one EmbedContentRequest, and the
answer keeps their order. `dimensions` -> outputDimensionality. Token-id inputs cannot be sent
(Gemini embeds text only). batchEmbedContents reports no token counts, so usage is zero unless
a usageMetadata appears. Vectors are returned as floats; `encoding_format: "base64"` is the
core's to apply, since the translation never sees the request again when parsing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigw.errors import InvalidRequest
from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT
from aigw.providers.spec import UpstreamCall


def embedding_texts(body: dict[str, Any]) -> list[str]:
    """OpenAI `input` (a string or a list of strings) as a list; token arrays are refused."""
    value = body.get("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise InvalidRequest("input must be a string or a non-empty list of strings "
                             "(token arrays are not supported for this provider)", param="input")
    return texts


def embedding_list(vectors: list[list[float]], model: str, prompt_tokens: int) -> dict[str, Any]:
    """The OpenAI `{"object": "list", ...}` embeddings answer."""
    return {"object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": v}
                     for i, v in enumerate(vectors)],
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}}


@dataclass(frozen=True)
class GeminiEmbeddings:
    """EmbeddingsTranslation for `/v1beta/models/{model}:batchEmbedContents`."""

    def build_request(self, body: dict[str, Any], model: str) -> UpstreamCall:
        name = GOOGLE_AI_STUDIO_CHAT.model_name(model)
        extra = {}
        if body.get("dimensions") is not None:
            extra["outputDimensionality"] = body["dimensions"]
        requests = [{"model": f"models/{name}", "content": {"parts": [{"text": text}]}, **extra}
                    for text in embedding_texts(body)]
        return UpstreamCall(path=f"/v1beta/models/{name}:batchEmbedContents",
                            body={"requests": requests})

    def parse_response(self, data: dict[str, Any], model: str) -> dict[str, Any]:
        vectors = [e.get("values") or [] for e in data.get("embeddings") or []]
        tokens = (data.get("usageMetadata") or {}).get("promptTokenCount") or 0
        return embedding_list(vectors, model, tokens)


GOOGLE_AI_STUDIO_EMBEDDINGS = GeminiEmbeddings()
