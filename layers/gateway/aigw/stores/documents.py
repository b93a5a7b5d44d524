"""A typed-prefix document table: the shape of the config table.

Items are `{account (pk), sk = "<KIND>#<id>", doc = JSON string}`. Storing the document as JSON
keeps numbers exact without DynamoDB's Decimal round trip, and lets every kind of config object
(gateways, tokens, provider configs, custom providers, routes) share one small store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from aigw.errors import Conflict, FieldProblem, NotFound, validation_failed
from aigw.stores import aws

#: DynamoDB's item size limit (400 KB), which a document plus its keys must fit in.
MAX_ITEM_BYTES = 400 * 1024


def _too_large(e: ClientError, what: str) -> Exception:
    """DynamoDB's "item size has exceeded the maximum" as a 400 naming the limit; any other
    failure is re-raised as it is."""
    error = e.response.get("Error", {})
    if error.get("Code") == "ValidationException" and "size" in str(error.get("Message", "")):
        return validation_failed([FieldProblem([], f"the {what} is too large to store: a "
                                                   f"stored object is limited to "
                                                   f"{MAX_ITEM_BYTES // 1024} KB")])
    return e


@dataclass
class DocumentTable:
    table_name: str
    client: Any = None

    def _client(self) -> Any:
        return self.client or aws.dynamodb()

    @staticmethod
    def _key(account: str, kind: str, doc_id: str) -> dict[str, Any]:
        return {"account": {"S": account}, "sk": {"S": f"{kind}#{doc_id}"}}

    def get(self, account: str, kind: str, doc_id: str) -> dict[str, Any] | None:
        item = self._client().get_item(TableName=self.table_name,
                                       Key=self._key(account, kind, doc_id)).get("Item")
        return json.loads(item["doc"]["S"]) if item else None

    def list(self, account: str, kind: str, under: str = "") -> list[dict[str, Any]]:
        """Every document of `kind` in `account` (optionally whose id starts with `under`)."""
        prefix = f"{kind}#{under}"
        docs: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "account = :a AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":a": {"S": account}, ":p": {"S": prefix}},
        }
        while True:
            page = self._client().query(**kwargs)
            docs.extend(json.loads(i["doc"]["S"]) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return docs
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def create(self, account: str, kind: str, doc_id: str, doc: dict[str, Any],
               what: str = "object") -> None:
        try:
            self._client().put_item(
                TableName=self.table_name,
                Item={**self._key(account, kind, doc_id), "doc": {"S": json.dumps(doc)}},
                ConditionExpression="attribute_not_exists(sk)")
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"{what} '{doc_id}' already exists") from e
            raise _too_large(e, what) from None

    def replace(self, account: str, kind: str, doc_id: str, doc: dict[str, Any],
                what: str = "object") -> None:
        try:
            self._client().put_item(
                TableName=self.table_name,
                Item={**self._key(account, kind, doc_id), "doc": {"S": json.dumps(doc)}},
                ConditionExpression="attribute_exists(sk)")
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound(f"{what} '{doc_id}' not found") from e
            raise _too_large(e, what) from None

    def delete(self, account: str, kind: str, doc_id: str, what: str = "object") -> dict[str, Any]:
        try:
            old = self._client().delete_item(
                TableName=self.table_name, Key=self._key(account, kind, doc_id),
                ConditionExpression="attribute_exists(sk)", ReturnValues="ALL_OLD")
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound(f"{what} '{doc_id}' not found") from e
            raise
        return json.loads(old["Attributes"]["doc"]["S"])
