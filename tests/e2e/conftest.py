"""End-to-end fixtures: the local gateway as a subprocess, driven over HTTP.

`gateway_server` is the shared default instance. Tests that need the server started with other
settings (e.g. `AIGW_UPSTREAM_OPENAI` pointed at a fake) call `start_gateway(env)`; every server
started this way is stopped at the end of the session. `sdk_stack` is one gateway in front of the
fakes of every provider the official-SDK tests use (see `sdk_stack.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.e2e.sdk_stack import SdkStack, start_sdk_stack
from tests.fakes.local_server import LocalGateway, start_local_gateway

StartGateway = Callable[[Mapping[str, str] | None], LocalGateway]
_HERE = Path(__file__).resolve().parent
RUN_LAST = frozenset({"test_sdk_key_leaks.py"})
"""Modules that inspect what all the other SDK tests left behind, so they run after them."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e carries the `e2e` marker (`-m "not e2e"` skips it)."""
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: Path(str(item.path)).name in RUN_LAST)  # stable


@pytest.fixture(scope="session")
def start_gateway() -> Iterator[StartGateway]:
    started: list[LocalGateway] = []

    def start(env: Mapping[str, str] | None = None) -> LocalGateway:
        gateway = start_local_gateway(env)
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="session")
def gateway_server(start_gateway: StartGateway) -> LocalGateway:
    return start_gateway(None)


@pytest.fixture(scope="session")
def sdk_stack() -> Iterator[SdkStack]:
    stack = start_sdk_stack()
    yield stack
    stack.stop()


@pytest.fixture
def stack(sdk_stack: SdkStack) -> SdkStack:
    """`sdk_stack` with its fakes' recordings and failure knobs cleared for this test."""
    sdk_stack.reset_fakes()
    return sdk_stack
