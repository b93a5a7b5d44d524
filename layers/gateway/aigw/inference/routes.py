"""Data-plane routes: `/v1/{account}/{gateway}/{provider}/{path...}`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from aigw.pipeline import Incoming, passthrough
from aigw.universal import universal
from aigw.web.incoming import header_list, path_names, path_tail
from aigw.web.request_context import record_of

router = APIRouter()
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.api_route("/v1/{account_id}/{gateway_id}/{provider}/{rest:path}", methods=METHODS)
@router.api_route("/v1/{account_id}/{gateway_id}/{provider}", methods=METHODS)
async def provider_passthrough(request: Request) -> Response:
    # Names come from the raw path, segment by segment (`path_names`), not the router's decoded
    # parameters: the same split gives the tail, so the two never disagree about a `%2F`.
    account_id, gateway_id, provider = path_names(request, 3)
    incoming = Incoming(
        method=request.method, account_id=account_id, gateway_id=gateway_id, provider=provider,
        rest=path_tail(request, 4), query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=header_list(request), body=await request.body())
    return await passthrough(incoming, record_of(request.scope))


@router.post("/v1/{account_id}/{gateway_id}")
async def universal_endpoint(request: Request) -> Response:
    account_id, gateway_id = path_names(request, 2)
    return await universal(account_id, gateway_id, header_list(request), await request.body(),
                           record_of(request.scope))
