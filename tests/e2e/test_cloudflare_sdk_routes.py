"""The official `cloudflare` SDK manages dynamic routes on the local server (base_url only).

`client.ai_gateway.dynamic_routing` parses Cloudflare's non-standard envelopes (`result`,
`data.routes`, `data.versions`, `data.deployments`, `route`) into typed models; these tests fail
if a field, a type or an envelope drifts.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import cloudflare
import pytest
from cloudflare import Cloudflare
from cloudflare.types.ai_gateway import (
    DynamicRoutingCreateDeploymentResponse,
    DynamicRoutingCreateResponse,
    DynamicRoutingCreateVersionResponse,
    DynamicRoutingDeleteResponse,
    DynamicRoutingGetResponse,
    DynamicRoutingGetVersionResponse,
    DynamicRoutingListDeploymentsResponse,
    DynamicRoutingListResponse,
    DynamicRoutingListVersionsResponse,
    DynamicRoutingUpdateResponse,
)

from tests.fakes.local_server import LocalGateway
from tests.fakes.routes import elements, invalid_cases

REQUIRED = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
            "rate_limiting_interval": 0, "rate_limiting_limit": 0}


@pytest.fixture
def client(gateway_server: LocalGateway) -> Cloudflare:
    return Cloudflare(api_token=gateway_server.admin_token,
                      base_url=f"{gateway_server.base_url}/client/v4", max_retries=0)


@pytest.fixture
def account(client: Cloudflare) -> str:
    account_id = uuid.uuid4().hex
    client.ai_gateway.create(account_id=account_id, id="gw", **REQUIRED)
    return account_id


def test_route_lifecycle_through_the_sdk(client: Cloudflare, account: str) -> None:
    routing = client.ai_gateway.dynamic_routing
    created = routing.create("gw", account_id=account, name="support",
                             elements=elements("fallback"))  # type: ignore[arg-type]
    assert isinstance(created, DynamicRoutingCreateResponse)
    assert created.name == "support" and created.gateway_id == "gw"
    assert isinstance(created.created_at, datetime) and created.created_at.tzinfo is not None
    assert created.deployment.version_id == created.version.version_id
    assert created.version.active == "true"
    assert [e.id for e in created.elements] == ["start", "primary", "secondary", "end"]
    primary = created.elements[1]
    assert primary.type == "model"
    assert primary.properties.provider == "openai"  # type: ignore[union-attr]
    assert primary.outputs.fallback.element_id == "secondary"  # type: ignore[union-attr]

    got = routing.get(created.id, account_id=account, gateway_id="gw")
    assert isinstance(got, DynamicRoutingGetResponse)
    assert got.version.version_id == created.version.version_id
    assert json.loads(got.version.data) == elements("fallback")

    listed = routing.list("gw", account_id=account, page=1, per_page=10)
    assert isinstance(listed, DynamicRoutingListResponse) and listed.success is True
    assert [r.id for r in listed.data.routes] == [created.id]
    assert listed.data.routes[0].account_tag == account and listed.data.per_page == 10

    renamed = routing.update(created.id, account_id=account, gateway_id="gw", name="helpdesk")
    assert isinstance(renamed, DynamicRoutingUpdateResponse) and renamed.success is True
    assert renamed.route.name == "helpdesk"

    v2 = routing.create_version(created.id, account_id=account, gateway_id="gw",
                                elements=elements("plans"))  # type: ignore[arg-type]
    assert isinstance(v2, DynamicRoutingCreateVersionResponse)
    assert [e.id for e in v2.elements][:2] == ["start", "is-free"]
    v2_id = v2.version_id  # type: ignore[attr-defined]  # aigw adds the version's own fields

    got_v2 = routing.get_version(v2_id, account_id=account, gateway_id="gw", id=created.id)
    assert isinstance(got_v2, DynamicRoutingGetVersionResponse)
    assert got_v2.active == "false" and got_v2.version_id == v2_id
    versions = routing.list_versions(created.id, account_id=account, gateway_id="gw")
    assert isinstance(versions, DynamicRoutingListVersionsResponse)
    assert [v.version_id for v in versions.data.versions] == [v2_id, created.version.version_id]

    deployed = routing.create_deployment(created.id, account_id=account, gateway_id="gw",
                                         version_id=v2_id)
    assert isinstance(deployed, DynamicRoutingCreateDeploymentResponse)
    assert [e.id for e in deployed.elements][1] == "is-free"
    rolled_back = routing.create_deployment(created.id, account_id=account, gateway_id="gw",
                                            version_id=created.version.version_id)
    assert [e.id for e in rolled_back.elements][1] == "primary"

    history = routing.list_deployments(created.id, account_id=account, gateway_id="gw")
    assert isinstance(history, DynamicRoutingListDeploymentsResponse)
    assert [d.version_id for d in history.data.deployments] == [
        created.version.version_id, v2_id, created.version.version_id]

    deleted = routing.delete(created.id, account_id=account, gateway_id="gw")
    assert isinstance(deleted, DynamicRoutingDeleteResponse) and deleted.id == created.id
    with pytest.raises(cloudflare.NotFoundError):
        routing.get(created.id, account_id=account, gateway_id="gw")


@pytest.mark.parametrize("case", invalid_cases()[:6], ids=[p.stem for p in invalid_cases()[:6]])
def test_invalid_graphs_raise_bad_request_naming_the_element(client: Cloudflare, account: str,
                                                             case: object) -> None:
    spec = json.loads(case.read_text())  # type: ignore[attr-defined]
    with pytest.raises(cloudflare.BadRequestError) as refused:
        client.ai_gateway.dynamic_routing.create("gw", account_id=account, name="bad",
                                                 elements=spec["elements"])
    errors = refused.value.body["errors"]  # type: ignore[index]
    assert errors[0]["code"] == 7001
    assert any(e["path"] == spec["errors"][0]["path"] for e in errors)
