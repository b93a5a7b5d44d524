"""The console's configuration pages in a real browser: sign-in, gateways, keys, tokens,
custom providers, read-only tokens, a phone-sized screen."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import PHONE, Console, create_gateway, shot, sign_in

CANARY_SECRET = "sk-console-canary-6f1d2c9a7b"


def test_wrong_token_gives_a_clear_message_and_no_session(page: Any, console: Console,
                                                          account: str) -> None:
    page.goto(console.url)
    page.get_by_label("Account id").fill(account)
    page.get_by_label("Token", exact=True).fill("not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "not accepted" in alert.inner_text()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.context.cookies() == []
    shot(page, "signin-wrong-token")


def test_create_edit_and_delete_a_gateway_with_field_errors(page: Any, console: Console,
                                                            account: str) -> None:
    sign_in(page, console, account)
    # Signed in: the token sits in this tab's sessionStorage, and no cookie exists.
    assert console.admin_token in page.evaluate("JSON.stringify(sessionStorage)")
    assert page.context.cookies() == []
    page.get_by_role("link", name="Create gateway").click()
    page.get_by_label("Gateway id").fill("Not Valid!")
    page.get_by_role("button", name="Create gateway").click()
    error = page.locator("[data-field=id] .field-error")
    error.wait_for()
    assert "should match pattern" in error.inner_text() or "pattern" in error.inner_text()
    assert page.get_by_label("Gateway id").get_attribute("aria-invalid") == "true"

    page.get_by_label("Gateway id").fill("web-shop")
    page.get_by_role("button", name="Create gateway").click()
    page.get_by_role("heading", name="Provider keys").wait_for()
    assert console.manage(account, "GET", "/gateways/web-shop").status_code == 200

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Maximum attempts").fill("9")
    page.get_by_role("button", name="Save").click()
    attempts_error = page.locator("[data-field=retry_max_attempts] .field-error")
    attempts_error.wait_for()
    assert "5" in attempts_error.inner_text()
    page.get_by_label("Maximum attempts").fill("3")
    page.get_by_label("Cache TTL (seconds, 0 = off)").fill("120")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Settings saved.").wait_for()
    saved = console.manage(account, "GET", "/gateways/web-shop").json()["result"]
    assert (saved["retry_max_attempts"], saved["cache_ttl"]) == (3, 120)
    shot(page, "gateway-settings")

    page.get_by_role("button", name="Delete gateway").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    assert console.manage(account, "GET", "/gateways/web-shop").status_code == 200
    page.get_by_role("button", name="Delete gateway").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete gateway").click()
    page.get_by_role("heading", name="Gateways").wait_for()
    assert console.manage(account, "GET", "/gateways/web-shop").status_code == 404


def test_provider_key_is_write_only(page: Any, console: Console, account: str) -> None:
    create_gateway(console, account, "keys")
    sign_in(page, console, account)
    page.get_by_role("link", name="keys").click()
    page.get_by_role("link", name="Provider keys").click()
    page.get_by_label("Secret", exact=True).fill(CANARY_SECRET)
    page.get_by_role("button", name="Store key").click()
    row = page.get_by_role("row", name=re.compile("openai"))
    row.wait_for()
    assert CANARY_SECRET not in page.content()
    assert page.get_by_label("Secret", exact=True).input_value() == ""
    shot(page, "provider-keys")

    page.get_by_role("button", name="Rotate openai default").click()
    page.get_by_label("New secret for openai / default").fill("sk-rotated-0000000000001234")
    page.get_by_role("button", name="Save new secret").click()
    page.get_by_text("rotated.").wait_for()
    page.get_by_role("row", name=re.compile(r"\*\*234")).wait_for()
    assert "sk-rotated-0000000000001234" not in page.content()

    page.get_by_role("button", name="Delete openai default").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.get_by_text("No stored keys").wait_for()
    listed = console.manage(account, "GET", "/gateways/keys/provider_configs").json()["result"]
    assert listed == []


def test_token_value_is_shown_once_and_revoke_works(page: Any, console: Console,
                                                    account: str) -> None:
    sign_in(page, console, account)
    page.get_by_role("link", name="Tokens").click()
    page.get_by_label("Name").fill("ci runner")
    page.get_by_role("button", name="Create token").click()
    value = page.locator("#new-token-value").inner_text()
    assert value.startswith("aigw_")
    shot(page, "tokens")
    page.get_by_role("button", name=re.compile("hide")).click()
    assert value not in page.content()
    page.reload()
    page.get_by_role("heading", name="Tokens").wait_for()
    page.get_by_role("row", name=re.compile("ci runner")).wait_for()
    assert value not in page.content()
    page.get_by_role("button", name="Revoke ci runner").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    page.get_by_text("No tokens yet.").wait_for()


def test_custom_provider_errors_next_to_fields(page: Any, console: Console, account: str) -> None:
    sign_in(page, console, account)
    page.get_by_role("link", name="Custom providers").click()
    page.get_by_label("Name").fill("Local LLM")
    page.get_by_label("Slug").fill("local-llm")
    page.get_by_label("Base URL").fill("http://insecure.example.com")
    page.get_by_role("button", name="Add provider").click()
    error = page.locator("[data-field=base_url] .field-error")
    error.wait_for()
    assert "https" in error.inner_text()
    page.get_by_label("Base URL").fill("https://llm.example.com/v1")
    page.get_by_role("button", name="Add provider").click()
    page.get_by_role("row", name=re.compile("custom-local-llm")).wait_for()


def test_read_token_sees_everything_and_changes_nothing(page: Any, console: Console,
                                                        account: str) -> None:
    create_gateway(console, account, "ro-gw")
    made = console.manage(account, "POST", "/tokens",
                          {"name": "auditor", "permissions": ["read"]}).json()["result"]
    sign_in(page, console, account, made["value"])
    assert "read-only" in page.locator("#who").inner_text()
    assert page.get_by_role("link", name="Create gateway").count() == 0
    page.get_by_role("link", name="ro-gw").click()
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Maximum attempts").wait_for()
    assert page.get_by_label("Maximum attempts").is_disabled()
    assert page.get_by_role("button", name="Save").count() == 0
    assert page.get_by_role("button", name="Delete gateway").count() == 0
    page.get_by_role("link", name="Provider keys").click()
    page.get_by_role("heading", name="Provider keys").wait_for()
    assert page.get_by_role("button", name="Store key").count() == 0
    page.get_by_role("link", name="Tokens").click()
    page.get_by_role("row", name=re.compile("auditor")).wait_for()
    assert page.get_by_role("button", name=re.compile("Revoke")).count() == 0
    # The API itself refuses a change made with this token from the page.
    status = page.evaluate("""async () => {
        const s = JSON.parse(sessionStorage.getItem("aigw.console.session"));
        const r = await fetch(`/client/v4/accounts/${s.account}/ai-gateway/gateways/ro-gw`,
            {method: "DELETE", headers: {Authorization: `Bearer ${s.token}`}});
        return r.status; }""")
    assert status == 403
    assert console.manage(account, "GET", "/gateways/ro-gw").status_code == 200


def test_revoked_token_is_sent_back_to_sign_in(page: Any, console: Console, account: str) -> None:
    made = console.manage(account, "POST", "/tokens",
                          {"name": "temp", "permissions": ["read"]}).json()["result"]
    sign_in(page, console, account, made["value"])
    assert console.manage(account, "DELETE", f"/tokens/{made['id']}").status_code == 200
    page.wait_for_timeout(5500)  # the config cache's age (AIGW_CONFIG_CACHE_SECONDS)
    page.get_by_role("link", name="Tokens").click()
    page.get_by_role("alert").filter(has_text="Sign in again").wait_for()
    page.get_by_role("button", name="Sign in").wait_for()


def test_phone_viewport_and_keyboard_only(page: Any, console: Console, account: str) -> None:
    page.set_viewport_size(PHONE)
    create_gateway(console, account, "phone-gw")
    page.goto(console.url)
    # Keyboard only: the account field has focus; type, tab to the token, Enter submits.
    page.keyboard.type(account)
    page.keyboard.press("Tab")
    page.keyboard.type(console.admin_token)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="phone-gw").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    shot(page, "phone-gateways")
