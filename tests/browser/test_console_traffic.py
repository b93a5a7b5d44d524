"""A new user's whole loop in the browser: create a gateway, store a key, send traffic, find
the log with its cost, read its bodies, give feedback, watch the analytics charts move."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import Console, shot, sign_in
from tests.fakes import credentials

KEY = credentials.OPENAI_KEY  # the key the fake OpenAI accepts


def requests_in_chart(page: Any) -> str:
    """The Requests chart's text alternative (its figures, as a screen reader hears them)."""
    chart = page.get_by_role("img", name=re.compile("^Requests and errors"))
    chart.wait_for()
    return str(chart.get_attribute("aria-label"))


def refresh_until(page: Any, press: Any, ready: str, tries: int = 30) -> None:
    """Ingest is asynchronous to the answer: press (refresh) until `ready` (JS) holds."""
    for _ in range(tries):
        press()
        try:
            page.wait_for_function(ready, timeout=500)
            return
        except PlaywrightTimeout:
            pass  # not there yet: refresh again
    raise AssertionError(f"never true after {tries} refreshes: {ready}")


def test_traffic_shows_up_in_logs_feedback_and_analytics(page: Any, console: Console,
                                                         account: str) -> None:
    sign_in(page, console, account)
    page.get_by_role("link", name="Create gateway").click()
    page.get_by_label("Gateway id").fill("shop")
    page.get_by_role("button", name="Create gateway").click()
    page.get_by_role("heading", name="Provider keys").wait_for()
    page.get_by_label("Secret", exact=True).fill(KEY)
    page.get_by_role("button", name="Store key").click()
    page.get_by_role("row", name=re.compile("openai")).wait_for()

    # A spend rule on OpenAI, edited in the console, then charged by the traffic below.
    page.get_by_role("link", name="Limits").click()
    page.get_by_label("Enforce spend limits").check()
    page.get_by_role("button", name="Add a rule").click()
    page.locator("fieldset.rule").first.get_by_label("Limit (USD)").fill("1")
    page.locator("fieldset.rule").first.get_by_label(
        "Providers (comma-separated; empty = all)").fill("openai")
    page.get_by_role("button", name="Save spend limits").click()
    page.get_by_text("Spend limits saved.").wait_for()
    assert "$0 of $1" in page.locator("fieldset.rule .spent").inner_text()

    page.get_by_role("link", name="Analytics").click()
    assert "sum 0" in requests_in_chart(page)

    for i in range(3):  # no credential on the request: the stored key is used
        resp = console.chat(account, "shop", content=f"hello {i}")
        assert resp.status_code == 200, resp.text
    assert console.openai.recorder.last.headers["authorization"] == f"Bearer {KEY}"

    page.get_by_role("link", name="Logs").click()
    rows = page.locator("tbody tr")
    refresh_until(page, page.get_by_role("button", name="Refresh").click,
                  "() => document.querySelectorAll('tbody tr').length === 3")
    first = rows.first
    assert re.search(r"\$0\.\d+", first.inner_text()), first.inner_text()  # its cost
    assert "gpt-4o-mini" in first.inner_text() and "ok 200" in first.inner_text()
    shot(page, "logs")

    # Filters are the API's: a provider nobody used finds nothing.
    page.get_by_label("Provider").fill("anthropic")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("No logs match").wait_for()
    page.get_by_label("Provider").fill("openai")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 3")

    rows.first.get_by_role("link").click()
    request_body = page.get_by_label("Request body")
    request_body.wait_for()
    text = request_body.inner_text()
    assert '"content": "hello 2"' in text and "\n  " in text  # pretty-printed JSON
    assert '"choices"' in page.get_by_label("Response body").inner_text()
    assert KEY not in page.content()
    page.get_by_role("button", name="Good answer").click()
    page.get_by_label("Score (a number, empty = none)").fill("0.9")
    page.get_by_role("button", name="Save feedback").click()
    page.get_by_text("Feedback saved.").wait_for()
    shot(page, "log-detail")
    log_id = page.url.rsplit("/", 1)[1]
    stored = console.manage(account, "GET", f"/gateways/shop/logs/{log_id}").json()["result"]
    assert (stored["feedback"], stored["score"]) == (1, 0.9)

    page.get_by_role("link", name="All logs").click()
    page.get_by_label("Feedback", exact=True).select_option("1")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 1")

    page.get_by_role("link", name="Limits").click()
    spent = page.locator("fieldset.rule .spent").inner_text()
    assert re.search(r"\$0\.0+[1-9]\d* of \$1", spent), spent  # the three answers' cost
    assert page.get_by_role("meter").count() == 1

    page.get_by_role("link", name="Analytics").click()
    label = requests_in_chart(page)
    assert "sum 3" in label, label
    assert page.locator("[data-kpi=Requests]").inner_text() == "3"
    assert page.locator("[data-kpi=Cost]").inner_text().startswith("$")
    provider_chart = page.get_by_role("img", name=re.compile("^Requests by provider"))
    assert "openai 3" in str(provider_chart.get_attribute("aria-label"))
    console.chat(account, "shop", content="one more")
    ranges = iter(["72", "24"] * 15)
    refresh_until(page, lambda: page.get_by_label("Time range").select_option(next(ranges)),
                  "() => document.querySelector('[data-kpi=Requests]')?.textContent === '4'")
    assert "sum 4" in requests_in_chart(page)
    page.wait_for_timeout(300)  # let uPlot finish its first paint for the screenshot
    shot(page, "analytics")
