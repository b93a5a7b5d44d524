"""Suite-wide fixtures: one embedded moto server (server mode) with the template's tables."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from aigw.config import get_settings
from aigw.stores.aws import reset_clients

ADMIN_TOKEN = "test-admin-token-0123456789"


@pytest.fixture(scope="session")
def local_stack() -> Iterator[object]:
    from aigw_local.server import start_local_stack

    saved = dict(os.environ)
    os.environ["AIGW_ADMIN_TOKEN"] = ADMIN_TOKEN
    # The template lets Bedrock calls without a credential use the functions' role; the suite's
    # fakes cannot check a role's signature, so it turns that off (tests that need it set it).
    os.environ["AIGW_BEDROCK_USE_ROLE"] = "false"
    stack = start_local_stack(os.environ)
    _reset_process_caches()
    yield stack
    stack.moto.stop()
    os.environ.clear()
    os.environ.update(saved)
    _reset_process_caches()


def _reset_process_caches() -> None:
    from aigw.admin_auth import forget_admin_token
    from aigw.stores.config_store import config_store
    from aigw.stores.counters import counters
    from aigw.stores.response_cache import response_cache

    get_settings.cache_clear()
    reset_clients()
    forget_admin_token()
    config_store.cache_clear()
    counters.cache_clear()
    response_cache.cache_clear()


@pytest.fixture
def account() -> str:
    """A fresh account id per test: accounts are namespaces, so tests never see each other."""
    return f"acct{uuid.uuid4().hex[:12]}"


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
