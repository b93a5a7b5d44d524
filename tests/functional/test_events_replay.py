"""Replays `events/*.json` through the management function's Mangum handler, against moto.

The events are what API Gateway (REST, payload v1, proxy integration) hands the function, so
this is the path `sam local invoke -e events/<name>.json` takes, minus Docker. Each case starts
from an empty account and replays the events it depends on first (create before get/put/...),
so any one case can run alone.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aigw_local.functions import load_function_module
from aigw_local.template import REPO_ROOT, load_template
from tests.conftest import ADMIN_TOKEN

EVENTS_DIR = REPO_ROOT / "events"
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
GATEWAY = "my-gateway"
#: Data-plane events: replayed in test_events_replay_data_plane.py (they need a fake upstream).
DATA_PLANE_EVENTS = {"inference-openai-chat-completions", "inference-universal",
                    "compat-chat-completions"}


def load_event(name: str) -> dict[str, Any]:
    """The one loader for event files, by name without `.json`."""
    return json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def event_body(event: dict[str, Any]) -> Any:
    raw = event["body"]
    if event["isBase64Encoded"]:
        raw = base64.b64decode(raw)
    return json.loads(raw)


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str = "aigw-ManagementFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:aigw-ManagementFunction")
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "6f1c2b9e-3d4a-4b5c-9e8f-0a1b2c3d4e5f"
    log_group_name: str = "/aws/lambda/aigw-ManagementFunction"
    log_stream_name: str = "2025/11/24/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass(frozen=True)
class Replayed:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def replay(name: str, function: str = "management") -> Replayed:
    handler = load_function_module(function).handler
    out = handler(load_event(name), FakeLambdaContext())
    raw = out["body"]
    if out["isBase64Encoded"]:
        raw = base64.b64decode(raw)
    headers = {k.lower(): v for k, v in out["headers"].items()}
    return Replayed(out["statusCode"], headers, json.loads(raw))


def ok_result(r: Replayed) -> Any:
    """Assert a 200 in the Cloudflare success envelope and return its `result`."""
    assert r.status == 200, r.body
    assert r.headers["content-type"].startswith("application/json")
    assert r.body["success"] is True and r.body["errors"] == [] and r.body["messages"] == []
    return r.body["result"]


@pytest.fixture
def empty_account(local_stack: object) -> None:
    """Delete whatever an earlier case (or run) left in the events' fixed account."""
    from aigw.stores.config_store import config_store
    from aigw.stores.route_store import route_store

    gateways = config_store().gateways
    for gw in gateways.list(ACCOUNT):
        gateways.delete(ACCOUNT, gw["id"])
        route_store().delete_gateway_routes(ACCOUNT, gw["id"])


def check_create(r: Replayed) -> None:
    sent = event_body(load_event("management-gateways-create"))
    gw = ok_result(r)
    assert {k: gw[k] for k in sent} == sent
    assert gw["created_at"] == gw["modified_at"] and gw["is_default"] is False


def check_list(r: Replayed) -> None:
    assert [g["id"] for g in ok_result(r)] == [GATEWAY]
    assert r.body["result_info"] == {"page": 1, "per_page": 20, "count": 1, "total_count": 1}


def check_get(r: Replayed) -> None:
    gw = ok_result(r)
    assert gw["id"] == GATEWAY and gw["cache_ttl"] == 300 and gw["retry_max_attempts"] == 3


def check_url(r: Replayed) -> None:
    # Built from the request's own base: execute-api host plus the stage.
    assert ok_result(r) == ("https://k7x2p9q4rd.execute-api.us-east-1.amazonaws.com/v0"
                            f"/v1/{ACCOUNT}/{GATEWAY}/openai")


def check_put(r: Replayed) -> None:
    sent = event_body(load_event("management-gateways-put"))
    gw = ok_result(r)
    assert {k: gw[k] for k in sent} == sent
    # Full replace: optionals the PUT omits fall back to their defaults.
    assert gw["retry_max_attempts"] == 1 and gw["rate_limiting_technique"] == "fixed"
    assert gw["created_at"] < gw["modified_at"]


def check_route_create(r: Replayed) -> None:
    """A dynamic route: version 1 created and deployed (`sam local invoke -e` shows the same)."""
    sent = event_body(load_event("management-routes-create"))
    route = ok_result(r)
    assert route["name"] == sent["name"] and route["elements"] == sent["elements"]
    assert route["gateway_id"] == GATEWAY and route["version"]["active"] == "true"
    assert route["deployment"]["version_id"] == route["version"]["version_id"]


def check_delete(r: Replayed) -> None:
    assert ok_result(r)["id"] == GATEWAY
    gone = replay("management-gateways-get")
    assert gone.status == 404 and gone.body["errors"][0]["code"] == 7002


#: (event, events replayed first, check of its answer), in the order a user would send them.
CASES: list[tuple[str, list[str], Callable[[Replayed], None]]] = [
    ("management-gateways-create", [], check_create),
    ("management-gateways-list", ["management-gateways-create"], check_list),
    ("management-gateways-get", ["management-gateways-create"], check_get),
    ("management-gateways-url", ["management-gateways-create"], check_url),
    ("management-gateways-put", ["management-gateways-create"], check_put),
    ("management-gateways-delete", ["management-gateways-create"], check_delete),
    ("management-routes-create", ["management-gateways-create"], check_route_create),
]


@pytest.mark.parametrize(("name", "before", "check"), CASES, ids=[c[0] for c in CASES])
def test_management_event_replays(empty_account: None, name: str, before: list[str],
                                  check: Callable[[Replayed], None]) -> None:
    for earlier in before:
        ok_result(replay(earlier))
    check(replay(name))


def test_replayed_create_is_rejected_as_duplicate(empty_account: None) -> None:
    ok_result(replay("management-gateways-create"))
    again = replay("management-gateways-create")
    assert again.status == 409 and again.body["errors"][0]["code"] == 7003


def test_every_event_file_is_replayed_or_waiting() -> None:
    on_disk = {p.stem for p in EVENTS_DIR.glob("*.json")}
    assert on_disk == {c[0] for c in CASES} | DATA_PLANE_EVENTS


def _api_routes() -> set[tuple[str, str]]:
    routes = set()
    for res in load_template()["Resources"].values():
        for ev in (res.get("Properties", {}).get("Events") or {}).values():
            if ev.get("Type") == "Api":
                routes.add((ev["Properties"]["Path"], ev["Properties"]["Method"].upper()))
    return routes


@pytest.mark.parametrize("path", sorted(EVENTS_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_event_matches_a_template_route(path: Path) -> None:
    event = load_event(path.stem)
    routes = _api_routes()
    assert {(event["resource"], event["httpMethod"]), (event["resource"], "ANY")} & routes
    params = event["pathParameters"]
    assert re.sub(r"\{(\w+)\+?\}", lambda m: params[m.group(1)], event["resource"]) == event["path"]
    context = event["requestContext"]
    assert context["resourcePath"] == event["resource"]
    assert context["httpMethod"] == event["httpMethod"]
    assert context["path"] == f"/{context['stage']}{event['path']}"
    assert {k: [v] for k, v in event["headers"].items()} == event["multiValueHeaders"]
    # The API's BinaryMediaTypes is */*: API Gateway base64-encodes every body it passes on.
    assert event["isBase64Encoded"] is (event["body"] is not None)


def test_management_events_carry_the_test_admin_token() -> None:
    for name, _, _ in CASES:
        assert load_event(name)["headers"]["Authorization"] == f"Bearer {ADMIN_TOKEN}"
