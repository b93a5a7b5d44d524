"""Shared compat steps: authenticate, pick the provider, credential, target, send.

Chat completions and embeddings differ only in how the body is translated; everything from the
gateway check to the upstream call is here, once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aigw.compat.model_ref import ModelRef, parse_model
from aigw.config import Settings, get_settings
from aigw.credentials import CredentialUse, attach, compat_credential
from aigw.errors import InvalidRequest
from aigw.gateways import load_gateway
from aigw.json_input import parse_json
from aigw.logs import LogRecord
from aigw.management.auth import bearer
from aigw.own_tokens import authenticate_with, is_own_token
from aigw.pipeline import custom_lookup
from aigw.providers.registry import is_user_configured, resolve_provider, route_request
from aigw.providers.spec import Provider, UpstreamCall
from aigw.request_options import RequestOptions, effective_retry, parse_request_options
from aigw.upstream import UpstreamRequest, UpstreamResponse, send_with_retries


@dataclass
class CompatContext:
    provider: Provider
    model: str
    use: CredentialUse
    secret: str | None
    extra_headers: dict[str, str]
    options: RequestOptions
    gateway: dict[str, Any]
    account_id: str
    settings: Settings


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = parse_json(raw or b"null")
    except ValueError as e:
        raise InvalidRequest("the request body is not valid JSON") from e
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    return body


def split_auth(headers: Mapping[str, str], account_id: str,
               gateway_id: str) -> tuple[dict[str, str], str | None]:
    """(headers for gateway auth, the client's provider key).

    OpenAI SDKs always send `Authorization: Bearer <api_key>`. When that value is one of aigw's
    own tokens it is never a provider key (`aigw.own_tokens`): valid for this gateway, it
    authenticates (unless `cf-aig-authorization` is there) and stored keys are used; otherwise
    401. Any other value is the provider key.
    """
    gateway_headers = dict(headers)
    key = bearer(headers.get("authorization"))
    if key is None or not is_own_token(key):
        return gateway_headers, key
    authenticate_with(account_id, [key], gateway_headers)
    return gateway_headers, None


def prepare(account_id: str, gateway_id: str, headers: Mapping[str, str], model: object,
            log: LogRecord) -> tuple[CompatContext, ModelRef]:
    settings = get_settings()
    ref = parse_model(model)
    log.account_id, log.gateway_id = account_id, gateway_id
    log.provider, log.model = ref.provider, ref.model
    log.request_content_type = headers.get("content-type")
    options = parse_request_options(headers)
    log.metadata = options.metadata
    gateway_headers, client_key = split_auth(headers, account_id, gateway_id)
    gateway = load_gateway(account_id, gateway_id, gateway_headers)
    log.collect = options.collect_log if options.collect_log is not None else bool(
        gateway.get("collect_logs", True))
    log.payload = options.collect_log_payload
    try:
        provider = resolve_provider(ref.provider, custom_lookup(account_id))
    except InvalidRequest as e:
        e.param = "model"
        raise
    shape = provider.compat_model_format
    if shape and not re.fullmatch(shape[0], ref.model):
        raise InvalidRequest(f"model for provider '{provider.slug}' must look like '{shape[1]}'",
                             param="model")
    if not provider.compat:
        raise InvalidRequest(f"provider '{provider.slug}' is available on its passthrough route "
                             "only, not on compat", param="model")
    use, secret, extra = compat_credential(provider, client_key, account_id, gateway_id,
                                           options.byok_alias, settings)
    return CompatContext(provider, ref.model, use, secret, extra, options, gateway, account_id,
                         settings), ref


def fill_placeholders(ctx: CompatContext, path: str, region: str | None) -> str:
    parsed = ctx.use.parsed or {}
    region = region or parsed.get("region") or ctx.provider.default_region or ctx.settings.region
    path = path.replace("{region}", region).replace("{model}", ctx.model)
    if "{project}" in path:
        project = parsed.get("project_id")
        if not project:
            raise InvalidRequest(f"provider '{ctx.provider.slug}' needs a stored service "
                                 "account key (it names the project) for compat requests")
        path = path.replace("{project}", project)
    return path


async def send_call(ctx: CompatContext, call: UpstreamCall) -> UpstreamResponse:
    full = fill_placeholders(ctx, ctx.provider.compat_prefix + call.path, call.region)
    path, _, query = full.partition("?")
    target = route_request(ctx.provider, path, ctx.account_id, ctx.settings)
    url = target.url + (f"?{query}" if query else "")
    body = json.dumps(call.body, separators=(",", ":")).encode()
    headers = {"content-type": "application/json", "accept": "application/json",
               **call.headers, **ctx.extra_headers}
    out = await attach(ctx.provider, ctx.use, ctx.secret, target, url, "POST", headers, body,
                       ctx.settings)
    timeout = ctx.options.request_timeout_ms / 1000 if ctx.options.request_timeout_ms else None
    return await send_with_retries(UpstreamRequest("POST", url, out, body,
                                                   egress=is_user_configured(ctx.provider)),
                                   effective_retry(ctx.options, ctx.gateway), timeout)
