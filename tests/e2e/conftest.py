"""End-to-end fixtures: the local gateway as a subprocess, driven over HTTP.

`gateway_server` is the shared default instance. Tests that need the server started with other
settings (e.g. `AIGW_UPSTREAM_OPENAI` pointed at a fake) call `start_gateway(env)`; every server
started this way is stopped at the end of the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.fakes.local_server import LocalGateway, start_local_gateway

StartGateway = Callable[[Mapping[str, str] | None], LocalGateway]
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e carries the `e2e` marker (`-m "not e2e"` skips it)."""
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


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
