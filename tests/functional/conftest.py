from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aigw_local.functions import load_function_module


@pytest.fixture
def management(local_stack: object) -> TestClient:
    return TestClient(load_function_module("management").app, raise_server_exceptions=False)
