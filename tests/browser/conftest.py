"""Browser tests: Debian's chromium, driven by Playwright, against the local server.

One local gateway (`python -m aigw_local`, what `make dev` runs) in front of a fake OpenAI
upstream serves the whole session; each test gets a fresh browser context (its own
sessionStorage) and a fresh account id, so tests never see each other's gateways. Screenshots go
to `tests/browser/output/` (gitignored) for review. The browser is the system's
`/usr/bin/chromium` (`make chromium` installs it); Playwright never downloads one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.local_server import LocalGateway, start_local_gateway
from tests.fakes.upstreams import openai
from tests.fakes.upstreams.common import FakeUpstream

CHROMIUM = Path(os.environ.get("AIGW_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = Path(__file__).resolve().parent / "output"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser carries the `browser` marker."""
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Console:
    """The running gateway plus a management API client for arranging state outside the UI."""

    gateway: LocalGateway
    openai: FakeUpstream

    @property
    def url(self) -> str:
        return f"{self.gateway.base_url}/dashboard"

    @property
    def admin_token(self) -> str:
        return self.gateway.admin_token

    def manage(self, account: str, method: str, path: str, body: Any = None,
               token: str | None = None) -> httpx.Response:
        return httpx.request(
            method, f"{self.gateway.base_url}/client/v4/accounts/{account}/ai-gateway{path}",
            json=body, timeout=30,
            headers={"Authorization": f"Bearer {token or self.admin_token}"})

    def chat(self, account: str, gateway: str, content: str = "hello",
             headers: dict[str, str] | None = None) -> httpx.Response:
        """One OpenAI chat completion through the gateway's passthrough route."""
        return httpx.post(
            f"{self.gateway.base_url}/v1/{account}/{gateway}/openai/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]},
            headers=headers or {}, timeout=30)


@pytest.fixture(scope="session")
def console() -> Iterator[Console]:
    fake = openai.create()
    fake.start()
    try:
        gateway = start_local_gateway(dict([fake.env()]))
    except BaseException:
        fake.stop()
        raise
    yield Console(gateway, fake)
    gateway.stop()
    fake.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module, not per session: Playwright's sync API keeps an asyncio loop running in this
    thread while it is open, which would break every later test that runs its own loop."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def account() -> str:
    return f"web{uuid.uuid4().hex[:10]}"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def shot(page: Any, name: str, full_page: bool = True) -> Path:
    """Save a screenshot for review under tests/browser/output/."""
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Any, console: Console, account: str, token: str | None = None) -> None:
    page.goto(console.url)
    page.get_by_label("Account id").fill(account)
    page.get_by_label("Token", exact=True).fill(token or console.admin_token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Gateways").wait_for()


def create_gateway(console: Console, account: str, gateway: str, **settings: Any) -> None:
    body = {"id": gateway, "cache_invalidate_on_update": False, "cache_ttl": 0,
            "collect_logs": True, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
            **settings}
    resp = console.manage(account, "POST", "/gateways", body)
    assert resp.status_code == 200, resp.text
