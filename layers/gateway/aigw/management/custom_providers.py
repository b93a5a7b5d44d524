"""`/custom-providers`: OpenAI-style upstreams of the account's own, used as `custom-{slug}`.

Each is stored with the slug as its document id, so the data plane resolves `custom-{slug}` with
one cached `GetItem`; the Cloudflare-style `id` is a separate uuid, and routes accept either.

Header values are secrets: they live in Secrets Manager (`stores/custom_provider_headers.py`);
the document and every answer hold only previews. A PUT without `headers` keeps the stored ones
(`headers: {}` clears them) — unless it changes `base_url`: moving where the headers go requires
sending them again in the same update, so a `base_url` change without `headers` drops them, and
also deletes the account's stored provider keys for `custom-{slug}` (they would follow the
provider to its new host).
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
from aigw.providers.slugs import CUSTOM_PREFIX
from aigw.stores import custom_provider_headers as header_store
from aigw.stores import provider_keys
from aigw.stores.config_store import config_store

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway/custom-providers")


def public_view(doc: dict[str, Any]) -> dict[str, Any]:
    """As Cloudflare shows it (`headers` a JSON string of previews); internal fields left out."""
    headers = doc.get("headers")
    if headers and header_store.is_legacy(doc):
        headers = {k: secret_preview(v) for k, v in headers.items()}
    shown = json.dumps(headers) if headers else None
    view = {k: v for k, v in doc.items() if k != header_store.SECRET_FIELD}
    return {**view, "headers": shown}


def _header_fields(account_id: str, slug: str,
                   headers: dict[str, str] | None) -> dict[str, Any]:
    """Store the values as a secret; the document keeps names and previews."""
    secret_id = header_store.store(account_id, slug, headers)
    previews = {k: secret_preview(v) for k, v in headers.items()} if headers else None
    return {"headers": previews, header_store.SECRET_FIELD: secret_id}


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
    fields = body.model_dump()
    headers = fields.pop("headers", None)
    doc = {"id": uuid.uuid4().hex, **fields, "headers": None, header_store.SECRET_FIELD: None,
           "created_at": now, "modified_at": now}
    store = config_store().custom_providers
    store.create(account_id, body.slug, doc)  # the conditional write is the lock on the slug
    if headers:
        try:
            doc = {**doc, **_header_fields(account_id, body.slug, headers)}
            store.replace(account_id, body.slug, doc)
        except BaseException:
            store.delete(account_id, body.slug)
            header_store.drop(account_id, body.slug)
            raise
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
    slug = old["slug"]
    if body.slug is not None and body.slug != slug:
        raise validation_failed([FieldProblem(["slug"], "cannot change (it is the provider's "
                                                        "data-plane name); create a new one")])
    fields = body.model_dump(exclude={"slug", "headers"})
    moved = fields["base_url"] != old["base_url"]
    if "headers" in body.model_fields_set:
        fields.update(_header_fields(account_id, slug, body.headers))  # type: ignore[arg-type]
    elif moved:
        # The stored values were given for the old destination: they do not follow it.
        fields.update(_header_fields(account_id, slug, None))
    elif header_store.is_legacy(old):
        fields.update(_header_fields(account_id, slug, old["headers"]))
    else:
        fields.update({"headers": old.get("headers"),
                       header_store.SECRET_FIELD: old.get(header_store.SECRET_FIELD)})
    if moved:
        _drop_provider_keys(account_id, f"{CUSTOM_PREFIX}{slug}")
    doc = {**old, **fields, "modified_at": now_iso()}
    config_store().custom_providers.replace(account_id, slug, doc)
    return ok(public_view(doc))


def _drop_provider_keys(account_id: str, provider_slug: str) -> None:
    """Delete every stored key of `provider_slug` in the account (all gateways)."""
    for config in config_store().provider_configs.list(account_id):
        if config.get("provider_slug") == provider_slug:
            provider_keys.delete_config(account_id, str(config["gateway_id"]), str(config["id"]))


@router.delete("/{ref}")
async def delete_custom_provider(request: Request, account_id: str, ref: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    old = _find(account_id, ref)
    deleted = config_store().custom_providers.delete(account_id, old["slug"])
    header_store.drop(account_id, old["slug"])
    return ok(public_view(deleted))
