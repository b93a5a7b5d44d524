"""The ingest function's work: log lines in, stored logs, roll-ups and spans out.

Deployed, CloudWatch Logs delivers the data-plane functions' lines to the ingest function as a
subscription payload (`awslogs.data`: base64 of gzip of JSON `{messageType, logEvents: [{id,
timestamp, message}]}`); locally the same `ingest_lines` runs in-process on each emitted line.

Per batch: lines that are not `{"aigw_log": {...}}` records with an id, a time and a gateway are
counted as malformed and skipped (never fatal); records are grouped by gateway; each group is
stored with `LogStore.insert` (idempotent: a redelivered batch stores nothing twice and adds
nothing twice to counts or roll-ups) after its bodies; `log_management` is enforced per gateway
(`STOP_INSERTING`: records past the limit are dropped and counted; `DELETE_OLDEST`: the oldest
logs are deleted down to the limit). Newly stored records are then handed to
`aigw.otel_export.export(records, gateways)` when that module exists (OpenTelemetry spans).
A DynamoDB failure propagates: Lambda retries the batch, then sends it to the dead-letter queue.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from aigw.config import get_settings
from aigw.logs import LINE_KEY
from aigw.stores.config_store import config_store
from aigw.stores.log_store import LogStore, partition

logger = logging.getLogger("aigw.ingest")
BODY_KEYS = ("request_head", "request_head_encoding", "response_head", "response_head_encoding",
             "request_head_complete", "response_head_complete")
HEAD_ONLY = ("request_head", "request_head_encoding", "response_head", "response_head_encoding")


@dataclass
class IngestStats:
    lines: int = 0
    malformed: int = 0
    unknown_gateway: int = 0
    stored: int = 0
    duplicates: int = 0
    stopped: int = 0
    deleted_oldest: int = 0
    export_failures: int = 0

    def add(self, other: IngestStats) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


def decode_subscription(event: dict[str, Any]) -> list[str]:
    """The messages of a CloudWatch Logs subscription event (control messages have none)."""
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    if data.get("messageType") != "DATA_MESSAGE":
        return []
    return [e.get("message", "") for e in data.get("logEvents", [])]


def parse_line(message: str) -> dict[str, Any] | None:
    """The record of one log line, or None when the line is not a well-formed aigw record."""
    start = message.find('{"' + LINE_KEY + '"')
    if start < 0:
        return None
    try:
        record = json.loads(message[start:]).get(LINE_KEY)
    except (ValueError, AttributeError):
        return None
    if not isinstance(record, dict):
        return None
    ok = (isinstance(record.get("id"), str) and len(record["id"]) == 26
          and isinstance(record.get("created_at"), str)
          and isinstance(record.get("account_id"), str) and record["account_id"]
          and isinstance(record.get("gateway_id"), str) and record["gateway_id"])
    if not ok:
        return None
    try:
        datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
    except ValueError:
        return None
    return record


def split_record(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(document shown by the list/detail API, body heads stored apart)."""
    doc = {k: v for k, v in record.items() if k not in HEAD_ONLY}
    bodies = {k: record[k] for k in BODY_KEYS if record.get(k) is not None}
    if "request_head" not in bodies and "response_head" not in bodies:
        bodies = {}
    return doc, bodies


def expiry(created_at: str, retention_days: int) -> int:
    created = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return int(created.timestamp()) + retention_days * 86_400


def _export(records: list[dict[str, Any]], gateways: dict[tuple[str, str], dict[str, Any]],
            stats: IngestStats) -> None:
    try:
        from aigw import otel_export  # type: ignore[attr-defined]
    except ImportError:
        return
    try:
        otel_export.export(records, gateways)
    except Exception:  # noqa: BLE001 - a failing exporter must not lose stored logs
        stats.export_failures += 1
        logger.exception("OpenTelemetry export failed for %d records", len(records))


def ingest_lines(lines: Iterable[str], store: LogStore | None = None) -> IngestStats:
    store = store or LogStore()
    stats = IngestStats()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for line in lines:
        stats.lines += 1
        record = parse_line(line)
        if record is None:
            stats.malformed += 1
            continue
        groups.setdefault((record["account_id"], record["gateway_id"]), []).append(record)
    retention = get_settings().log_retention_days
    gateways: dict[tuple[str, str], dict[str, Any]] = {}
    stored: list[dict[str, Any]] = []
    for (account_id, gateway_id), records in groups.items():
        gateway = config_store().gateways.cached_get(account_id, gateway_id)
        if gateway is None:
            stats.unknown_gateway += len(records)
            continue
        gateways[(account_id, gateway_id)] = gateway
        stored.extend(_store_group(store, partition(account_id, gateway), gateway, records,
                                   retention, stats))
    if stored:
        _export(stored, gateways, stats)
    return stats


def _store_group(store: LogStore, part: str, gateway: dict[str, Any],
                 records: list[dict[str, Any]], retention: int,
                 stats: IngestStats) -> list[dict[str, Any]]:
    limit = gateway.get("log_management")
    strategy = gateway.get("log_management_strategy") or "STOP_INSERTING"
    by_id = {r["id"]: r for r in records}
    docs, bodies = [], []
    for record in by_id.values():
        doc, heads = split_record(record)
        docs.append(doc)
        if heads:
            bodies.append(store.body_item(part, record["id"], heads,
                                          expiry(record["created_at"], retention)))
    stop_at = int(limit) if limit and strategy == "STOP_INSERTING" else None
    if stop_at is not None and store.count(part) >= stop_at:
        stats.stopped += len(docs)
        return []
    store.put_bodies(bodies)
    result = store.insert(part, docs, lambda d: expiry(d["created_at"], retention),
                          max_count=stop_at)
    stats.stored += len(result.inserted)
    stats.duplicates += result.duplicates
    stats.stopped += result.stopped
    if limit and strategy == "DELETE_OLDEST" and result.inserted:
        excess = store.count(part) - int(limit)
        if excess > 0:
            ids = store.oldest_ids(part, excess)
            store.delete(part, ids)
            stats.deleted_oldest += len(ids)
    return [by_id[d["id"]] for d in result.inserted]


def handle_expiries(event: dict[str, Any], store: LogStore | None = None) -> dict[str, int]:
    """DynamoDB stream records of logs the table's TTL removed: lower each gateway's count.

    The template's event filter passes only TTL removals (`userIdentity` is the DynamoDB service)
    of log items (`pk` starts `L#`); checked again here. Without this the count behind
    `total_count` and `log_management` would keep logs that expired."""
    store = store or LogStore()
    expired: dict[str, int] = {}
    for rec in event.get("Records", []):
        identity = rec.get("userIdentity") or {}
        pk = ((rec.get("dynamodb") or {}).get("Keys") or {}).get("pk", {}).get("S", "")
        if rec.get("eventName") == "REMOVE" and identity.get("type") == "Service" \
                and pk.startswith("L#"):
            expired[pk[2:]] = expired.get(pk[2:], 0) + 1
    for part, n in expired.items():
        store.adjust_count(part, -n)
    return {"expired": sum(expired.values()), "gateways": len(expired)}


def handle_subscription(event: dict[str, Any]) -> dict[str, Any]:
    """Lambda entry: decode, ingest, return the counts (the function logs them)."""
    started = time.perf_counter()
    stats = ingest_lines(decode_subscription(event))
    return {**asdict(stats), "ms": int((time.perf_counter() - started) * 1000)}
