"""`/gateways/{gw}/routes...` against moto: routes, immutable versions, deployments, envelopes.

The envelopes are Cloudflare's own (not all the standard one); the cloudflare SDK parses them in
tests/e2e/test_cloudflare_sdk_routes.py.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aigw.config import get_settings
from aigw.stores.config_store import build_config_store
from aigw.stores.route_store import RouteStore, route_store
from tests.fakes.routes import elements, invalid_cases
from tests.functional.inference_support import api
from tests.functional.test_management_gateways import assert_envelope_error


def routes(account: str, rest: str = "", gateway: str = "gw") -> str:
    return api(account, f"/gateways/{gateway}/routes{rest}")


def create(client: TestClient, account: str, auth: dict[str, str], name: str = "support",
           graph: str = "single") -> dict[str, Any]:
    resp = client.post(routes(account), json={"name": name, "elements": elements(graph)},
                       headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True and body["errors"] == []
    return dict(body["result"])


def test_create_deploys_version_one(management, gateway, account, admin_headers):
    route = create(management, account, admin_headers)
    assert route["name"] == "support" and route["gateway_id"] == "gw"
    assert route["elements"] == elements("single") and route["account_tag"] == account
    assert route["deployment"]["version_id"] == route["version"]["version_id"]
    assert route["version"]["active"] == "true" and route["version"]["is_valid"] is True
    assert json.loads(route["version"]["data"]) == elements("single")
    assert route["created_at"] == route["modified_at"]

    got = management.get(routes(account, f"/{route['id']}"), headers=admin_headers)
    assert got.status_code == 200 and got.json()["result"] == route
    # The data plane's lookup by name sees it.
    live = route_store().live_route(account, "gw", "support")
    assert live is not None and live["elements"] == elements("single")


def test_list_envelope_is_data_routes(management, gateway, account, admin_headers):
    first = create(management, account, admin_headers, "first")
    second = create(management, account, admin_headers, "second", "plans")
    listed = management.get(routes(account), headers=admin_headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["success"] is True and "result" not in body
    data = body["data"]
    assert [r["id"] for r in data["routes"]] == [second["id"], first["id"]]  # newest first
    assert (data["order_by"], data["order_by_direction"], data["page"], data["per_page"]) == (
        "created_at", "desc", 1, 20)
    page2 = management.get(routes(account, "?page=2&per_page=1"), headers=admin_headers).json()
    assert [r["name"] for r in page2["data"]["routes"]] == ["first"]
    bad = management.get(routes(account, "?per_page=500"), headers=admin_headers)
    assert assert_envelope_error(bad, 400, 7001)[0]["path"] == ["per_page"]


def test_rename_is_patch_with_route_envelope(management, gateway, account, admin_headers):
    route = create(management, account, admin_headers)
    resp = management.patch(routes(account, f"/{route['id']}"), json={"name": "helpdesk"},
                            headers=admin_headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True and "result" not in body
    assert body["route"]["name"] == "helpdesk" and body["route"]["id"] == route["id"]
    assert body["route"]["modified_at"] > route["modified_at"]
    assert route_store().live_route(account, "gw", "helpdesk") is not None
    assert route_store().live_route(account, "gw", "support") is None
    # The old name is free again; a taken name is a conflict.
    create(management, account, admin_headers, "support")
    taken = management.patch(routes(account, f"/{route['id']}"), json={"name": "support"},
                             headers=admin_headers)
    assert "already exists" in assert_envelope_error(taken, 409, 7003)[0]["message"]
    bad = management.patch(routes(account, f"/{route['id']}"), json={"name": "a/b"},
                           headers=admin_headers)
    assert assert_envelope_error(bad, 400, 7001)[0]["path"] == ["name"]


def test_duplicate_name_is_409(management, gateway, account, admin_headers):
    create(management, account, admin_headers)
    again = management.post(routes(account), json={"name": "support",
                                                   "elements": elements("single")},
                            headers=admin_headers)
    assert_envelope_error(again, 409, 7003)


def test_versions_are_immutable_and_deploying_an_older_one_rolls_back(
        management, gateway, account, admin_headers):
    route = create(management, account, admin_headers)
    v1 = route["version"]["version_id"]
    made = management.post(routes(account, f"/{route['id']}/versions"),
                           json={"elements": elements("plans")}, headers=admin_headers)
    assert made.status_code == 200, made.text
    v2 = made.json()["result"]
    assert v2["active"] == "false" and v2["elements"] == elements("plans")
    assert v2["id"] == route["id"] and v2["name"] == "support"
    # Not live until deployed.
    assert route_store().live_route(account, "gw", "support")["elements"] == elements("single")

    listed = management.get(routes(account, f"/{route['id']}/versions"),
                            headers=admin_headers).json()
    assert listed["success"] is True
    assert [(v["version_id"], v["active"]) for v in listed["data"]["versions"]] == [
        (v2["version_id"], "false"), (v1, "true")]

    deployed = management.post(routes(account, f"/{route['id']}/deployments"),
                               json={"version_id": v2["version_id"]}, headers=admin_headers)
    assert deployed.status_code == 200, deployed.text
    live = deployed.json()["result"]
    assert live["version"]["version_id"] == v2["version_id"]
    assert live["elements"] == elements("plans")
    assert route_store().live_route(account, "gw", "support")["elements"] == elements("plans")

    rollback = management.post(routes(account, f"/{route['id']}/deployments"),
                               json={"version_id": v1}, headers=admin_headers)
    assert rollback.status_code == 200
    assert route_store().live_route(account, "gw", "support")["elements"] == elements("single")
    got_v2 = management.get(routes(account, f"/{route['id']}/versions/{v2['version_id']}"),
                            headers=admin_headers).json()["result"]
    assert got_v2["active"] == "false" and got_v2["elements"] == elements("plans")

    history = management.get(routes(account, f"/{route['id']}/deployments"),
                             headers=admin_headers).json()
    assert [d["version_id"] for d in history["data"]["deployments"]] == [v1, v2["version_id"], v1]
    assert set(history["data"]) == {"deployments", "order_by", "order_by_direction", "page",
                                    "per_page"}


def test_deploying_an_unknown_version_is_refused(management, gateway, account, admin_headers):
    route = create(management, account, admin_headers)
    for body in ({}, {"version_id": "nope"}):
        resp = management.post(routes(account, f"/{route['id']}/deployments"), json=body,
                               headers=admin_headers)
        assert assert_envelope_error(resp, 400, 7001)[0]["path"] == ["version_id"]


def test_delete_returns_the_route_and_forgets_everything(management, gateway, account,
                                                          admin_headers):
    route = create(management, account, admin_headers)
    management.post(routes(account, f"/{route['id']}/versions"),
                    json={"elements": elements("plans")}, headers=admin_headers)
    deleted = management.delete(routes(account, f"/{route['id']}"), headers=admin_headers)
    assert deleted.status_code == 200 and deleted.json()["result"]["id"] == route["id"]
    assert route_store().live_route(account, "gw", "support") is None
    assert route_store().list_versions(account, "gw", route["id"]) == []
    assert route_store().list_deployments(account, "gw", route["id"]) == []
    for path in (f"/{route['id']}", f"/{route['id']}/versions", f"/{route['id']}/deployments"):
        assert_envelope_error(management.get(routes(account, path), headers=admin_headers),
                              404, 7002)
    create(management, account, admin_headers)  # the name is free again


def test_deleting_the_gateway_deletes_its_routes(management, gateway, account, admin_headers):
    create(management, account, admin_headers)
    assert management.delete(api(account, "/gateways/gw"), headers=admin_headers).status_code == 200
    assert route_store().list_routes(account, "gw") == []
    assert route_store().live_route(account, "gw", "support") is None


def test_unknown_gateway_and_route_are_404(management, gateway, account, admin_headers):
    assert_envelope_error(management.get(routes(account, gateway="nope"), headers=admin_headers),
                          404, 7002)
    assert_envelope_error(management.get(routes(account, "/0123"), headers=admin_headers),
                          404, 7002)


def test_needs_a_token_with_the_right_permission(management, gateway, account, admin_headers):
    assert_envelope_error(management.get(routes(account)), 401, 10000)
    reader = management.post(api(account, "/tokens"), json={"name": "r", "permissions": ["read"]},
                             headers=admin_headers).json()["result"]["value"]
    auth = {"Authorization": f"Bearer {reader}"}
    assert management.get(routes(account), headers=auth).status_code == 200
    denied = management.post(routes(account), json={"name": "x", "elements": elements("single")},
                             headers=auth)
    assert_envelope_error(denied, 403, 10000)


@pytest.mark.parametrize("case", invalid_cases(), ids=[p.stem for p in invalid_cases()])
def test_invalid_graph_refused_on_create_and_on_new_version(management, gateway, account,
                                                            admin_headers, case):
    spec = json.loads(case.read_text())
    refused = management.post(routes(account), json={"name": "r", "elements": spec["elements"]},
                              headers=admin_headers)
    errors = assert_envelope_error(refused, 400, 7001)
    for want in spec["errors"]:
        assert any(e["path"] == want["path"] and want["contains"] in e["message"]
                   for e in errors), (want, errors)
    assert route_store().live_route(account, "gw", "r") is None  # nothing half-created
    route = create(management, account, admin_headers, "ok")
    again = management.post(routes(account, f"/{route['id']}/versions"),
                            json={"elements": spec["elements"]}, headers=admin_headers)
    assert assert_envelope_error(again, 400, 7001) == errors
    assert len(route_store().list_versions(account, "gw", route["id"])) == 1


def test_custom_provider_of_the_account_is_known(management, gateway, account, admin_headers):
    made = management.post(api(account, "/custom-providers"),
                           json={"name": "Mine", "slug": "mine",
                                 "base_url": "https://llm.example.com/v1", "enable": True},
                           headers=admin_headers)
    assert made.status_code == 200, made.text
    els = elements("single")
    els[1]["properties"]["provider"] = "custom-mine"
    resp = management.post(routes(account), json={"name": "r", "elements": els},
                           headers=admin_headers)
    assert resp.status_code == 200, resp.text


def test_another_warm_process_sees_a_deployment_within_the_cache_age(management, gateway,
                                                                     account, admin_headers):
    """A second process (its own config cache, 0.3 s here; AIGW_CONFIG_CACHE_SECONDS, 5 s, in
    the template) keeps serving what it read until its entry ages out, then the new version."""
    other_store = build_config_store(get_settings().config_table, 0.3)
    ref = other_store.routes

    def other_live() -> Any:
        def col(kind: str) -> Any:
            return type(ref)(ref.table, kind, kind, ref.cache)

        return RouteStore(ref, col("ROUTE_NAME"), col("ROUTE_VERSION"),
                          col("ROUTE_DEPLOYMENT")).live_route(account, "gw", "support")

    route = create(management, account, admin_headers)
    assert other_live()["elements"] == elements("single")
    made = management.post(routes(account, f"/{route['id']}/versions"),
                           json={"elements": elements("plans")}, headers=admin_headers)
    management.post(routes(account, f"/{route['id']}/deployments"),
                    json={"version_id": made.json()["result"]["version_id"]},
                    headers=admin_headers)
    assert other_live()["elements"] == elements("single")  # still within its cache age
    time.sleep(0.35)
    assert other_live()["elements"] == elements("plans")


def test_non_finite_numbers_anywhere_are_a_7001_not_a_500(management, gateway, account,
                                                           admin_headers):
    els = elements("single")
    els[1]["properties"]["note"] = float("nan")  # json.dumps writes NaN, json.loads reads it
    resp = management.post(routes(account), content=json.dumps({"name": "n", "elements": els}),
                           headers={**admin_headers, "content-type": "application/json"})
    assert_envelope_error(resp, 400, 7001)  # the body reader refuses NaN anywhere
