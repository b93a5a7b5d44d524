"""Dynamic routes in the console: create, a refused graph, a new version, deploy, roll back,
and the live graph drawn as a diagram."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.browser.conftest import Console, create_gateway, shot, sign_in


def elements(model: str) -> list[dict[str, Any]]:
    return [
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "split"}}},
        {"id": "split", "type": "percentage", "outputs": {
            "40%": {"elementId": "primary"}, "60%": {"elementId": "backup"}}},
        {"id": "primary", "type": "model",
         "properties": {"provider": "openai", "model": model, "timeout": 10000, "retries": 1},
         "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "backup"}}},
        {"id": "backup", "type": "model",
         "properties": {"provider": "anthropic", "model": "claude-sonnet-4-5", "timeout": 10000,
                        "retries": 0},
         "outputs": {"success": {"elementId": "end"}}},
        {"id": "end", "type": "end", "outputs": {}},
    ]


def simple(model: str) -> list[dict[str, Any]]:
    return [
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "primary"}}},
        {"id": "primary", "type": "model",
         "properties": {"provider": "openai", "model": model, "timeout": 10000, "retries": 1},
         "outputs": {"success": {"elementId": "end"}}},
        {"id": "end", "type": "end", "outputs": {}},
    ]


def live_version(console: Console, account: str, route_id: str) -> str:
    route = console.manage(account, "GET", f"/gateways/routed/routes/{route_id}").json()["result"]
    return str(route["deployment"]["version_id"])


def test_create_deploy_and_roll_back_a_route(page: Any, console: Console, account: str) -> None:
    create_gateway(console, account, "routed")
    sign_in(page, console, account)
    page.goto(f"{console.url}#/gw/routed/routes")
    page.get_by_label("Name").fill("assistant")
    broken = simple("gpt-4o-mini")[:2]  # no end element: the API refuses the graph
    page.get_by_label("Elements (JSON)").fill(json.dumps(broken))
    page.get_by_role("button", name="Create route").click()
    error = page.locator("[data-field=elements] .field-error")
    error.wait_for()
    assert "end" in error.inner_text()

    page.get_by_label("Elements (JSON)").fill(json.dumps(simple("gpt-4o-mini")))
    page.get_by_role("button", name="Create route").click()
    page.get_by_role("heading", name="Route assistant").wait_for()
    route_id = page.url.rsplit("/", 1)[1]
    first = live_version(console, account, route_id)
    assert page.locator("#live-version").inner_text() == first
    assert str(page.locator("svg g[data-element=primary]").text_content()).count("gpt-4o-mini") == 1

    page.get_by_label("Elements (JSON)").fill(json.dumps(elements("gpt-4o")))
    page.get_by_role("button", name="Create version").click()
    page.get_by_text("deploy it to make it live").wait_for()
    assert live_version(console, account, route_id) == first  # not live until deployed
    page.get_by_role("button", name=re.compile("^Deploy version")).click()
    page.get_by_text("is live").wait_for()
    second = live_version(console, account, route_id)
    assert second != first
    page.locator("svg g[data-element=split]").wait_for()
    assert "gpt-4o" in str(page.locator("svg g[data-element=primary]").text_content())
    shot(page, "route")

    page.get_by_role("button", name=f"Deploy version {first}").click()
    page.get_by_role("dialog").get_by_role("button", name="Roll back").click()
    page.get_by_text(f"Version {first} is live.").wait_for()
    assert live_version(console, account, route_id) == first
    assert page.locator("svg g[data-element=split]").count() == 0
    deployments = console.manage(account, "GET", f"/gateways/routed/routes/{route_id}/deployments")
    assert [d["version_id"] for d in deployments.json()["data"]["deployments"]][-3:] \
        in ([first, second, first], [first, second, first][::-1])

    page.get_by_role("link", name="All routes").click()
    page.get_by_role("row", name=re.compile("dynamic.assistant")).wait_for()
