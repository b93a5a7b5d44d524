"""The `/tokens` API against moto, and what the tokens it issues may do."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aigw import tokens
from tests.functional.test_management_gateways import BODY as GATEWAY_BODY
from tests.functional.test_management_gateways import assert_envelope_error


def base(account: str) -> str:
    return f"/client/v4/accounts/{account}/ai-gateway"


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def issue(client: TestClient, account: str, headers: dict[str, str], **body: Any) -> Any:
    resp = client.post(f"{base(account)}/tokens", json={"name": "ci", **body}, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["result"]


@pytest.fixture(autouse=True)
def synchronous_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    """`last_used_at` writes happen inline so tests can observe them."""
    monkeypatch.setattr(tokens, "usage", tokens.UsageRecorder(submit=lambda job: job()))


def test_create_shows_the_value_once_and_list_never(management, account, admin_headers,
                                                    caplog):
    with caplog.at_level(logging.DEBUG):
        created = issue(management, account, admin_headers, permissions=["run"])
        assert set(created) == {"id", "name", "value", "prefix", "gateways", "permissions",
                                "created_at"}
        assert created["value"].startswith(created["prefix"]) and created["gateways"] is None
        listed = management.get(f"{base(account)}/tokens", headers=admin_headers)
    assert listed.status_code == 200
    page = listed.json()
    assert page["result_info"]["total_count"] == 1
    item = page["result"][0]
    assert item == {k: created[k] for k in item if k != "last_used_at"} | {"last_used_at": None}
    assert "value" not in item and "hash" not in item
    assert created["value"] not in listed.text and created["value"] not in caplog.text


def test_read_token_can_list_but_not_create(management, account, admin_headers):
    reader = issue(management, account, admin_headers, permissions=["read"])["value"]
    assert management.get(f"{base(account)}/tokens", headers=bearer(reader)).status_code == 200
    assert management.get(f"{base(account)}/gateways", headers=bearer(reader)).status_code == 200
    denied = management.post(f"{base(account)}/tokens", json={"name": "x"},
                             headers=bearer(reader))
    assert_envelope_error(denied, 403, 10000)
    denied = management.post(f"{base(account)}/gateways", json=GATEWAY_BODY,
                             headers=bearer(reader))
    assert_envelope_error(denied, 403, 10000)


def test_edit_token_can_create(management, account, admin_headers):
    editor = issue(management, account, admin_headers, permissions=["edit"])["value"]
    made = management.post(f"{base(account)}/gateways", json=GATEWAY_BODY,
                           headers=bearer(editor))
    assert made.status_code == 200, made.text
    child = issue(management, account, bearer(editor), permissions=["run"])
    assert child["permissions"] == ["run"]


def test_run_token_is_not_a_management_token(management, account, admin_headers):
    runner = issue(management, account, admin_headers, permissions=["run"])["value"]
    assert_envelope_error(management.get(f"{base(account)}/tokens", headers=bearer(runner)),
                          403, 10000)


def test_token_of_account_a_is_rejected_on_account_b(management, account, admin_headers):
    editor = issue(management, account, admin_headers, permissions=["edit", "run"])["value"]
    other = account + "b"
    assert_envelope_error(management.get(f"{base(other)}/tokens", headers=bearer(editor)),
                          401, 10000)
    assert tokens.verify_run_token(other, "default", editor) is False
    assert tokens.verify_run_token(account, "default", editor) is True


def test_revoked_token_stops_working(management, account, admin_headers):
    made = issue(management, account, admin_headers, permissions=["read", "run"])
    value = made["value"]
    assert management.get(f"{base(account)}/tokens", headers=bearer(value)).status_code == 200
    assert tokens.verify_run_token(account, "gw", value) is True
    revoked = management.delete(f"{base(account)}/tokens/{made['id']}", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["result"]["id"] == made["id"]
    assert "value" not in revoked.json()["result"]
    assert_envelope_error(management.get(f"{base(account)}/tokens", headers=bearer(value)),
                          401, 10000)
    assert tokens.verify_run_token(account, "gw", value) is False
    assert_envelope_error(management.delete(f"{base(account)}/tokens/{made['id']}",
                                            headers=admin_headers), 404, 7002)


def test_gateway_scoped_run_token(management, account, admin_headers):
    scoped = issue(management, account, admin_headers, gateways=["prod", "prod"],
                   permissions=["run"])
    assert scoped["gateways"] == ["prod"]
    assert tokens.verify_run_token(account, "prod", scoped["value"]) is True
    assert tokens.verify_run_token(account, "dev", scoped["value"]) is False


def test_use_records_last_used_at(management, account, admin_headers):
    made = issue(management, account, admin_headers, permissions=["read"])
    management.get(f"{base(account)}/gateways", headers=bearer(made["value"]))
    listed = management.get(f"{base(account)}/tokens", headers=admin_headers).json()["result"]
    assert listed[0]["last_used_at"] is not None
    assert listed[0]["last_used_at"] >= made["created_at"]


BAD = [
    ("no name", {"permissions": ["run"]}, ["name"]),
    ("unknown permission", {"name": "x", "permissions": ["admin"]}, ["permissions", 0]),
    ("empty permissions", {"name": "x", "permissions": []}, ["permissions"]),
    ("permissions not a list", {"name": "x", "permissions": "run"}, ["permissions"]),
    ("bad gateway id", {"name": "x", "gateways": ["Bad/Id"]}, ["gateways", 0]),
    ("empty gateway list", {"name": "x", "gateways": []}, ["gateways"]),
    ("scoped read", {"name": "x", "gateways": ["gw"], "permissions": ["run", "read"]}, []),
    ("unknown field", {"name": "x", "value": "chosen-by-client"}, ["value"]),
]


@pytest.mark.parametrize(("case", "body", "path"), BAD, ids=[b[0] for b in BAD])
def test_bad_bodies_are_7001(management, account, admin_headers, case, body, path):
    resp = management.post(f"{base(account)}/tokens", json=body, headers=admin_headers)
    errors = assert_envelope_error(resp, 400, 7001)
    if path:
        assert errors[0]["path"] == path
    assert management.get(f"{base(account)}/tokens",
                          headers=admin_headers).json()["result"] == []


def test_token_routes_need_authentication(management, account):
    assert_envelope_error(management.get(f"{base(account)}/tokens"), 401, 10000)
    assert_envelope_error(management.post(f"{base(account)}/tokens", json={"name": "x"},
                                          headers=bearer("aigw_" + "0" * 32 + "_" + "a" * 43)),
                          401, 10000)
