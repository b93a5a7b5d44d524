"""OpenAI `/embeddings` -> Bedrock InvokeModel (`/model/{modelId}/invoke`) for Titan and Cohere.

    amazon.titan-embed-text-*  {"inputText", "dimensions"?} -> {"embedding", "inputTextTokenCount"}
                               One text per call: a list of several inputs is a 400, since one
                               OpenAI request must stay one upstream call. `dimensions` needs
                               Titan v2 (256, 512 or 1024).
    cohere.embed-*             {"texts", "input_type", "embedding_types": ["float"],
                               "output_dimension"? (v4 only)} -> {"embeddings": {"float": [...]}}
                               (an untyped list of vectors is read too). OpenAI has no
                               input_type: the client may send one (extra_body), else
                               "search_document". Cohere on Bedrock reports no token counts in
                               the body.

The family is read from the model id, so cross-region inference profiles ("us.cohere...")
work too. Vectors are returned as floats (see `gemini_embed` on `encoding_format`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigw.errors import InvalidRequest
from aigw.providers.bedrock_converse import model_path
from aigw.providers.openai_request import embedding_list, embedding_texts
from aigw.providers.spec import UpstreamCall


def family(model: str) -> str:
    if "titan-embed" in model:
        return "titan"
    if "cohere.embed" in model:
        return "cohere"
    raise InvalidRequest(f"'{model}' is not a Bedrock embeddings model aigw can translate "
                         "(amazon.titan-embed-text-*, cohere.embed-*)", param="model")


def titan_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    texts = embedding_texts(body)
    if len(texts) > 1:
        raise InvalidRequest("Titan embeddings take one input per call; send one string per "
                             "request", param="input")
    out: dict[str, Any] = {"inputText": texts[0]}
    if body.get("dimensions") is not None:
        if "titan-embed-text-v1" in model:
            raise InvalidRequest("dimensions needs amazon.titan-embed-text-v2",
                                 param="dimensions")
        out["dimensions"] = body["dimensions"]
    return out


def cohere_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    out: dict[str, Any] = {"texts": embedding_texts(body),
                           "input_type": body.get("input_type") or "search_document",
                           "embedding_types": ["float"]}
    if body.get("dimensions") is not None:
        if "embed-v4" not in model:
            raise InvalidRequest("dimensions needs cohere.embed-v4 (256, 512, 1024 or 1536)",
                                 param="dimensions")
        out["output_dimension"] = body["dimensions"]
    return out


@dataclass(frozen=True)
class BedrockEmbeddings:
    """EmbeddingsTranslation for Titan and Cohere embeddings models on Bedrock."""

    def build_request(self, body: dict[str, Any], model: str) -> UpstreamCall:
        build = titan_body if family(model) == "titan" else cohere_body
        return UpstreamCall(path=model_path(model) + "/invoke", body=build(body, model))

    def parse_response(self, data: dict[str, Any], model: str) -> dict[str, Any]:
        if family(model) == "titan":
            return embedding_list([data.get("embedding") or []], model,
                                  data.get("inputTextTokenCount") or 0)
        vectors = data.get("embeddings") or []
        if isinstance(vectors, dict):
            vectors = vectors.get("float") or []
        return embedding_list(vectors, model, 0)


BEDROCK_EMBEDDINGS = BedrockEmbeddings()
