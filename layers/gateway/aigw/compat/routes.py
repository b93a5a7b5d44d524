"""Compat routes: `/v1/{account}/{gateway}/compat/...`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from aigw.compat.chat import chat_completions
from aigw.compat.embeddings import embeddings
from aigw.compat.upstream_call import split_auth
from aigw.costs import model_catalog
from aigw.gateways import load_gateway
from aigw.web.incoming import path_names
from aigw.web.request_context import record_of

router = APIRouter(prefix="/v1/{account_id}/{gateway_id}/compat")


def _headers(request: Request) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in request.scope["headers"]}


@router.post("/chat/completions")
async def chat(request: Request) -> Response:
    account_id, gateway_id = path_names(request, 2)
    return await chat_completions(account_id, gateway_id, _headers(request),
                                  await request.body(), record_of(request.scope))


@router.post("/embeddings")
async def embed(request: Request) -> Response:
    account_id, gateway_id = path_names(request, 2)
    return await embeddings(account_id, gateway_id, _headers(request), await request.body(),
                            record_of(request.scope))


@router.get("/models")
async def models(request: Request) -> dict[str, object]:
    account_id, gateway_id = path_names(request, 2)
    gateway_headers, _ = split_auth(_headers(request), account_id, gateway_id)
    load_gateway(account_id, gateway_id, gateway_headers)
    return {"object": "list", "data": model_catalog()}
