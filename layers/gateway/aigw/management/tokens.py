"""`/tokens`: aigw's gateway API tokens (spec section 7) — create, list, revoke.

The value is in the create answer only; listings show the display `prefix` and `last_used_at`.
A token limited to some `gateways` may only `run`: management permissions are account-wide, so
granting `read`/`edit` with a gateway list would promise a restriction that is not enforced.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from aigw import tokens
from aigw.gateway_schema import GatewayId
from aigw.management.auth import authorize
from aigw.management.envelope import ok, ok_page
from aigw.management.paging import page_params
from aigw.validation import parse_json_object, validate

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway")


class TokenCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=120)]
    gateways: Annotated[list[GatewayId], Field(min_length=1, max_length=100)] | None = None
    permissions: Annotated[list[Literal["run", "read", "edit"]],
                           Field(min_length=1, max_length=3)] = ["run"]

    @model_validator(mode="after")
    def _scoped_tokens_only_run(self) -> "TokenCreate":
        if self.gateways is not None and set(self.permissions) - {"run"}:
            raise ValueError("a token limited to some gateways may only have 'run'; 'read' and "
                             "'edit' apply to the whole account (use gateways: null)")
        return self


@router.get("/tokens")
async def list_tokens(request: Request, account_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    page, per_page = page_params(request)
    found = sorted(tokens.list_tokens(account_id), key=lambda t: str(t["created_at"]))
    return ok_page(found, page, per_page)


@router.post("/tokens")
async def create_token(request: Request, account_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = validate(TokenCreate, parse_json_object(await request.body()))
    gateways = sorted(set(body.gateways)) if body.gateways is not None else None
    doc, value = tokens.create_token(account_id, body.name, gateways, list(body.permissions))
    view = {**doc, "value": value}
    view.pop("last_used_at", None)
    return ok(view)


@router.delete("/tokens/{token_id}")
async def revoke_token(request: Request, account_id: str, token_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    return ok(tokens.revoke_token(account_id, token_id))
