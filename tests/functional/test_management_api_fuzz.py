"""Schemathesis over the management API's OpenAPI document (FastAPI's, generated in-process):
whatever it sends, the answer is never a 5xx, is in the Cloudflare envelope, and a 405 names
the allowed methods in `Allow`.

Routes read their bodies themselves (so secrets never pass through FastAPI's error rendering);
the document is given each write route's pydantic model as its request body so the fuzzer sends
near-valid bodies as well as broken ones. The example budget is small and fixed (derandomized),
so the run is short and repeatable.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import BaseModel

from aigw.gateway_schema import GatewayCreate, GatewaySettings
from aigw.management.custom_provider_schema import CustomProviderBody, CustomProviderUpdate
from aigw.management.provider_config_schema import ProviderConfigCreate, ProviderConfigRotate
from aigw.management.tokens import TokenCreate
from aigw_local.functions import load_function_module
from tests.conftest import ADMIN_TOKEN

APP = load_function_module("management").app
BASE = "/client/v4/accounts/{account_id}/ai-gateway"
BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("/gateways", "post"): GatewayCreate,
    ("/gateways/{gateway_id}", "put"): GatewaySettings,
    ("/gateways/{gateway_id}/provider_configs", "post"): ProviderConfigCreate,
    ("/gateways/{gateway_id}/provider_configs/{config_id}", "put"): ProviderConfigRotate,
    ("/custom-providers", "post"): CustomProviderBody,
    ("/custom-providers/{ref}", "put"): CustomProviderUpdate,
    ("/tokens", "post"): TokenCreate,
}


def openapi_with_bodies() -> dict[str, Any]:
    doc = APP.openapi()
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    for (path, method), model in BODIES.items():
        operation = doc["paths"].get(BASE + path, {}).get(method)
        if operation is None:
            continue
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": schema}}}
    return doc


schema = schemathesis.openapi.from_dict(openapi_with_bodies())


@pytest.fixture(autouse=True)
def _stack(local_stack: object) -> None:
    """Moto and the tables for every generated case."""


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_management_api_never_answers_5xx(case: Any) -> None:
    response = case.call(app=APP, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    body = response.json()
    assert set(body) >= {"success", "errors", "messages", "result"}, body
    if response.status_code == 405:
        assert response.headers.get("allow"), response.headers
