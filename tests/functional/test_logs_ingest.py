"""The ingest function against moto: subscription payloads in, stored logs, counts and roll-ups."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from fastapi.testclient import TestClient

from aigw.ingest import decode_subscription, handle_subscription, ingest_lines
from aigw.stores.config_store import config_store
from aigw.stores.log_store import LogStore, partition
from tests.functional.inference_support import api, make_gateway
from tests.functional.logs_support import T0, lines, minutes, record


def subscription_event(messages: list[str]) -> dict[str, Any]:
    """What CloudWatch Logs hands a subscribed function (base64 of gzip of JSON)."""
    payload = {"messageType": "DATA_MESSAGE", "owner": "123456789012",
               "logGroup": "/aws/lambda/aigw-inference", "logStream": "2026/11/01/[$LATEST]x",
               "subscriptionFilters": ["aigw"],
               "logEvents": [{"id": str(i), "timestamp": 0, "message": m}
                             for i, m in enumerate(messages)]}
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode()))
                        .decode()}}


def table_items(account: str) -> list[dict[str, Any]]:
    store = LogStore()
    items = store.client.scan(TableName=store.table, FilterExpression="contains(pk, :a)",
                              ExpressionAttributeValues={":a": {"S": account}})["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def logs_of(management: TestClient, account: str, admin: dict[str, str],
            **params: Any) -> dict[str, Any]:
    resp = management.get(api(account, "/gateways/gw/logs"), params={"per_page": 50, **params},
                          headers=admin)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_redelivered_batch_changes_nothing(management: TestClient, account: str,
                                           admin_headers: dict[str, str]) -> None:
    make_gateway(management, account, admin_headers)
    batch = lines(*(record(account, T0 + minutes(i), i, provider="openai", model="gpt-5-mini",
                           cost=0.001, tokens_in=10, tokens_out=5, duration=40 + i)
                    for i in range(30)))
    event = subscription_event(batch)
    first = handle_subscription(event)
    assert first["stored"] == 30 and first["duplicates"] == 0
    before = table_items(account)
    again = handle_subscription(event)
    assert again["stored"] == 0 and again["duplicates"] == 30
    assert table_items(account) == before
    # An overlapping batch stores only what is new.
    extra = lines(record(account, T0 + minutes(31), 99, provider="openai", model="gpt-5-mini"))
    assert ingest_lines(batch[:5] + extra).stored == 1
    body = logs_of(management, account, admin_headers)
    assert body["result_info"]["total_count"] == 31


def test_malformed_lines_are_counted_and_skipped(management: TestClient, account: str,
                                                 admin_headers: dict[str, str]) -> None:
    make_gateway(management, account, admin_headers)
    good = lines(record(account, T0, 1, provider="openai", model="m"))
    bad = ["not json at all", '{"aigw_log": "a string"}', '{"aigw_log": {"id": "short"}}',
           '{"aigw_log": {"id": "01M6B8TE800000000000000000", "created_at": "yesterday", '
           '"account_id": "a", "gateway_id": "gw"}}', good[0][:40], "START RequestId: x"]
    stats = ingest_lines(bad + good)
    assert stats.malformed == len(bad) and stats.stored == 1 and stats.lines == len(bad) + 1


def test_control_messages_carry_no_lines() -> None:
    event = subscription_event([])
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    data["messageType"] = "CONTROL_MESSAGE"
    event["awslogs"]["data"] = base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()
    assert decode_subscription(event) == []


def test_records_of_unknown_gateways_are_skipped(account: str, local_stack: object) -> None:
    stats = ingest_lines(lines(record(account, T0, 1, gateway="nope")))
    assert stats.unknown_gateway == 1 and stats.stored == 0


def limited_gateway(management: TestClient, account: str, admin: dict[str, str],
                    strategy: str) -> None:
    make_gateway(management, account, admin, log_management=10_000,
                 log_management_strategy=strategy)


def set_count(account: str, n: int) -> str:
    """Overwrite the gateway's stored-log count; returns its partition."""
    gateway = config_store().gateways.get(account, "gw")
    assert gateway is not None
    part = partition(account, gateway)
    store = LogStore()
    store.client.put_item(TableName=store.table, Item={"pk": {"S": f"C#{part}"},
                                                       "sk": {"S": "n"}, "n": {"N": str(n)}})
    return part


def test_stop_inserting_keeps_the_first_logs(management: TestClient, account: str,
                                             admin_headers: dict[str, str]) -> None:
    limited_gateway(management, account, admin_headers, "STOP_INSERTING")
    # Pretend 9,998 logs are stored already (writing them would take minutes on moto).
    set_count(account, 9998)
    stats = ingest_lines(lines(*(record(account, T0 + minutes(i), i) for i in range(5))))
    assert stats.stored == 2 and stats.stopped == 3
    ids = [i["id"] for i in logs_of(management, account, admin_headers,
                                    order_by_direction="asc")["result"]]
    assert len(ids) == 2 and ids[0].endswith("0000") and ids[1].endswith("0001")
    assert ingest_lines(lines(record(account, T0 + minutes(9), 9))).stopped == 1


def test_delete_oldest_keeps_the_newest(management: TestClient, account: str,
                                        admin_headers: dict[str, str]) -> None:
    limited_gateway(management, account, admin_headers, "DELETE_OLDEST")
    ingest_lines(lines(*(record(account, T0 + minutes(i), i) for i in range(3))))
    # Pretend the gateway is full (3 real logs, the rest counted only).
    part = set_count(account, 10_000)
    store = LogStore()
    stats = ingest_lines(lines(*(record(account, T0 + minutes(10 + i), 10 + i)
                                 for i in range(2))))
    assert stats.stored == 2 and stats.deleted_oldest == 2 and store.count(part) == 10_000
    ids = [i["id"][-4:] for i in logs_of(management, account, admin_headers,
                                         order_by_direction="asc")["result"]]
    assert ids == ["0002", "0010", "0011"]


def test_analytics_rolls_up_per_hour_provider_model(management: TestClient, account: str,
                                                    admin_headers: dict[str, str]) -> None:
    make_gateway(management, account, admin_headers)
    recs = [
        record(account, T0 + minutes(1), 1, provider="openai", model="gpt-5-mini", cost=0.5,
               tokens_in=100, tokens_out=10, duration=100, time_to_first_byte=20),
        record(account, T0 + minutes(2), 2, provider="openai", model="gpt-5-mini", cost=0.25,
               tokens_in=50, tokens_out=5, duration=300, time_to_first_byte=40, cached=True),
        record(account, T0 + minutes(3), 3, provider="anthropic", model="claude", success=False,
               status_code=500, duration=50),
        record(account, T0 + minutes(70), 4, provider="openai", model="gpt-5", cost=1.0,
               tokens_in=1, tokens_out=1, duration=10, time_to_first_byte=5),
    ]
    batch = lines(*recs)
    ingest_lines(batch)
    ingest_lines(batch)  # redelivered: the roll-ups must not double
    window = {"start": T0.isoformat(), "end": (T0 + minutes(119)).isoformat()}

    def rows(by: str) -> list[dict[str, Any]]:
        resp = management.get(api(account, "/gateways/gw/analytics"),
                              params={**window, "group_by": by}, headers=admin_headers)
        assert resp.status_code == 200, resp.text
        return list(resp.json()["result"]["rows"])

    by_provider = {r["provider"]: r for r in rows("provider")}
    openai = by_provider["openai"]
    assert openai["requests"] == 3 and openai["errors"] == 0 and openai["cache_hits"] == 1
    assert openai["tokens_in"] == 151 and openai["tokens_out"] == 16
    assert openai["cost"] == 1.75 and openai["latency_sum"] == 410
    assert openai["latency_max"] == 300 and openai["ttfb_max"] == 40
    assert openai["ttfb_avg"] == round(65 / 3, 3)
    assert by_provider["anthropic"]["errors"] == 1 and by_provider["anthropic"]["cost"] == 0
    by_model = {r["model"]: r["requests"] for r in rows("model")}
    assert by_model == {"gpt-5-mini": 2, "claude": 1, "gpt-5": 1}
    by_hour = rows("hour")
    assert [(r["hour"], r["requests"]) for r in by_hour] == [
        ("2026-11-01T10:00:00Z", 3), ("2026-11-01T11:00:00Z", 1)]
    # Roll-ups expire too, 93 days after the newest log they count.
    cells = [i for i in table_items(account) if i["pk"]["S"].startswith("A#")]
    newest = max(int(i["expires_at"]["N"]) for i in table_items(account)
                 if i["pk"]["S"].startswith("L#"))
    assert len(cells) == 3 and max(int(c["expires_at"]["N"]) for c in cells) == \
        newest + 93 * 86_400
    bad = management.get(api(account, "/gateways/gw/analytics"), params={"group_by": "day"},
                         headers=admin_headers)
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == 7001


def test_local_serial_store_is_idempotent_and_stops_inserting(
        management: TestClient, account: str, admin_headers: dict[str, str]) -> None:
    """Local mode's store (no transactions, see LogStore._apply_serially) behaves the same."""
    limited_gateway(management, account, admin_headers, "STOP_INSERTING")
    serial = LogStore(transactional=False)
    batch = lines(*(record(account, T0 + minutes(i), i, provider="openai", model="m",
                           cost=0.5) for i in range(4)))
    assert ingest_lines(batch, serial).stored == 4
    before = table_items(account)
    again = ingest_lines(batch, serial)
    assert (again.stored, again.duplicates) == (0, 4) and table_items(account) == before
    set_count(account, 9_999)
    more = ingest_lines(lines(*(record(account, T0 + minutes(10 + i), 10 + i)
                                for i in range(3))), serial)
    assert (more.stored, more.stopped) == (1, 2)
    cells = [i for i in table_items(account) if i["pk"]["S"].startswith("A#")]
    assert sum(int(c["requests"]["N"]) for c in cells) == 5
