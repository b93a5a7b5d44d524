"""Compat's part of the policy stage: the OpenAI body, the model reference, the credential
the SDK sent, and the upstream call built from a translated request.

Chat completions and embeddings differ only in how the body is translated; gateway auth,
cache, limits, the credential and the upstream call are the stage's (`aigw.pipeline`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aigw.admin_auth import bearer
from aigw.compat.model_ref import ModelRef, parse_model
from aigw.config import get_settings
from aigw.credentials import CredentialUse, attach, compat_credential
from aigw.errors import InvalidRequest
from aigw.json_input import parse_json
from aigw.logs import LogRecord
from aigw.own_tokens import authenticate_with, is_own_token
from aigw.pipeline import Exchange, authenticate, custom_lookup
from aigw.providers.registry import is_user_configured, resolve_provider, route_request
from aigw.providers.spec import UpstreamCall
from aigw.request_options import effective_retry
from aigw.upstream import UpstreamRequest, UpstreamResponse, send_with_retries


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


def open_compat(account_id: str, gateway_id: str, headers: Mapping[str, str], model: object,
                log: LogRecord) -> tuple[Exchange, ModelRef]:
    """Gateway auth and the provider for a compat request: the stage's step 1 plus compat's
    model checks. The client's own provider key (if any) is `Exchange.client_credential`."""
    settings = get_settings()
    ref = parse_model(model)
    log.provider, log.model = ref.provider, ref.model
    log.request_content_type = headers.get("content-type")
    gateway_headers, client_key = split_auth(headers, account_id, gateway_id)
    gateway, options = authenticate(account_id, gateway_id, headers, log, gateway_headers)
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
    ex = Exchange(log, account_id, gateway_id, gateway, options, provider, settings,
                  model=ref.model, client_credential=client_key)
    return ex, ref


def fill_placeholders(ex: Exchange, use: CredentialUse, path: str, region: str | None) -> str:
    parsed = use.parsed or {}
    region = region or parsed.get("region") or ex.provider.default_region or ex.settings.region
    path = path.replace("{region}", region).replace("{model}", ex.model or "")
    if "{project}" in path:
        project = parsed.get("project_id")
        if not project:
            raise InvalidRequest(f"provider '{ex.provider.slug}' needs a stored service "
                                 "account key (it names the project) for compat requests")
        path = path.replace("{project}", project)
    return path


async def send_call(ex: Exchange, call: UpstreamCall) -> UpstreamResponse:
    """The stage's step 4 for compat: credential, target, attach, send with retries."""
    use, secret, extra = compat_credential(ex.provider, ex.client_credential, ex.account_id,
                                           ex.gateway_id, ex.options.byok_alias, ex.settings,
                                           allow_role=ex.allow_role)
    ex.log.wholesale = use.source == "role"  # the stack's own account pays
    full = fill_placeholders(ex, use, ex.provider.compat_prefix + call.path, call.region)
    path, _, query = full.partition("?")
    target = route_request(ex.provider, path, ex.account_id, ex.settings)
    url = target.url + (f"?{query}" if query else "")
    body = json.dumps(call.body, separators=(",", ":")).encode()
    headers = {"content-type": "application/json", "accept": "application/json",
               **call.headers, **extra}
    out = await attach(ex.provider, use, secret, target, url, "POST", headers, body,
                       ex.settings)
    timeout = ex.options.request_timeout_ms / 1000 if ex.options.request_timeout_ms else None
    return await send_with_retries(UpstreamRequest("POST", url, out, body,
                                                   egress=is_user_configured(ex.provider)),
                                   effective_retry(ex.options, ex.gateway), timeout)
