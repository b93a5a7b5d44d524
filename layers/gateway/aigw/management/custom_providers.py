"""`/custom-providers`: OpenAI-style upstreams of the account's own, used as `custom-{slug}`.

Each is stored with the slug as its document id, so the data plane resolves `custom-{slug}` with
one cached `GetItem`; the Cloudflare-style `id` is a separate uuid, and routes accept either.
Header values are write-only like provider keys: answers show previews, and a PUT without
`headers` keeps the stored ones (`headers: {}` clears them).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request

from aigw.errors import FieldProblem, NotFound, validation_failed
from aigw.ids import now_iso
from aigw.management.auth import authorize
from aigw.management.custom_provider_schema import (
    CustomProviderBody,
    CustomProviderUpdate,
)
from aigw.management.envelope import ok, ok_page
from aigw.management.paging import page_params
from aigw.management.redaction import secret_preview, validate_secret_body
from aigw.stores.config_store import config_store

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway/custom-providers")


def public_view(doc: dict[str, Any]) -> dict[str, Any]:
    """As Cloudflare shows it (`headers` a JSON string), with header values previewed."""
    headers = doc.get("headers")
    shown = json.dumps({k: secret_preview(v) for k, v in headers.items()}) if headers else None
    return {**doc, "headers": shown}


def _find(account_id: str, ref: str) -> dict[str, Any]:
    """By uuid `id`, or by slug (the document id)."""
    store = config_store().custom_providers
    found = next((d for d in store.list(account_id) if d.get("id") == ref), None)
    if found is None and len(ref) <= 64:
        found = store.get(account_id, ref)
    if found is None:
        raise NotFound(f"custom provider '{ref[:64]}' not found")
    return found


@router.get("")
async def list_custom_providers(request: Request, account_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    page, per_page = page_params(request)
    q = request.query_params
    search = (q.get("search") or "").lower()
    enable = q.get("enable")
    if enable not in (None, "", "true", "false"):
        raise validation_failed([FieldProblem(["enable"], "must be true or false")])
    docs = [d for d in config_store().custom_providers.list(account_id)
            if any(search in str(d.get(k, "")).lower() for k in ("id", "name", "slug"))
            and (not enable or d.get("enable") is (enable == "true"))]
    docs.sort(key=lambda d: str(d["created_at"]))
    return ok_page([public_view(d) for d in docs], page, per_page)


@router.post("")
async def create_custom_provider(request: Request, account_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = validate_secret_body(CustomProviderBody, await request.body())
    now = now_iso()
    doc = {"id": uuid.uuid4().hex, **body.model_dump(), "created_at": now, "modified_at": now}
    config_store().custom_providers.create(account_id, body.slug, doc)
    return ok(public_view(doc))


@router.get("/{ref}")
async def get_custom_provider(request: Request, account_id: str, ref: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    return ok(public_view(_find(account_id, ref)))


@router.put("/{ref}")
async def update_custom_provider(request: Request, account_id: str, ref: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = validate_secret_body(CustomProviderUpdate, await request.body())
    old = _find(account_id, ref)
    if body.slug is not None and body.slug != old["slug"]:
        raise validation_failed([FieldProblem(["slug"], "cannot change (it is the provider's "
                                                        "data-plane name); create a new one")])
    fields = body.model_dump(exclude={"slug"})
    if "headers" not in body.model_fields_set:
        fields["headers"] = old.get("headers")
    doc = {**old, **fields, "modified_at": now_iso()}
    config_store().custom_providers.replace(account_id, old["slug"], doc)
    return ok(public_view(doc))


@router.delete("/{ref}")
async def delete_custom_provider(request: Request, account_id: str, ref: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    old = _find(account_id, ref)
    return ok(public_view(config_store().custom_providers.delete(account_id, old["slug"])))
