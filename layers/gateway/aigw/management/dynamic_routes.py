"""`/gateways/{gw}/routes...`: dynamic routes, immutable versions, deployments (spec section 4).

The envelopes are Cloudflare's, which are not all the standard one, and are what the official
`cloudflare` SDK (5.x, `client.ai_gateway.dynamic_routing`) parses:

- create, get, delete, create version, get version, create deployment: `{success, result, ...}`
- list: `{success, data: {routes, order_by, order_by_direction, page, per_page}}`
- list versions / deployments: the same with `data.versions` / `data.deployments`
- rename (PATCH): `{success, route}`

A version is checked (`aigw.routing.graph`) when it is created, so only valid graphs can be
deployed. Creating a route creates and deploys version 1; deploying an older version is a
rollback. Lists are newest first.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request

from aigw.errors import Conflict, FieldProblem, NotFound, validation_failed
from aigw.ids import now_iso
from aigw.management.auth import authorize
from aigw.management.gateways import find_gateway
from aigw.management.paging import page_params
from aigw.providers.slugs import BUILTIN_SLUGS, CUSTOM_PREFIX
from aigw.routing.graph import compile_graph
from aigw.stores.config_store import config_store
from aigw.stores.route_store import route_store
from aigw.validation import parse_json_object

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}"
                          "/routes")
ROUTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ORDER = {"order_by": "created_at", "order_by_direction": "desc"}


def _ok(result: Any) -> dict[str, Any]:
    return {"success": True, "result": result, "errors": [], "messages": []}


def _data(key: str, items: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    page, per_page = page_params(request)
    start = (page - 1) * per_page
    return {"success": True, "errors": [], "messages": [],
            "data": {key: items[start:start + per_page], **ORDER, "page": page,
                     "per_page": per_page}}


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not ROUTE_NAME.fullmatch(name):
        raise validation_failed([FieldProblem(["name"], "must be 1-64 letters, digits, '_', '.' "
                                                        "or '-', starting with a letter or digit "
                                                        "(clients call it as dynamic/{name})")])
    return name


def _elements(account_id: str, body: dict[str, Any]) -> list[Any]:
    """The body's elements, checked as a graph (7001 naming element and property otherwise)."""
    elements = body.get("elements")

    def known(slug: str) -> bool:
        if slug in BUILTIN_SLUGS:
            return True
        if not slug.startswith(CUSTOM_PREFIX):
            return False
        doc = config_store().custom_providers.get(account_id, slug[len(CUSTOM_PREFIX):])
        return doc is not None

    compile_graph(elements, known)
    return elements  # type: ignore[return-value]  # compile_graph proved it is a list


def _version_view(version: dict[str, Any], live_id: str | None) -> dict[str, Any]:
    return {"version_id": version["version_id"], "created_at": version["created_at"],
            "active": "true" if version["version_id"] == live_id else "false",
            "data": json.dumps(version["elements"], separators=(",", ":")), "is_valid": True}


def route_view(account_id: str, route: dict[str, Any]) -> dict[str, Any]:
    """A route as Cloudflare shows it: the live deployment, version and elements."""
    live = route["version"]
    version = _version_view({**live, "elements": route["elements"]}, live["version_id"])
    return {"id": route["id"], "name": route["name"], "gateway_id": route["gateway_id"],
            "account_tag": account_id, "created_at": route["created_at"],
            "modified_at": route["modified_at"], "elements": route["elements"],
            "deployment": route["deployment"], "version": version}


def _version_result(route: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    """A version with its route's identity (the SDK's version responses are route-shaped)."""
    view = _version_view(version, route["version"]["version_id"])
    return {"id": route["id"], "name": route["name"], "gateway_id": route["gateway_id"],
            "modified_at": route["modified_at"], "elements": version["elements"], **view}


def _find_route(account_id: str, gateway_id: str, route_id: str) -> dict[str, Any]:
    find_gateway(account_id, gateway_id)
    route = route_store().get_route(account_id, gateway_id, route_id[:64])
    if route is None:
        raise NotFound(f"route '{route_id[:64]}' not found in gateway '{gateway_id}'")
    return route


def _new_version(elements: list[Any]) -> dict[str, Any]:
    return {"version_id": uuid.uuid4().hex, "created_at": now_iso(), "elements": elements}


def _new_deployment(version_id: str) -> dict[str, Any]:
    return {"deployment_id": uuid.uuid4().hex, "version_id": version_id,
            "created_at": now_iso()}


def _newest_first(docs: list[dict[str, Any]], id_key: str) -> list[dict[str, Any]]:
    return sorted(docs, key=lambda d: (d["created_at"], d[id_key]), reverse=True)


def _live(route: dict[str, Any], version: dict[str, Any],
          deployment: dict[str, Any]) -> dict[str, Any]:
    """`route` serving `version` through `deployment` (what the data plane reads)."""
    return {**route, "deployment": deployment, "elements": version["elements"],
            "version": {"version_id": version["version_id"],
                        "created_at": version["created_at"]}}


def _name_taken(name: str) -> Conflict:
    return Conflict(f"a route named '{name}' already exists in this gateway")


@router.post("")
async def create_route(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = parse_json_object(await request.body())
    find_gateway(account_id, gateway_id)
    name, elements = _name(body), _elements(account_id, body)
    version = _new_version(elements)
    deployment = _new_deployment(version["version_id"])
    now = now_iso()
    route = _live({"id": uuid.uuid4().hex, "name": name, "gateway_id": gateway_id,
                   "created_at": now, "modified_at": now}, version, deployment)
    try:
        route_store().create_route(account_id, gateway_id, route, version, deployment)
    except Conflict as e:
        raise _name_taken(name) from e
    return _ok(route_view(account_id, route))


@router.get("")
async def list_routes(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    find_gateway(account_id, gateway_id)
    routes = _newest_first(route_store().list_routes(account_id, gateway_id), "id")
    return _data("routes", [route_view(account_id, r) for r in routes], request)


@router.get("/{route_id}")
async def get_route(request: Request, account_id: str, gateway_id: str,
                    route_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    return _ok(route_view(account_id, _find_route(account_id, gateway_id, route_id)))


@router.patch("/{route_id}")
async def rename_route(request: Request, account_id: str, gateway_id: str,
                       route_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = parse_json_object(await request.body())
    name = _name(body)
    old = _find_route(account_id, gateway_id, route_id)
    route = {**old, "name": name, "modified_at": now_iso()}
    try:
        route_store().rename_route(account_id, gateway_id, route, old["name"])
    except Conflict as e:
        raise _name_taken(name) from e
    return {"success": True, "errors": [], "messages": [],
            "route": route_view(account_id, route)}


@router.delete("/{route_id}")
async def delete_route(request: Request, account_id: str, gateway_id: str,
                       route_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    route = _find_route(account_id, gateway_id, route_id)
    route_store().delete_route(account_id, gateway_id, route)
    return _ok(route_view(account_id, route))


@router.post("/{route_id}/versions")
async def create_version(request: Request, account_id: str, gateway_id: str,
                         route_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = parse_json_object(await request.body())
    route = _find_route(account_id, gateway_id, route_id)
    version = _new_version(_elements(account_id, body))
    route_store().add_version(account_id, gateway_id, route["id"], version)
    return _ok(_version_result(route, version))


@router.get("/{route_id}/versions")
async def list_versions(request: Request, account_id: str, gateway_id: str,
                        route_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    route = _find_route(account_id, gateway_id, route_id)
    versions = _newest_first(route_store().list_versions(account_id, gateway_id, route["id"]),
                             "version_id")
    live = route["version"]["version_id"]
    return _data("versions", [_version_view(v, live) for v in versions], request)


@router.get("/{route_id}/versions/{version_id}")
async def get_version(request: Request, account_id: str, gateway_id: str, route_id: str,
                      version_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    route = _find_route(account_id, gateway_id, route_id)
    version = route_store().get_version(account_id, gateway_id, route["id"], version_id[:64])
    if version is None:
        raise NotFound(f"version '{version_id[:64]}' not found in route '{route['id']}'")
    return _ok(_version_result(route, version))


@router.post("/{route_id}/deployments")
async def create_deployment(request: Request, account_id: str, gateway_id: str,
                            route_id: str) -> dict[str, Any]:
    """Make a version live (deploying an older one rolls back)."""
    authorize(request, account_id, "edit")
    body = parse_json_object(await request.body())
    version_id = body.get("version_id")
    if not isinstance(version_id, str) or not version_id:
        raise validation_failed([FieldProblem(["version_id"], "is required (a version id of "
                                                              "this route)")])
    store = route_store()
    route = _find_route(account_id, gateway_id, route_id)
    version = store.get_version(account_id, gateway_id, route["id"], version_id[:64])
    if version is None:
        raise validation_failed([FieldProblem(["version_id"], f"'{version_id[:64]}' is not a "
                                                              "version of this route")])
    deployment = _new_deployment(version["version_id"])
    store.add_deployment(account_id, gateway_id, route["id"], deployment)
    live = _live({**route, "modified_at": now_iso()}, version, deployment)
    store.replace_route(account_id, gateway_id, live)
    return _ok(route_view(account_id, live))


@router.get("/{route_id}/deployments")
async def list_deployments(request: Request, account_id: str, gateway_id: str,
                           route_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    route = _find_route(account_id, gateway_id, route_id)
    deployments = _newest_first(
        route_store().list_deployments(account_id, gateway_id, route["id"]), "deployment_id")
    return _data("deployments", deployments, request)
