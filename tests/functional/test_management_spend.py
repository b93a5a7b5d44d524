"""`GET /gateways/{gw}/spend`: each spend rule's current-window total, from the counters that
admission charges (aigw extension, shown by the console's Limits page)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from aigw import limits

RULES = [
    {"id": "a1b2c3d4", "limit": 5, "window": 3600, "technique": "fixed",
     "provider": {"mode": "filter", "values": ["openai"]}},
    {"id": "0badf00d", "limit": 1, "window": 86400},
    {"id": "feedbeef", "limit": 2, "window": 60, "metadata": {"team": {"mode": "partition"}}},
]


def make_gateway(management: TestClient, account: str, headers: dict[str, str]) -> None:
    resp = management.post(f"/client/v4/accounts/{account}/ai-gateway/gateways", headers=headers,
                           json={"id": "spendy", "cache_invalidate_on_update": False,
                                 "cache_ttl": 0, "collect_logs": True,
                                 "rate_limiting_interval": 0, "rate_limiting_limit": 0,
                                 "spend_limits": {"enabled": True, "rules": RULES}})
    assert resp.status_code == 200, resp.text


def spend(management: TestClient, account: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = management.get(f"/client/v4/accounts/{account}/ai-gateway/gateways/spendy/spend",
                          headers=headers)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["result"])


def test_spent_is_what_admission_charged_in_the_current_window(
        management: TestClient, account: str, admin_headers: dict[str, str]) -> None:
    make_gateway(management, account, admin_headers)
    before = spend(management, account, admin_headers)
    assert [r["rule_id"] for r in before] == ["a1b2c3d4", "0badf00d", "feedbeef"]
    assert [r["spent"] for r in before] == [0, 0, None]
    assert before[2]["partitioned"] is True
    charged = [limits.spend_window(account, "spendy", RULES[0]),
               limits.spend_window(account, "spendy", {**RULES[1], "technique": "sliding"})]
    limits.charge_spend(charged, 0.0125)
    limits.charge_spend(charged[:1], 0.5)
    after = {r["rule_id"]: r for r in spend(management, account, admin_headers)}
    assert after["a1b2c3d4"]["spent"] == 0.5125
    assert after["0badf00d"]["spent"] == 0.0125
    assert after["a1b2c3d4"]["window_start"].endswith(":00:00Z")  # fixed: clock-aligned hour
    assert after["a1b2c3d4"]["limit"] == 5 and after["a1b2c3d4"]["technique"] == "fixed"


def test_spend_needs_read_and_a_known_gateway(management: TestClient, account: str,
                                              admin_headers: dict[str, str]) -> None:
    url = f"/client/v4/accounts/{account}/ai-gateway/gateways/spendy/spend"
    assert management.get(url).status_code == 401
    assert management.get(url, headers=admin_headers).status_code == 404
