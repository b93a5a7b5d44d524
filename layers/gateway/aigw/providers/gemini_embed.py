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

from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT
from aigw.providers.openai_request import embedding_list, embedding_texts
from aigw.providers.spec import UpstreamCall


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
