"""`/custom-providers` against moto: the object, URL safety, write-only headers, lookups."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aigw.pipeline import custom_lookup
from aigw.stores.config_store import config_store
from tests.functional.test_management_gateways import assert_envelope_error

HEADER_SECRET = "hdr-CANARY-0d9e8f7a6b5c4d3e2f1a"
BODY = {"name": "My LLM", "slug": "my-llm", "base_url": "https://llm.example.com/v1/",
        "enable": True}


def url(account: str, rest: str = "") -> str:
    return f"/client/v4/accounts/{account}/ai-gateway/custom-providers{rest}"


def create(client: TestClient, account: str, auth: dict[str, str], **over: Any) -> Any:
    return client.post(url(account), json={**BODY, **over}, headers=auth)


def test_round_trip_and_data_plane_lookup(management, account, admin_headers):
    made = create(management, account, admin_headers)
    assert made.status_code == 200, made.text
    doc = made.json()["result"]
    assert doc["slug"] == "my-llm" and doc["base_url"] == "https://llm.example.com/v1"
    assert len(doc["id"]) == 32 and doc["id"] != doc["slug"] and doc["enable"] is True
    assert doc["headers"] is None and doc["created_at"] == doc["modified_at"]
    # What the data plane does for `custom-my-llm`: one cached GetItem by slug.
    stored = config_store().custom_providers.cached_get(account, "my-llm")
    assert stored is not None and stored["base_url"] == "https://llm.example.com/v1"

    for ref in (doc["id"], "my-llm"):
        got = management.get(url(account, f"/{ref}"), headers=admin_headers)
        assert got.status_code == 200 and got.json()["result"] == doc

    updated = management.put(url(account, f"/{doc['id']}"),
                             json={"name": "Renamed", "base_url": "https://other.example.com",
                                   "enable": False}, headers=admin_headers)
    assert updated.status_code == 200, updated.text
    u = updated.json()["result"]
    assert (u["name"], u["base_url"], u["enable"], u["id"]) == (
        "Renamed", "https://other.example.com", False, doc["id"])
    assert config_store().custom_providers.cached_get(account, "my-llm")["enable"] is False

    deleted = management.delete(url(account, f"/{doc['id']}"), headers=admin_headers)
    assert deleted.status_code == 200 and deleted.json()["result"]["id"] == doc["id"]
    assert config_store().custom_providers.cached_get(account, "my-llm") is None
    assert_envelope_error(management.get(url(account, f"/{doc['id']}"), headers=admin_headers),
                          404, 7002)


def test_duplicate_slug_is_409(management, account, admin_headers):
    assert create(management, account, admin_headers).status_code == 200
    assert_envelope_error(create(management, account, admin_headers, name="Other"), 409, 7003)


def test_slug_cannot_change(management, account, admin_headers):
    doc = create(management, account, admin_headers).json()["result"]
    resp = management.put(url(account, f"/{doc['id']}"), json={**BODY, "slug": "renamed"},
                          headers=admin_headers)
    assert assert_envelope_error(resp, 400, 7001)[0]["path"] == ["slug"]
    same = management.put(url(account, f"/{doc['id']}"), json=BODY, headers=admin_headers)
    assert same.status_code == 200


def test_header_values_are_write_only(management, account, admin_headers):
    # Cloudflare's SDK sends headers as a JSON string; a plain object works too.
    made = create(management, account, admin_headers,
                  headers=json.dumps({"X-Api-Key": HEADER_SECRET, "X-Org": "o"}))
    assert made.status_code == 200, made.text
    shown = json.loads(made.json()["result"]["headers"])
    assert set(shown) == {"x-api-key", "x-org"} and shown["x-org"] == "****"
    assert "CANARY" not in made.text
    stored = config_store().custom_providers.get(account, "my-llm")
    # The config table holds previews only; the value is a secret (Secrets Manager).
    assert HEADER_SECRET not in json.dumps(stored)
    assert custom_lookup(account)("my-llm")["headers"]["x-api-key"] == HEADER_SECRET
    doc = made.json()["result"]
    # PUT without headers keeps them; with {} clears them.
    kept = management.put(url(account, f"/{doc['id']}"), json={**BODY, "name": "n"},
                          headers=admin_headers)
    assert "CANARY" not in kept.text
    assert config_store().custom_providers.get(account, "my-llm")["headers"] == stored["headers"]
    cleared = management.put(url(account, f"/{doc['id']}"), json={**BODY, "headers": {}},
                             headers=admin_headers)
    assert cleared.json()["result"]["headers"] is None
    listed = management.get(url(account), headers=admin_headers)
    assert "CANARY" not in listed.text


BAD_URLS = [
    ("http", "http://llm.example.com/v1"),
    ("userinfo", "https://user:pw@llm.example.com/v1"),
    ("at in host", "https://llm.example.com@evil.example/v1"),
    ("fragment", "https://llm.example.com/v1#frag"),
    ("query", "https://llm.example.com/v1?x=1"),
    ("no host", "https:///v1"),
    ("relative", "/v1/chat"),
    ("space", "https://llm.example.com/ v1"),
    ("backslash", "https://llm.example.com\\@evil.example"),
    ("bad port", "https://llm.example.com:99999/v1"),
    ("javascript", "javascript:alert(1)"),
]


@pytest.mark.parametrize(("case", "base_url"), BAD_URLS, ids=[b[0] for b in BAD_URLS])
def test_base_url_must_be_plain_https(management, account, admin_headers, case, base_url):
    resp = create(management, account, admin_headers, base_url=base_url)
    assert assert_envelope_error(resp, 400, 7001)[0]["path"] == ["base_url"]


BAD_BODIES = [
    ("slug uppercase", {"slug": "My-LLM"}, ["slug"]),
    ("slug trailing dash", {"slug": "llm-"}, ["slug"]),
    ("slug double dash", {"slug": "a--b"}, ["slug"]),
    ("slug with underscore", {"slug": "a_b"}, ["slug"]),
    ("name missing", {"name": None}, ["name"]),
    ("enable string", {"enable": "true"}, ["enable"]),
    ("headers not object", {"headers": "[1]"}, ["headers"]),
    ("header value newline", {"headers": {"x-k": HEADER_SECRET + "\r\nx-evil: 1"}}, ["headers"]),
    ("reserved header", {"headers": {"Host": "evil.example"}}, ["headers"]),
    ("gateway header", {"headers": {"cf-aig-authorization": HEADER_SECRET}}, ["headers"]),
    ("bad header name", {"headers": {"bad name": HEADER_SECRET}}, ["headers"]),
]


@pytest.mark.parametrize(("case", "over", "path"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_are_7001(management, account, admin_headers, case, over, path):
    body = {k: v for k, v in {**BODY, **over}.items() if v is not None}
    resp = management.post(url(account), json=body, headers=admin_headers)
    assert assert_envelope_error(resp, 400, 7001)[0]["path"] == path
    assert "CANARY" not in resp.text


def test_list_pages_searches_and_filters(management, account, admin_headers):
    for slug in ("alpha", "beta", "gamma"):
        made = create(management, account, admin_headers, slug=slug, name=slug.title(),
                      enable=slug != "beta")
        assert made.status_code == 200
    page = management.get(url(account), params={"per_page": 2}, headers=admin_headers).json()
    assert [p["slug"] for p in page["result"]] == ["alpha", "beta"]
    assert page["result_info"]["total_count"] == 3
    found = management.get(url(account), params={"search": "GAM"}, headers=admin_headers)
    assert [p["slug"] for p in found.json()["result"]] == ["gamma"]
    off = management.get(url(account), params={"enable": "false"}, headers=admin_headers)
    assert [p["slug"] for p in off.json()["result"]] == ["beta"]
    assert_envelope_error(management.get(url(account), params={"enable": "maybe"},
                                         headers=admin_headers), 400, 7001)


def test_permissions(management, account, admin_headers):
    made = management.post(f"/client/v4/accounts/{account}/ai-gateway/tokens",
                           json={"name": "r", "permissions": ["read"]}, headers=admin_headers)
    reader = {"Authorization": f"Bearer {made.json()['result']['value']}"}
    assert management.get(url(account), headers=reader).status_code == 200
    assert_envelope_error(create(management, account, reader), 403, 10000)
    assert_envelope_error(management.get(url(account)), 401, 10000)
