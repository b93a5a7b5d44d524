"""Rate limit and spend rules edited in the console; API validation shown next to the field."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Console, create_gateway, shot, sign_in


def test_edit_rate_limit_and_a_spend_rule(page: Any, console: Console, account: str) -> None:
    create_gateway(console, account, "limited")
    sign_in(page, console, account)
    page.goto(f"{console.url}#/gw/limited/limits")
    page.get_by_label("Requests allowed per window (0 = off)").fill("30")
    page.get_by_label("Window (seconds)", exact=True).fill("60")
    page.get_by_role("button", name="Save rate limit").click()
    page.get_by_text("Rate limit saved.").wait_for()

    page.get_by_label("Enforce spend limits").check()
    page.get_by_role("button", name="Add a rule").click()
    rule = page.locator("fieldset.rule").first
    rule.get_by_label("Limit (USD)").fill("-1")
    rule.get_by_label("Providers (comma-separated; empty = all)").fill("openai")
    page.get_by_role("button", name="Save spend limits").click()
    error = rule.locator("[data-field$='.limit'] .field-error")
    error.wait_for()
    assert error.inner_text().strip()
    assert rule.get_by_label("Limit (USD)").get_attribute("aria-invalid") == "true"

    rule.get_by_label("Limit (USD)").fill("2.5")
    page.get_by_role("button", name="Save spend limits").click()
    page.get_by_text("Spend limits saved.").wait_for()
    saved = console.manage(account, "GET", "/gateways/limited").json()["result"]
    assert saved["rate_limiting_limit"] == 30
    spend = saved["spend_limits"]
    assert spend["enabled"] is True
    [stored] = spend["rules"]
    assert stored["limit"] == 2.5 and stored["window"] == 86400
    assert stored["provider"] in ("openai", {"mode": "filter", "values": ["openai"]})
    # The saved rule comes back with its id; editing it keeps the id.
    page.locator("fieldset.rule").first.get_by_label("Limit (USD)").fill("3")
    page.get_by_role("button", name="Save spend limits").click()
    page.get_by_text("Spend limits saved.").wait_for()
    again = console.manage(account, "GET", "/gateways/limited").json()["result"]
    assert again["spend_limits"]["rules"][0]["id"] == stored["id"]
    assert again["spend_limits"]["rules"][0]["limit"] == 3
    shot(page, "limits")
