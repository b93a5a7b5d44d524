"""Fake Azure OpenAI: `/openai/deployments/{deployment}/chat/completions` and `/embeddings`.

Azure routes on the `api-version` query (without it: 404 "Resource not found"), authenticates
with the `api-key` header (Azure's 401 body), takes the model from the deployment (a body `model`
is optional) and adds its content-filter annotations to the OpenAI bodies; a stream opens with
Azure's prompt-filter chunk, whose `choices` is empty and whose `id` and `model` are blank.
`upstream_base` keeps the provider's `{deployment}` placeholder.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from tests.fakes.credentials import AZURE_OPENAI_KEY
from tests.fakes.upstreams import openai
from tests.fakes.upstreams.common import FakeHTTPError, FakeUpstream, build_fake, fixture, new_id

ACCESS_DENIED = ("Access denied due to invalid subscription key or wrong API endpoint. Make sure "
                 "to provide a valid key for an active subscription and use a correct regional "
                 "API endpoint for your resource.")
NO_DEPLOYMENT = ("The API deployment for this resource does not exist. If you created the "
                 "deployment within the last 5 minutes, please wait a moment and try again.")


def create(deployments: Collection[str] | None = None) -> FakeUpstream:
    """`deployments`: the deployment names that exist (default: any name)."""
    fake = build_fake("azure-openai", "/openai/deployments/{deployment}")

    def check(request: Request, deployment: str) -> None:
        if not request.query_params.get("api-version"):
            raise FakeHTTPError(404, {"error": {"code": "404", "message": "Resource not found"}})
        if request.headers.get("api-key") != AZURE_OPENAI_KEY:
            raise FakeHTTPError(401, {"error": {"code": "401", "message": ACCESS_DENIED}})
        if deployments is not None and deployment not in deployments:
            raise FakeHTTPError(404, {"error": {"code": "DeploymentNotFound",
                                                "message": NO_DEPLOYMENT}})

    @fake.app.post("/openai/deployments/{deployment}/chat/completions")
    async def chat(deployment: str, request: Request) -> Response:
        check(request, deployment)
        body = await openai.body_or_400(request)
        openai.validate_chat(body, model_required=False)
        if body.get("stream"):
            return openai.stream(stream_chunks(body, deployment))
        return JSONResponse(completion(body, deployment),
                            headers={"apim-request-id": new_id("", 32)})

    @fake.app.post("/openai/deployments/{deployment}/embeddings")
    async def embeddings(deployment: str, request: Request) -> Response:
        check(request, deployment)
        body = await openai.body_or_400(request)
        openai.validate_embeddings(body, model_required=False)
        return JSONResponse(openai.embeddings(body, deployment))

    return fake


def _filters() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    example = fixture("azure_openai", "chat_completion")
    return example["choices"][0]["content_filter_results"], example["prompt_filter_results"]


def completion(body: dict[str, Any], deployment: str) -> dict[str, Any]:
    out = openai.completion(body, deployment)
    choice_filters, prompt_filters = _filters()
    out.pop("service_tier", None)
    out["prompt_filter_results"] = prompt_filters
    for choice in out["choices"]:
        choice["content_filter_results"] = choice_filters
    return out


def stream_chunks(body: dict[str, Any], deployment: str) -> list[dict[str, Any]]:
    choice_filters, _ = _filters()
    chunks = openai.completion_chunks(body, deployment)
    for chunk in chunks:
        chunk.pop("service_tier", None)
        chunk.pop("obfuscation", None)
        for choice in chunk["choices"]:
            if choice["delta"].get("content"):
                choice["content_filter_results"] = choice_filters
    return [fixture("azure_openai", "prompt_filter_chunk"), *chunks]
