"""`/gateways/{gw}/provider_configs`: stored provider keys (BYOK) — list, create, rotate, delete.

The secret is write-only: it goes to Secrets Manager (`aigw.stores.provider_keys`) and every
answer shows `secret_preview` only. Validation errors name the problem, never the secret.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from aigw.errors import FieldProblem, validation_failed
from aigw.management import provider_config_schema as schema
from aigw.management.auth import authorize
from aigw.management.envelope import ok, ok_page
from aigw.management.gateways import find_gateway
from aigw.management.paging import page_params
from aigw.management.redaction import validate_secret_body
from aigw.providers.slugs import BUILTIN_SLUGS, CUSTOM_PREFIX
from aigw.stores import provider_keys
from aigw.stores.config_store import config_store

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}")


def _provider_problems(account_id: str, slug: str) -> list[FieldProblem]:
    if slug in BUILTIN_SLUGS:
        return []
    custom = slug[len(CUSTOM_PREFIX):] if slug.startswith(CUSTOM_PREFIX) else None
    if custom and config_store().custom_providers.get(account_id, custom) is not None:
        return []
    return [FieldProblem(["provider_slug"], f"unknown provider '{slug[:80]}' (a built-in slug, "
                                            "or custom-{slug} of an existing custom provider)")]


def _check_secret(provider_slug: str, secret: str) -> None:
    problems = schema.secret_problems(provider_slug, secret)
    if problems:
        raise validation_failed(problems)


@router.get("/provider_configs")
async def list_provider_configs(request: Request, account_id: str,
                                gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    page, per_page = page_params(request)
    find_gateway(account_id, gateway_id)
    configs = sorted(provider_keys.list_configs(account_id, gateway_id),
                     key=lambda c: str(c["created_at"]))
    return ok_page(configs, page, per_page)


@router.post("/provider_configs")
async def create_provider_config(request: Request, account_id: str,
                                 gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = validate_secret_body(schema.ProviderConfigCreate, await request.body())
    find_gateway(account_id, gateway_id)
    problems = _provider_problems(account_id, body.provider_slug)
    if problems:
        raise validation_failed(problems)
    _check_secret(body.provider_slug, body.secret)
    fields = body.model_dump(exclude={"secret"})
    fields["secret_preview"] = schema.preview_for(body.provider_slug, body.secret)
    return ok(provider_keys.create_config(account_id, gateway_id, fields, body.secret))


@router.put("/provider_configs/{config_id}")
async def rotate_provider_config(request: Request, account_id: str, gateway_id: str,
                                 config_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = validate_secret_body(schema.ProviderConfigRotate, await request.body())
    find_gateway(account_id, gateway_id)
    provider = provider_keys.find_config(account_id, gateway_id, config_id)["provider_slug"]
    _check_secret(provider, body.secret)
    return ok(provider_keys.rotate_config(account_id, gateway_id, config_id, body.secret,
                                          schema.preview_for(provider, body.secret)))


@router.delete("/provider_configs/{config_id}")
async def delete_provider_config(request: Request, account_id: str, gateway_id: str,
                                 config_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    find_gateway(account_id, gateway_id)
    return ok(provider_keys.delete_config(account_id, gateway_id, config_id))
