"""The logs table: stored request logs, their bodies, per-gateway counts and hourly roll-ups.

One table, string keys `pk`/`sk`. `part` is `{account}#{gateway}#{generation}` where generation is
the gateway's `created_at`: a gateway deleted and created again under the same id starts empty
even while its old items are still being removed (or expiring).

| item    | pk         | sk                          | attributes                             |
|---------|------------|-----------------------------|----------------------------------------|
| log     | `L#{part}` | log id (ULID: time-sorted)  | `doc` (JSON), index keys, `expires_at` |
| bodies  | `B#{part}` | log id                      | request/response heads, `expires_at`   |
| count   | `C#{part}` | `n`                         | `n`: logs stored (log_management)      |
| roll-up | `A#{part}` | `{hour}#{provider}#{model}` | sums and maxima (`aigw.analytics`)     |

Indexes (partition `{part}#{value}`, sort `sk` = log id, projection ALL): `ByProvider` (gp),
`ByModel` (gm), `BySuccess` (gs), `ByEvent` (ge). Log items stay small (~1 KB: bodies live in
their own items), so a page of 20 costs about 2.5 read units however large the bodies were.

Writes are idempotent: a log is put with `attribute_not_exists`, in one transaction with the
count and roll-up increments it causes, so a redelivered batch adds nothing (the transaction is
cancelled for the duplicates, which are then left out). Bodies are put first, by key: writing the
same body twice changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from aigw import analytics
from aigw.config import get_settings
from aigw.stores import aws

INDEXES = {"provider": ("ByProvider", "gp"), "model": ("ByModel", "gm"),
           "success": ("BySuccess", "gs"), "event_id": ("ByEvent", "ge")}
MAX_TRANSACT = 100
ROLLUP_EXTRA_SECONDS = 93 * 86_400
BODY_FIELDS = ("request_head", "request_head_encoding", "response_head", "response_head_encoding")


def partition(account_id: str, gateway: dict[str, Any]) -> str:
    return f"{account_id}#{gateway['id']}#{gateway.get('created_at', '')}"


def _n(value: float) -> dict[str, str]:
    return {"N": format(Decimal(str(value)), "f")}


def _index_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass
class InsertResult:
    inserted: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    stopped: int = 0


class LogStore:
    """All reads and writes of the logs table (`client` injectable, as in Powertools)."""

    def __init__(self, table_name: str | None = None, client: Any = None,
                 transactional: bool = True) -> None:
        """`transactional=False` is for local mode only (see `_apply_serially`)."""
        self.table = table_name or get_settings().logs_table
        self._client_override = client
        self.transactional = transactional

    @property
    def client(self) -> Any:
        return self._client_override or aws.dynamodb()

    # ------------------------------------------------------------ items

    def log_item(self, part: str, doc: dict[str, Any], expires_at: int) -> dict[str, Any]:
        item: dict[str, Any] = {"pk": {"S": f"L#{part}"}, "sk": {"S": doc["id"]},
                                "doc": {"S": json.dumps(doc, separators=(",", ":"))},
                                "expires_at": {"N": str(expires_at)}}
        for key, (_, attr) in INDEXES.items():
            value = doc.get(key)
            if value is not None and value != "":
                item[attr] = {"S": f"{part}#{_index_value(value)}"}
        return item

    def body_item(self, part: str, log_id: str, bodies: dict[str, Any],
                  expires_at: int) -> dict[str, Any]:
        return {"pk": {"S": f"B#{part}"}, "sk": {"S": log_id},
                "bodies": {"S": json.dumps(bodies, separators=(",", ":"), ensure_ascii=False)},
                "expires_at": {"N": str(expires_at)}}

    # ------------------------------------------------------------ writes

    def put_bodies(self, items: Sequence[dict[str, Any]]) -> None:
        """Batch-put body items (idempotent by key), retrying what DynamoDB leaves unprocessed."""
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]
            self._batch_write(requests)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self.table: requests}
        for attempt in range(8):
            if not pending or not pending.get(self.table):
                return
            out = self.client.batch_write_item(RequestItems=pending)
            pending = out.get("UnprocessedItems") or {}
            if pending:
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
        if pending:
            raise RuntimeError("DynamoDB left items unprocessed after 8 attempts")

    def count(self, part: str) -> int:
        item = self.client.get_item(TableName=self.table,
                                    Key={"pk": {"S": f"C#{part}"}, "sk": {"S": "n"}}).get("Item")
        return int(item["n"]["N"]) if item and "n" in item else 0

    def insert(self, part: str, docs: list[dict[str, Any]],
               expires_at: Callable[[dict[str, Any]], int],
               max_count: int | None = None) -> InsertResult:
        """Put new logs with their count and roll-up increments, exactly once each.

        `expires_at(doc)` is the TTL (epoch seconds); `max_count` (STOP_INSERTING): logs beyond
        that many stored are dropped (`stopped`).
        """
        result = InsertResult()
        todo = sorted(docs, key=lambda d: d["id"])
        while todo:
            chunk = self._chunk(todo)
            room = None
            if max_count is not None:
                room = max_count - self.count(part)
                if room <= 0:
                    result.stopped += len(todo)
                    return result
                chunk = chunk[:room]
            outcome = self._transact(part, chunk, expires_at, max_count)
            if outcome == "ok":
                result.inserted.extend(chunk)
                self._raise_maxima(part, chunk)
                todo = todo[len(chunk):]
            elif outcome == "conflict":
                time.sleep(0.05)
            elif outcome == "full":
                continue  # the count moved under us: recompute the room
            else:
                existing = set(outcome)
                result.duplicates += len(existing)
                todo = [d for d in todo if d["id"] not in existing]
        return result

    @staticmethod
    def _chunk(todo: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The longest prefix whose puts + distinct roll-up cells + count fit one transaction."""
        cells: set[tuple[str, str, str]] = set()
        n = 0
        for doc in todo:
            cells.add(analytics.cell_key(doc))
            if n + 1 + len(cells) + 1 > MAX_TRANSACT:
                break
            n += 1
        return todo[:n]

    def _transact(self, part: str, chunk: list[dict[str, Any]],
                  expires_at: Callable[[dict[str, Any]], int],
                  max_count: int | None) -> str | list[str]:
        actions: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table, "Item": self.log_item(part, d, expires_at(d)),
                     "ConditionExpression": "attribute_not_exists(pk)"}} for d in chunk]
        count_update: dict[str, Any] = {
            "TableName": self.table, "Key": {"pk": {"S": f"C#{part}"}, "sk": {"S": "n"}},
            "UpdateExpression": "ADD n :k", "ExpressionAttributeValues": {":k": _n(len(chunk))}}
        if max_count is not None:
            count_update["ConditionExpression"] = "attribute_not_exists(n) OR n <= :max"
            count_update["ExpressionAttributeValues"][":max"] = _n(max_count - len(chunk))
        actions.append({"Update": count_update})
        for (hour, provider, model), sums in analytics.add_up(chunk).items():
            names = {f"#{i}": name for i, name in enumerate(sums)}
            values = {f":{i}": _n(value) for i, value in enumerate(sums.values())}
            # A roll-up outlives the logs it counts by the analytics range (93 days).
            values[":exp"] = _n(max(expires_at(d) for d in chunk
                                    if analytics.cell_key(d) == (hour, provider, model))
                                + ROLLUP_EXTRA_SECONDS)
            actions.append({"Update": {
                "TableName": self.table,
                "Key": {"pk": {"S": f"A#{part}"}, "sk": {"S": f"{hour}#{provider}#{model}"}},
                "UpdateExpression": "ADD " + ", ".join(f"#{i} :{i}" for i in range(len(sums)))
                                    + " SET expires_at = :exp",
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}})
        if not self.transactional:
            return self._apply_serially(actions, chunk)
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as e:
            if e.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons") or []]
            duplicates = [chunk[i]["id"] for i, code in enumerate(reasons[:len(chunk)])
                          if code == "ConditionalCheckFailed"]
            if duplicates:
                return duplicates
            if len(reasons) > len(chunk) and reasons[len(chunk)] == "ConditionalCheckFailed":
                return "full"
            if "TransactionConflict" in reasons or not reasons:
                return "conflict"
            raise
        return "ok"

    def _apply_serially(self, actions: list[dict[str, Any]],
                        chunk: list[dict[str, Any]]) -> str | list[str]:
        """The transaction's effect for a single writer: duplicates found first, then each action.

        Local mode only. Moto copies every table once per action of a transaction, so a
        transaction costs time in proportion to the whole logs table and `make dev` would slow
        down as logs pile up; its one in-process ingest thread is the only writer of log items,
        so checking first and then writing gives the same result there."""
        keys = [a["Put"]["Item"] for a in actions[:len(chunk)]]
        found: set[str] = set()
        for start in range(0, len(keys), 100):
            batch = [{"pk": k["pk"], "sk": k["sk"]} for k in keys[start:start + 100]]
            got = self.client.batch_get_item(RequestItems={self.table: {
                "Keys": batch, "ProjectionExpression": "sk"}})
            found.update(i["sk"]["S"] for i in got["Responses"].get(self.table, []))
        if found:
            return [d["id"] for d in chunk if d["id"] in found]
        # The items, then the count (its STOP_INSERTING condition is the only one left that can
        # fail; then the items are taken back): a reader that sees the count sees the items.
        n = len(chunk)
        for action in actions[:n]:
            self.client.put_item(**action["Put"])
        try:
            self.client.update_item(**actions[n]["Update"])
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                for action in actions[:n]:
                    item = action["Put"]["Item"]
                    self.client.delete_item(TableName=action["Put"]["TableName"],
                                            Key={"pk": item["pk"], "sk": item["sk"]})
                return "full"
            raise
        for action in actions[n + 1:]:
            if "Put" in action:
                self.client.put_item(**action["Put"])
            else:
                self.client.update_item(**action["Update"])
        return "ok"

    def _raise_maxima(self, part: str, docs: list[dict[str, Any]]) -> None:
        """Latency / TTFB maxima per cell: a conditional SET, idempotent by nature."""
        best: dict[tuple[str, str, str], dict[str, float]] = {}
        for doc in docs:
            cell = best.setdefault(analytics.cell_key(doc), {})
            for name, value in analytics.maxima(doc).items():
                cell[name] = max(cell.get(name, 0), value)
        for (hour, provider, model), maxima in best.items():
            for name, value in maxima.items():
                try:
                    self.client.update_item(
                        TableName=self.table,
                        Key={"pk": {"S": f"A#{part}"}, "sk": {"S": f"{hour}#{provider}#{model}"}},
                        UpdateExpression="SET #m = :v",
                        ConditionExpression="attribute_not_exists(#m) OR #m < :v",
                        ExpressionAttributeNames={"#m": name},
                        ExpressionAttributeValues={":v": _n(value)})
                except ClientError as e:
                    if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise

    # ------------------------------------------------------------ reads

    def get(self, part: str, log_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table,
                                    Key={"pk": {"S": f"L#{part}"}, "sk": {"S": log_id}}).get("Item")
        return json.loads(item["doc"]["S"]) if item else None

    def bodies(self, part: str, log_id: str) -> dict[str, Any]:
        item = self.client.get_item(TableName=self.table,
                                    Key={"pk": {"S": f"B#{part}"}, "sk": {"S": log_id}}).get("Item")
        return json.loads(item["bodies"]["S"]) if item else {}

    def scan_range(self, part: str, index_key: str | None, index_value: Any, low: str, high: str,
                   descending: bool, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Log documents with `low <= id <= high`, in id order, from the base table or an index."""
        if index_key is None:
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi",
                "ExpressionAttributeValues": {":p": {"S": f"L#{part}"}}}
        else:
            name, attr = INDEXES[index_key]
            kwargs = {"IndexName": name,
                      "KeyConditionExpression": f"{attr} = :p AND sk BETWEEN :lo AND :hi",
                      "ExpressionAttributeValues": {
                          ":p": {"S": f"{part}#{_index_value(index_value)}"}}}
        kwargs["ExpressionAttributeValues"].update({":lo": {"S": low}, ":hi": {"S": high}})
        kwargs.update(TableName=self.table, ScanIndexForward=not descending, Limit=page_size)
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                yield json.loads(item["doc"]["S"])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def rollups(self, part: str, low_hour: str, high_hour: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {":p": {"S": f"A#{part}"}, ":lo": {"S": low_hour},
                                          ":hi": {"S": high_hour + "~"}}}
        cells = []
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                hour, provider, model = item["sk"]["S"].split("#", 2)
                cell: dict[str, Any] = {"hour": hour, "provider": provider, "model": model}
                for name in (*analytics.SUMS, *analytics.MAXES):
                    if name in item:
                        raw = Decimal(item[name]["N"])
                        cell[name] = float(raw) if name == "cost" else int(raw)
                cells.append(cell)
            if "LastEvaluatedKey" not in page:
                return cells
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # ------------------------------------------------------------ updates and deletes

    def replace_doc(self, part: str, doc: dict[str, Any]) -> bool:
        """Overwrite an existing log's document (PATCH); False when it no longer exists."""
        try:
            self.client.update_item(
                TableName=self.table, Key={"pk": {"S": f"L#{part}"}, "sk": {"S": doc["id"]}},
                UpdateExpression="SET #d = :d", ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#d": "doc"},
                ExpressionAttributeValues={":d": {"S": json.dumps(doc, separators=(",", ":"))}})
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete(self, part: str, log_ids: Sequence[str]) -> None:
        """Delete logs and their bodies, and lower the stored count by as many."""
        requests = [{"DeleteRequest": {"Key": {"pk": {"S": f"{kind}#{part}"}, "sk": {"S": i}}}}
                    for i in log_ids for kind in ("L", "B")]
        for start in range(0, len(requests), 24):
            self._batch_write(requests[start:start + 24])
        if log_ids:
            self.adjust_count(part, -len(log_ids))

    def adjust_count(self, part: str, delta: int) -> None:
        self.client.update_item(
            TableName=self.table, Key={"pk": {"S": f"C#{part}"}, "sk": {"S": "n"}},
            UpdateExpression="ADD n :k", ExpressionAttributeValues={":k": _n(delta)})

    def oldest_ids(self, part: str, k: int) -> list[str]:
        out = self.client.query(
            TableName=self.table, KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": f"L#{part}"}}, ScanIndexForward=True,
            Limit=k, ProjectionExpression="sk")
        return [i["sk"]["S"] for i in out.get("Items", [])]

    def delete_partition(self, part: str, budget: int = 20_000) -> int:
        """Delete a gateway's items (all four kinds), at most `budget`; the rest expire by TTL.

        Returns how many were deleted. Callers make the partition unreachable first (a new
        gateway generation), so what is left over is never shown."""
        deleted = 0
        for kind in ("L", "B", "A", "C"):
            kwargs: dict[str, Any] = {
                "TableName": self.table, "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": f"{kind}#{part}"}},
                "ProjectionExpression": "pk, sk"}
            while deleted < budget:
                page = self.client.query(**kwargs)
                keys = [{"DeleteRequest": {"Key": i}} for i in page.get("Items", [])]
                for start in range(0, len(keys), 25):
                    self._batch_write(keys[start:start + 25])
                deleted += len(keys)
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return deleted
