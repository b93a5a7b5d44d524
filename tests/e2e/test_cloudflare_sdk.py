"""The official `cloudflare` SDK manages gateways on the local server, changing only base_url.

The SDK parses every answer into its own typed models and raises typed errors by status, so
these tests fail if a field, a type, the envelope or the pagination object drifts from
Cloudflare's contract.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import cloudflare
import pytest
from cloudflare import Cloudflare
from cloudflare.pagination import SyncV4PagePaginationArray
from cloudflare.types.ai_gateway import (
    AIGatewayCreateResponse,
    AIGatewayDeleteResponse,
    AIGatewayGetResponse,
    AIGatewayListResponse,
    AIGatewayUpdateResponse,
)

from tests.fakes.local_server import LocalGateway

REQUIRED = {"cache_invalidate_on_update": False, "cache_ttl": 300, "collect_logs": True,
            "rate_limiting_interval": 60, "rate_limiting_limit": 100}


@pytest.fixture
def client(gateway_server: LocalGateway) -> Cloudflare:
    return Cloudflare(api_token=gateway_server.admin_token,
                      base_url=f"{gateway_server.base_url}/client/v4", max_retries=0)


@pytest.fixture
def account() -> str:
    return uuid.uuid4().hex


def test_create_get_update_delete(client: Cloudflare, account: str,
                                  gateway_server: LocalGateway) -> None:
    created = client.ai_gateway.create(account_id=account, id="sdk-gw", authentication=True,
                                       retry_max_attempts=3, retry_backoff="linear", **REQUIRED)
    assert isinstance(created, AIGatewayCreateResponse)
    assert created.id == "sdk-gw" and created.cache_ttl == 300 and created.authentication is True
    assert created.retry_max_attempts == 3 and created.retry_backoff == "linear"
    assert isinstance(created.created_at, datetime) and created.created_at.tzinfo is not None
    assert created.modified_at == created.created_at and created.is_default is False

    got = client.ai_gateway.get("sdk-gw", account_id=account)
    assert isinstance(got, AIGatewayGetResponse)
    assert got.model_dump() == created.model_dump()

    url = client.ai_gateway.urls.get("openai", account_id=account, gateway_id="sdk-gw")
    assert url == f"{gateway_server.base_url}/v1/{account}/sdk-gw/openai"

    updated = client.ai_gateway.update("sdk-gw", account_id=account,
                                       **{**REQUIRED, "cache_ttl": 0, "collect_logs": False},
                                       rate_limiting_technique="sliding")
    assert isinstance(updated, AIGatewayUpdateResponse)
    assert updated.cache_ttl == 0 and updated.collect_logs is False
    assert updated.rate_limiting_technique == "sliding"
    # PUT is a full update: what the call left out is back to its default.
    assert updated.authentication is False and updated.retry_max_attempts == 1
    assert updated.created_at == created.created_at and updated.modified_at > created.modified_at

    deleted = client.ai_gateway.delete("sdk-gw", account_id=account)
    assert isinstance(deleted, AIGatewayDeleteResponse)
    assert deleted.id == "sdk-gw" and deleted.cache_ttl == 0
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.ai_gateway.get("sdk-gw", account_id=account)
    assert missing.value.status_code == 404


def test_list_pages_and_search(client: Cloudflare, account: str) -> None:
    ids = [f"gw-{i}" for i in range(5)]
    for gateway_id in [*reversed(ids), "other"]:
        client.ai_gateway.create(account_id=account, id=gateway_id, **REQUIRED)

    page = client.ai_gateway.list(account_id=account, per_page=2, search="gw-")
    assert isinstance(page, SyncV4PagePaginationArray)
    assert all(isinstance(g, AIGatewayListResponse) for g in page.result)
    assert [g.id for g in page.result] == ["gw-0", "gw-1"]
    assert page.result_info is not None
    assert (page.result_info.page, page.result_info.per_page) == (1, 2)
    # Auto-pagination asks for page 2, 3, ... until a page comes back empty.
    assert [g.id for g in page] == ids
    pages = [(p.result_info.page if p.result_info else None, len(p.result))
             for p in page.iter_pages()]
    assert pages == [(1, 2), (2, 2), (3, 1), (4, 0)]

    everything = client.ai_gateway.list(account_id=account)
    assert [g.id for g in everything.result] == [*ids, "other"]  # id ascending


def test_accounts_are_separate(client: Cloudflare, account: str) -> None:
    client.ai_gateway.create(account_id=account, id="mine", **REQUIRED)
    assert client.ai_gateway.list(account_id=f"{account}x").result == []


def test_errors_raise_the_sdk_typed_exceptions(client: Cloudflare, account: str,
                                               gateway_server: LocalGateway) -> None:
    client.ai_gateway.create(account_id=account, id="dup", **REQUIRED)
    with pytest.raises(cloudflare.ConflictError) as dup:
        client.ai_gateway.create(account_id=account, id="dup", **REQUIRED)
    assert dup.value.body == {"success": False, "result": None, "messages": [],
                              "errors": [{"code": 7003, "message": "gateway 'dup' already exists"}]}

    with pytest.raises(cloudflare.BadRequestError) as bad:
        client.ai_gateway.create(account_id=account, id="Not Valid", **REQUIRED)
    assert bad.value.body["errors"][0]["code"] == 7001  # type: ignore[index]

    stranger = Cloudflare(api_token="not-the-admin-token", max_retries=0,
                          base_url=f"{gateway_server.base_url}/client/v4")
    with pytest.raises(cloudflare.AuthenticationError) as denied:
        stranger.ai_gateway.list(account_id=account)
    assert denied.value.body["errors"][0]["code"] == 10000  # type: ignore[index]
