"""Compat routes: `/v1/{account}/{gateway}/compat/...`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from aigw.compat.chat import chat_completions
from aigw.compat.dynamic import SurfaceCall, dynamic_route, route_name
from aigw.compat.embeddings import embeddings
from aigw.compat.upstream_call import parse_body, split_auth
from aigw.costs import model_catalog
from aigw.gateways import load_gateway
from aigw.routing.counters import route_counters
from aigw.web.incoming import path_names
from aigw.web.request_context import record_of

router = APIRouter(prefix="/v1/{account_id}/{gateway_id}/compat")


def _headers(request: Request) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in request.scope["headers"]}


async def _dispatch(request: Request, surface: SurfaceCall) -> Response:
    """`model: "dynamic/{name}"` runs the route, which calls `surface` per model element."""
    account_id, gateway_id = path_names(request, 2)
    raw, headers, log = await request.body(), _headers(request), record_of(request.scope)
    if b'"dynamic/' in raw:
        body = parse_body(raw)
        if route_name(body) is not None:
            return await dynamic_route(account_id, gateway_id, headers, body, log, surface,
                                       route_counters())
    return await surface(account_id, gateway_id, headers, raw, log)


@router.post("/chat/completions")
async def chat(request: Request) -> Response:
    return await _dispatch(request, chat_completions)


@router.post("/embeddings")
async def embed(request: Request) -> Response:
    return await _dispatch(request, embeddings)


@router.get("/models")
async def models(request: Request) -> dict[str, object]:
    account_id, gateway_id = path_names(request, 2)
    gateway_headers, _ = split_auth(_headers(request), account_id, gateway_id)
    load_gateway(account_id, gateway_id, gateway_headers)
    return {"object": "list", "data": model_catalog()}
