"""The four data-plane surfaces as one interface, for tests that prove every control acts on
every surface: passthrough, a universal step, compat chat and compat embeddings, all over the
OpenAI fake (priced models, so answers have a cost)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.fakes import credentials as keys
from tests.functional.inference_support import GATEWAY, api

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
EMBED = {"model": "text-embedding-3-small", "input": "hello"}
KEY = {"authorization": f"Bearer {keys.OPENAI_KEY}"}


@dataclass
class Surface:
    name: str
    #: (inference, compat, account, extra headers, body overrides) -> response
    send: Callable[..., Any]
    #: What a gateway error looks like here: (response) -> the Cloudflare code
    code_of: Callable[[Any], int]
    #: The model whose price the answer is charged at.
    model: str


def _gateway_code(resp: Any) -> int:
    return int(resp.json()["error"][0]["code"])


def _openai_code(resp: Any) -> int:
    return int(resp.json()["error"]["code"])


def _passthrough(inference: TestClient, compat: TestClient, account: str, *, key: bool = True,
                 headers: dict[str, str] | None = None, **body: Any) -> Any:
    own = KEY if key else {}
    return inference.post(f"/v1/{account}/{GATEWAY}/openai/chat/completions",
                          json={**CHAT, **body}, headers={**own, **(headers or {})})


def _universal(inference: TestClient, compat: TestClient, account: str, *, key: bool = True,
               headers: dict[str, str] | None = None, **body: Any) -> Any:
    own = KEY if key else {}
    step = {"provider": "openai", "endpoint": "chat/completions", "headers": own,
            "query": {**CHAT, **body}}
    return inference.post(f"/v1/{account}/{GATEWAY}", json=[step], headers=headers or {})


def _compat_chat(inference: TestClient, compat: TestClient, account: str, *, key: bool = True,
                 headers: dict[str, str] | None = None, **body: Any) -> Any:
    own = KEY if key else {}
    return compat.post(f"/v1/{account}/{GATEWAY}/compat/chat/completions",
                       json={**CHAT, "model": "openai/gpt-4o-mini", **body},
                       headers={**own, **(headers or {})})


def _compat_embeddings(inference: TestClient, compat: TestClient, account: str, *, key: bool = True,
                       headers: dict[str, str] | None = None, **body: Any) -> Any:
    own = KEY if key else {}
    return compat.post(f"/v1/{account}/{GATEWAY}/compat/embeddings",
                       json={**EMBED, "model": "openai/text-embedding-3-small", **body},
                       headers={**own, **(headers or {})})


SURFACES = [
    Surface("passthrough", _passthrough, _gateway_code, "gpt-4o-mini"),
    Surface("universal", _universal, _gateway_code, "gpt-4o-mini"),
    Surface("compat-chat", _compat_chat, _openai_code, "gpt-4o-mini"),
    Surface("compat-embeddings", _compat_embeddings, _openai_code, "text-embedding-3-small"),
]


def update_gateway(management: TestClient, account: str, admin: dict[str, str],
                   current: dict[str, Any], **settings: Any) -> dict[str, Any]:
    body = {k: v for k, v in {**current, **settings}.items()
            if k not in {"id", "created_at", "modified_at", "is_default", "cache_generation"}}
    resp = management.put(api(account, f"/gateways/{GATEWAY}"), json=body, headers=admin)
    assert resp.status_code == 200, resp.text
    return resp.json()["result"]


def log_records(out: str) -> list[dict[str, Any]]:
    """The `aigw_log` records among captured stdout lines."""
    return [json.loads(line)["aigw_log"] for line in out.splitlines()
            if line.startswith('{"aigw_log"')]
