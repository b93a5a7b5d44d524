from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from aigw.config import get_settings
from aigw.stores import aws
from aigw.stores.config_store import config_store
from aigw.stores.counters import counters
from aigw.stores.response_cache import response_cache
from aigw_local.functions import load_function_module
from tests.fakes.upstreams import (
    anthropic,
    azure_openai,
    bedrock,
    cohere,
    google_ai_studio,
    google_vertex,
    openai,
    workers_ai,
)
from tests.fakes.upstreams.common import FakeUpstream
from tests.functional.inference_support import Tap, start_tapped
from tests.functional.policy_support import SURFACES, Surface


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
    counters.cache_clear()
    response_cache.cache_clear()
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


@pytest.fixture
def compat(local_stack: object) -> Iterator[TestClient]:
    """The compat app in-process, like `inference`."""
    with TestClient(load_function_module("compat").app,
                    raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(params=SURFACES, ids=[s.name for s in SURFACES])
def surface(request: pytest.FixtureRequest) -> Surface:
    """Each data-plane surface in turn (see `policy_support`)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def served_inference(local_stack: object) -> Iterator[str]:
    """The inference app under uvicorn, as the Lambda Web Adapter runs it; yields its base URL.

    It reads settings per request, so `gateway_env` changes apply to it too."""
    from tests.fakes.upstream_server import serve_in_thread

    server = serve_in_thread(load_function_module("inference").app)
    yield server.base_url
    server.stop()


FAKES: dict[str, Callable[[], FakeUpstream]] = {
    "openai": openai.create, "groq": lambda: openai.create("groq"),
    "anthropic": anthropic.create, "google-ai-studio": google_ai_studio.create,
    "google-vertex-ai": google_vertex.create, "aws-bedrock": bedrock.create,
    "azure-openai": azure_openai.create, "workers-ai": workers_ai.create,
    "cohere": cohere.create,
}


class Upstreams:
    """Fake upstreams shared by the session (starting one per test is most of a test's time).

    `use(slug)` returns that provider's fake, running behind a `Tap`, reset for this test, with
    `AIGW_UPSTREAM_<SLUG>` pointed at it; `tap(slug)` shows the last answer it sent.
    """

    def __init__(self, running: dict[str, tuple[FakeUpstream, Tap]], env: GatewayEnv) -> None:
        self._running, self._env = running, env

    def use(self, slug: str) -> FakeUpstream:
        if slug not in self._running:
            fake = FAKES[slug]()
            self._running[slug] = (fake, start_tapped(fake))
        fake, tap = self._running[slug]
        fake.reset()
        tap.clear()
        self._env.upstream(fake)
        return fake

    def tap(self, slug: str) -> Tap:
        return self._running[slug][1]


@pytest.fixture(scope="session")
def _running_fakes() -> Iterator[dict[str, tuple[FakeUpstream, Tap]]]:
    running: dict[str, tuple[FakeUpstream, Tap]] = {}
    yield running
    for fake, _ in running.values():
        fake.stop()


@pytest.fixture
def upstreams(_running_fakes: dict[str, tuple[FakeUpstream, Tap]],
              gateway_env: GatewayEnv) -> Upstreams:
    return Upstreams(_running_fakes, gateway_env)


@pytest.fixture
def oai(upstreams: Upstreams) -> FakeUpstream:
    return upstreams.use("openai")


@pytest.fixture
def claude(upstreams: Upstreams) -> FakeUpstream:
    return upstreams.use("anthropic")


@pytest.fixture
def gateway(management: TestClient, account: str, admin_headers: dict[str, str]) -> str:
    """Gateway `gw` in the test's account: no authentication, no retries, no cache."""
    from tests.functional.inference_support import make_gateway

    return str(make_gateway(management, account, admin_headers)["id"])
