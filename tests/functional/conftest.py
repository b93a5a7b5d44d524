from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from aigw.config import get_settings
from aigw.stores import aws
from aigw.stores.config_store import config_store
from aigw_local.functions import load_function_module
from tests.fakes.upstreams.common import FakeUpstream


@pytest.fixture
def management(local_stack: object) -> TestClient:
    return TestClient(load_function_module("management").app, raise_server_exceptions=False)


class GatewayEnv:
    """Environment changes the gateway sees at once.

    Settings are read once per process, and the config cache and the role session are built
    from them, so every change drops those three; the test's changes are undone at teardown.
    """

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self._patch = patch

    def set(self, name: str, value: str) -> None:
        self._patch.setenv(name, value)
        forget_settings()

    def unset(self, name: str) -> None:
        self._patch.delenv(name, raising=False)
        forget_settings()

    def upstream(self, fake: FakeUpstream) -> None:
        """Point the fake's provider (`AIGW_UPSTREAM_<SLUG>`) at it."""
        self.set(*fake.env())


def forget_settings() -> None:
    get_settings.cache_clear()
    config_store.cache_clear()
    aws._role_session.cache_clear()


@pytest.fixture
def gateway_env(local_stack: object) -> Iterator[GatewayEnv]:
    with pytest.MonkeyPatch.context() as patch:
        yield GatewayEnv(patch)
    forget_settings()


@pytest.fixture
def inference(local_stack: object) -> Iterator[TestClient]:
    """The inference app in-process; one event loop for the whole test, as in a warm Lambda."""
    with TestClient(load_function_module("inference").app,
                    raise_server_exceptions=False) as client:
        yield client
