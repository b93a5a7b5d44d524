"""`/gateways`: list, create, get, full update, delete, and the data-plane URL of a provider."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request

from aigw.config import get_settings
from aigw.errors import InvalidRequest, NotFound
from aigw.gateway_schema import (
    GATEWAY_ID_PATTERN,
    GatewayCreate,
    GatewaySettings,
    gateway_document,
    validate_gateway,
)
from aigw.ids import now_iso
from aigw.management.auth import authorize
from aigw.management.envelope import ok, ok_page
from aigw.management.paging import page_params
from aigw.management.redaction import secret_preview
from aigw.stores.config_store import config_store
from aigw.stores.log_store import LogStore, partition
from aigw.stores.provider_keys import delete_gateway_keys
from aigw.stores.route_store import route_store
from aigw.validation import parse_json_object

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway")
_GATEWAY_ID = re.compile(GATEWAY_ID_PATTERN)
_PROVIDER = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def find_gateway(account_id: str, gateway_id: str) -> dict[str, Any]:
    doc = config_store().gateways.get(account_id, gateway_id)
    if doc is None:
        raise NotFound(f"gateway '{gateway_id}' not found")
    return doc


def public_gateway(doc: dict[str, Any]) -> dict[str, Any]:
    """The gateway as answers show it: OpenTelemetry exporter header values and authorization
    as previews only (they are credentials for the collector)."""
    exporters = doc.get("otel")
    if not exporters:
        return doc
    shown = [{**e, "headers": {k: secret_preview(v) for k, v in (e.get("headers") or {}).items()},
              **({"authorization": secret_preview(e["authorization"])}
                 if e.get("authorization") else {})} for e in exporters]
    return {**doc, "otel": shown}


def keep_exporter_secrets(doc: dict[str, Any], old: dict[str, Any]) -> None:
    """A PUT that sends back the previews an answer showed keeps the stored values: for an
    exporter of the same URL, a value equal to the preview of the stored one is that value."""
    before = {e.get("url"): e for e in old.get("otel") or []}
    for exporter in doc.get("otel") or []:
        stored = before.get(exporter.get("url"))
        if stored is None:
            continue
        stored_headers = stored.get("headers") or {}
        for name, value in (exporter.get("headers") or {}).items():
            if name in stored_headers and value == secret_preview(stored_headers[name]):
                exporter["headers"][name] = stored_headers[name]
        auth = stored.get("authorization")
        if auth and exporter.get("authorization") == secret_preview(auth):
            exporter["authorization"] = auth


@router.get("/gateways")
async def list_gateways(request: Request, account_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    page, per_page = page_params(request)
    search = (request.query_params.get("search") or "").lower()
    gateways = [g for g in config_store().gateways.list(account_id) if search in g["id"].lower()]
    return ok_page([public_gateway(g) for g in gateways], page, per_page)


@router.post("/gateways")
async def create_gateway(request: Request, account_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = validate_gateway(GatewayCreate, parse_json_object(await request.body()))
    now = now_iso()
    settings = GatewaySettings.model_validate(body.model_dump(exclude={"id"}))
    doc = gateway_document(body.id, settings, now, now)
    config_store().gateways.create(account_id, body.id, doc)
    return ok(public_gateway(doc))


@router.get("/gateways/{gateway_id}")
async def get_gateway(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    return ok(public_gateway(find_gateway(account_id, gateway_id)))


@router.put("/gateways/{gateway_id}")
async def update_gateway(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    settings = validate_gateway(GatewaySettings, parse_json_object(await request.body()))
    old = find_gateway(account_id, gateway_id)
    doc = gateway_document(gateway_id, settings, old["created_at"], now_iso())
    keep_exporter_secrets(doc, old)
    generation = int(old.get("cache_generation") or 0)
    if settings.cache_invalidate_on_update or old.get("cache_invalidate_on_update"):
        # The cache key includes the generation: the old answers are never read again and
        # expire by TTL (other warm processes see the new generation within the config TTL).
        generation += 1
    if generation:
        doc["cache_generation"] = generation
    config_store().gateways.replace(account_id, gateway_id, doc)
    return ok(public_gateway(doc))


@router.delete("/gateways/{gateway_id}")
async def delete_gateway(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    deleted = config_store().gateways.delete(account_id, gateway_id)
    # Its stored provider keys, routes and logs go with it: a re-created gateway of that id
    # starts clean (its logs live under the old generation's partition, unreachable from now on).
    delete_gateway_keys(account_id, gateway_id)
    route_store().delete_gateway_routes(account_id, gateway_id)
    LogStore().delete_partition(partition(account_id, deleted))
    return ok(public_gateway(deleted))


#: A host as a URL authority may carry it: DNS labels or a bracketed IPv6 literal, and a port.
_AUTHORITY = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
                        r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def public_base_url(request: Request) -> str:
    """The base URL handed to clients, never built from what a client may forge.

    1. `AIGW_PUBLIC_BASE_URL` (the template's `PublicBaseUrl`, e.g. a custom domain);
    2. deployed: the stack's API URL as API Gateway reports it (`requestContext.domainName` and
       the stage), not the `Host` or `X-Forwarded-*` headers;
    3. local: the connection's scheme (http or https only) and the `Host` header, validated as
       a host name or address with an optional port.
    """
    configured = get_settings().public_base_url
    if configured and configured.startswith(("https://", "http://")):
        return configured
    context = (request.scope.get("aws.event") or {}).get("requestContext") or {}
    domain, stage = context.get("domainName"), context.get("stage")
    if isinstance(domain, str) and _AUTHORITY.fullmatch(domain):
        base = f"https://{domain}"
        if isinstance(stage, str) and stage and stage != "$default" \
                and domain.endswith(".amazonaws.com") and re.fullmatch(r"[A-Za-z0-9_-]+", stage):
            base += f"/{stage}"
        return base
    host = request.headers.get("host") or ""
    if not _AUTHORITY.fullmatch(host):
        raise InvalidRequest("the request's Host header is not a valid host", code=7001)
    scheme = request.url.scheme if request.url.scheme in ("http", "https") else "http"
    return f"{scheme}://{host}"


@router.get("/gateways/{gateway_id}/url/{provider}")
async def gateway_url(request: Request, account_id: str, gateway_id: str,
                      provider: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    find_gateway(account_id, gateway_id)
    if not _PROVIDER.fullmatch(provider) or len(provider) > 64:
        raise InvalidRequest(f"'{provider}' is not a provider slug", code=7001)
    return ok(f"{public_base_url(request)}/v1/{account_id}/{gateway_id}/{provider}")
