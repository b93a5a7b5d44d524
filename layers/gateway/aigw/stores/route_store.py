"""Dynamic routes, their immutable versions and their deployments, in the config table.

Four kinds of item share the config table's `account` partition (sort keys, ids per gateway):

    ROUTE#{gateway}#{route_id}                 the route: name, timestamps, the live deployment
                                               and a copy of the live version's elements
    ROUTE_NAME#{gateway}#{name}                {route_id}: keeps names unique (a conditional
                                               put) and resolves `dynamic/{name}` with one GetItem
    ROUTE_VERSION#{gateway}#{route_id}#{vid}   {version_id, created_at, elements}, never changed
    ROUTE_DEPLOYMENT#{gateway}#{route_id}#{did} {deployment_id, version_id, created_at}

Deploying rewrites only the route item (with the deployed version's elements), so the data plane
reads the live graph with two cached GetItems and a deployment (or rollback) is one write. A warm
process sees it within the config cache's age (`AIGW_CONFIG_CACHE_SECONDS`); the process that
made the change sees it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigw.stores.config_store import Collection, config_store


@dataclass
class RouteStore:
    routes: Collection
    names: Collection
    versions: Collection
    deployments: Collection

    # -- routes ---------------------------------------------------------------------------

    def list_routes(self, account: str, gateway: str) -> list[dict[str, Any]]:
        return self.routes.list(account, f"{gateway}#")

    def get_route(self, account: str, gateway: str, route_id: str) -> dict[str, Any] | None:
        return self.routes.get(account, f"{gateway}#{route_id}")

    def create_route(self, account: str, gateway: str, route: dict[str, Any],
                     version: dict[str, Any], deployment: dict[str, Any]) -> None:
        """Claim the name (409 `Conflict` if taken), then write version, deployment, route."""
        route_id = route["id"]
        self.names.create(account, f"{gateway}#{route['name']}", {"route_id": route_id})
        self.versions.create(account, f"{gateway}#{route_id}#{version['version_id']}", version)
        self.deployments.create(account, f"{gateway}#{route_id}#{deployment['deployment_id']}",
                                deployment)
        self.routes.create(account, f"{gateway}#{route_id}", route)

    def replace_route(self, account: str, gateway: str, route: dict[str, Any]) -> None:
        self.routes.replace(account, f"{gateway}#{route['id']}", route)

    def rename_route(self, account: str, gateway: str, route: dict[str, Any],
                     old_name: str) -> None:
        """Claim the new name (409 if taken), rewrite the route, release the old name."""
        if route["name"] == old_name:
            self.replace_route(account, gateway, route)
            return
        self.names.create(account, f"{gateway}#{route['name']}", {"route_id": route["id"]})
        self.replace_route(account, gateway, route)
        self.names.delete(account, f"{gateway}#{old_name}")

    def delete_route(self, account: str, gateway: str, route: dict[str, Any]) -> None:
        """The route item first (it stops serving at once), then its name, versions and
        deployments."""
        route_id = route["id"]
        self.routes.delete(account, f"{gateway}#{route_id}")
        self._delete_quietly(self.names, account, f"{gateway}#{route['name']}")
        for col, key in ((self.versions, "version_id"), (self.deployments, "deployment_id")):
            for doc in col.list(account, f"{gateway}#{route_id}#"):
                self._delete_quietly(col, account, f"{gateway}#{route_id}#{doc[key]}")

    def delete_gateway_routes(self, account: str, gateway: str) -> None:
        for route in self.list_routes(account, gateway):
            self.delete_route(account, gateway, route)

    @staticmethod
    def _delete_quietly(col: Collection, account: str, doc_id: str) -> None:
        from aigw.errors import NotFound

        try:
            col.delete(account, doc_id)
        except NotFound:
            pass  # already gone (a concurrent delete): the goal is reached either way

    # -- versions and deployments ---------------------------------------------------------

    def add_version(self, account: str, gateway: str, route_id: str,
                    version: dict[str, Any]) -> None:
        self.versions.create(account, f"{gateway}#{route_id}#{version['version_id']}", version)

    def list_versions(self, account: str, gateway: str, route_id: str) -> list[dict[str, Any]]:
        return self.versions.list(account, f"{gateway}#{route_id}#")

    def get_version(self, account: str, gateway: str, route_id: str,
                    version_id: str) -> dict[str, Any] | None:
        return self.versions.get(account, f"{gateway}#{route_id}#{version_id}")

    def add_deployment(self, account: str, gateway: str, route_id: str,
                       deployment: dict[str, Any]) -> None:
        self.deployments.create(account, f"{gateway}#{route_id}#{deployment['deployment_id']}",
                                deployment)

    def list_deployments(self, account: str, gateway: str,
                         route_id: str) -> list[dict[str, Any]]:
        return self.deployments.list(account, f"{gateway}#{route_id}#")

    # -- the data plane -------------------------------------------------------------------

    def live_route(self, account: str, gateway: str, name: str) -> dict[str, Any] | None:
        """The route called `name` with its deployed elements, from the warm-process cache."""
        if len(name) > 256:
            return None
        entry = self.names.cached_get(account, f"{gateway}#{name}")
        if entry is None:
            return None
        return self.routes.cached_get(account, f"{gateway}#{entry['route_id']}")


def route_store() -> RouteStore:
    """Collections over the config table, sharing its warm-process cache."""
    store = config_store()
    table, cache = store.routes.table, store.routes.cache

    def col(kind: str, what: str) -> Collection:
        return Collection(table, kind, what, cache)

    return RouteStore(routes=store.routes, names=col("ROUTE_NAME", "route name"),
                      versions=col("ROUTE_VERSION", "route version"),
                      deployments=col("ROUTE_DEPLOYMENT", "route deployment"))
