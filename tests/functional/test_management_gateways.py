"""The gateways API against moto: the spec's envelope, fields, ranges and codes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

BODY = {"id": "my-gw", "cache_invalidate_on_update": False, "cache_ttl": 300,
        "collect_logs": True, "rate_limiting_interval": 60, "rate_limiting_limit": 100}


def url(account: str, rest: str = "") -> str:
    return f"/client/v4/accounts/{account}/ai-gateway/gateways{rest}"


def create(client: TestClient, account: str, headers: dict[str, str], **over: Any) -> Any:
    return client.post(url(account), json={**BODY, **over}, headers=headers)


def assert_envelope_error(resp: Any, status: int, code: int) -> list[dict[str, Any]]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["success"] is False
    assert body["result"] is None
    assert body["messages"] == []
    assert [e["code"] for e in body["errors"]][:1] == [code], body
    return body["errors"]


def test_create_get_update_delete_round_trip(management, account, admin_headers):
    created = create(management, account, admin_headers)
    assert created.status_code == 200, created.text
    gw = created.json()
    assert gw["success"] is True and gw["errors"] == [] and gw["messages"] == []
    result = gw["result"]
    assert result["id"] == "my-gw" and result["cache_ttl"] == 300
    assert result["rate_limiting_technique"] == "fixed" and result["authentication"] is False
    assert result["created_at"] == result["modified_at"] and result["is_default"] is False

    got = management.get(url(account, "/my-gw"), headers=admin_headers).json()["result"]
    assert got == result

    new = {**BODY, "cache_ttl": 0, "authentication": True, "rate_limiting_technique": "sliding"}
    new.pop("id")
    updated = management.put(url(account, "/my-gw"), json=new, headers=admin_headers)
    assert updated.status_code == 200, updated.text
    u = updated.json()["result"]
    assert u["cache_ttl"] == 0 and u["authentication"] is True
    assert u["rate_limiting_technique"] == "sliding"
    assert u["created_at"] == result["created_at"] and u["modified_at"] >= result["modified_at"]

    deleted = management.delete(url(account, "/my-gw"), headers=admin_headers)
    assert deleted.status_code == 200 and deleted.json()["result"] == u
    assert_envelope_error(management.get(url(account, "/my-gw"), headers=admin_headers), 404, 7002)


def test_put_is_a_full_update_resetting_omitted_optionals(management, account, admin_headers):
    create(management, account, admin_headers, authentication=True, retry_max_attempts=3)
    body = {k: v for k, v in BODY.items() if k != "id"}
    u = management.put(url(account, "/my-gw"), json=body, headers=admin_headers).json()["result"]
    assert u["authentication"] is False and u["retry_max_attempts"] == 1


def test_list_pages_searches_and_counts(management, account, admin_headers):
    for i in range(5):
        assert create(management, account, admin_headers, id=f"gw-{i}").status_code == 200
    create(management, account, admin_headers, id="other")
    page = management.get(url(account), params={"per_page": 2, "page": 2, "search": "gw-"},
                          headers=admin_headers).json()
    assert [g["id"] for g in page["result"]] == ["gw-2", "gw-3"]
    assert page["result_info"] == {"page": 2, "per_page": 2, "count": 2, "total_count": 5}
    default = management.get(url(account), headers=admin_headers).json()
    assert default["result_info"]["per_page"] == 20 and default["result_info"]["total_count"] == 6


def test_accounts_are_namespaces(management, account, admin_headers):
    create(management, account, admin_headers)
    other = account + "x"
    assert management.get(url(other), headers=admin_headers).json()["result"] == []
    assert_envelope_error(management.get(url(other, "/my-gw"), headers=admin_headers), 404, 7002)
    # The same id may exist in two accounts.
    assert create(management, other, admin_headers).status_code == 200


def test_url_for_provider_uses_the_request_base(management, account, admin_headers):
    create(management, account, admin_headers)
    resp = management.get(url(account, "/my-gw/url/openai"), headers=admin_headers)
    assert resp.json()["result"] == f"http://testserver/v1/{account}/my-gw/openai"
    assert_envelope_error(management.get(url(account, "/nope/url/openai"),
                                         headers=admin_headers), 404, 7002)
    assert_envelope_error(management.get(url(account, "/my-gw/url/Bad_Slug"),
                                         headers=admin_headers), 400, 7001)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic abc"}])
def test_missing_or_wrong_admin_token_is_401(management, account, headers):
    assert_envelope_error(management.get(url(account), headers=headers), 401, 10000)
    assert_envelope_error(management.post(url(account), json=BODY, headers=headers), 401, 10000)


BAD_BODIES = [
    ("malformed JSON", b"{not json", []),
    ("empty body", b"", []),
    ("array body", b"[1, 2]", []),
    ("wrong type bool", {**BODY, "collect_logs": "true"}, ["collect_logs"]),
    ("wrong type int", {**BODY, "cache_ttl": "300"}, ["cache_ttl"]),
    ("float for int", {**BODY, "rate_limiting_limit": 1.5}, ["rate_limiting_limit"]),
    ("missing required", {k: v for k, v in BODY.items() if k != "collect_logs"},
     ["collect_logs"]),
    ("missing id", {k: v for k, v in BODY.items() if k != "id"}, ["id"]),
    ("negative ttl", {**BODY, "cache_ttl": -1}, ["cache_ttl"]),
    ("ttl over a month", {**BODY, "cache_ttl": 2592001}, ["cache_ttl"]),
    ("retry attempts 6", {**BODY, "retry_max_attempts": 6}, ["retry_max_attempts"]),
    ("retry delay 5001", {**BODY, "retry_delay": 5001}, ["retry_delay"]),
    ("log_management too small", {**BODY, "log_management": 9999}, ["log_management"]),
    ("bad technique", {**BODY, "rate_limiting_technique": "leaky"},
     ["rate_limiting_technique"]),
    ("id over 64", {**BODY, "id": "a" * 65}, ["id"]),
    ("id uppercase", {**BODY, "id": "MyGateway"}, ["id"]),
    ("id trailing dash", {**BODY, "id": "gw-"}, ["id"]),
    ("id with slash", {**BODY, "id": "a/b"}, ["id"]),
    ("21 spend rules", {**BODY, "spend_limits": {"enabled": True, "rules": [
        {"id": f"r{i}", "limit": 1, "window": 3600} for i in range(21)]}},
     ["spend_limits", "rules"]),
]


@pytest.mark.parametrize(("name", "body", "path"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_create_bodies_are_7001_with_the_field_path(management, account, admin_headers,
                                                        name, body, path):
    if isinstance(body, bytes):
        resp = management.post(url(account), content=body,
                               headers={**admin_headers, "content-type": "application/json"})
    else:
        resp = management.post(url(account), json=body, headers=admin_headers)
    errors = assert_envelope_error(resp, 400, 7001)
    assert all("Input Validation Error" in e["message"] for e in errors)
    if path:
        assert errors[0]["path"][:len(path)] == path


def test_every_problem_is_reported_at_once(management, account, admin_headers):
    resp = management.post(url(account), json={"id": "ok", "cache_ttl": -5}, headers=admin_headers)
    paths = {tuple(e["path"]) for e in assert_envelope_error(resp, 400, 7001)}
    assert {("cache_ttl",), ("collect_logs",), ("cache_invalidate_on_update",)} <= paths


def test_duplicate_id_is_409(management, account, admin_headers):
    assert create(management, account, admin_headers).status_code == 200
    assert_envelope_error(create(management, account, admin_headers), 409, 7003)


def test_unknown_gateway_is_404_on_every_verb(management, account, admin_headers):
    body = {k: v for k, v in BODY.items() if k != "id"}
    for resp in (management.get(url(account, "/ghost"), headers=admin_headers),
                 management.put(url(account, "/ghost"), json=body, headers=admin_headers),
                 management.delete(url(account, "/ghost"), headers=admin_headers)):
        assert_envelope_error(resp, 404, 7002)


def test_wrong_method_and_unknown_route_use_the_envelope(management, account, admin_headers):
    assert_envelope_error(management.patch(url(account, "/my-gw"), json={},
                                           headers=admin_headers), 405, 10405)
    assert_envelope_error(management.get(f"/client/v4/accounts/{account}/ai-gateway/nothing",
                                         headers=admin_headers), 404, 7000)


@pytest.mark.parametrize("query", [{"per_page": 0}, {"per_page": 101}, {"page": 0},
                                   {"page": "two"}])
def test_bad_paging_is_7001(management, account, admin_headers, query):
    assert_envelope_error(management.get(url(account), params=query, headers=admin_headers),
                          400, 7001)


def test_bad_account_id_is_rejected(management, admin_headers):
    resp = management.get(url("bad$account"), headers=admin_headers)
    assert_envelope_error(resp, 400, 7001)


def test_spend_rules_accept_the_cloudflare_api_shape_and_get_ids(management, account,
                                                                 admin_headers):
    rules = [{"limit": 25, "limitType": "cost", "window": 86400,
              "provider": {"mode": "filter", "values": ["openai"]},
              "metadata": {"team": {"mode": "partition"}}},
             {"id": "mine", "limit": 5.5, "window": 3600, "model": "gpt-5-mini"}]
    resp = create(management, account, admin_headers,
                  spend_limits={"enabled": True, "rules": rules})
    assert resp.status_code == 200, resp.text
    got = resp.json()["result"]["spend_limits"]["rules"]
    assert re.fullmatch(r"[0-9a-f]{8}", got[0]["id"]) and got[1]["id"] == "mine"
    assert got[1]["model"] == {"mode": "filter", "values": ["gpt-5-mini"]}
    assert got[0]["technique"] == "sliding"  # the spec's default
    assert got[0]["provider"] == {"mode": "filter", "values": ["openai"]}


def test_required_numbers_may_be_null_as_in_cloudflares_api(management, account,
                                                            admin_headers):
    resp = create(management, account, admin_headers, cache_ttl=None,
                  rate_limiting_interval=None, rate_limiting_limit=None)
    assert resp.status_code == 200, resp.text
    assert resp.json()["result"]["cache_ttl"] is None
