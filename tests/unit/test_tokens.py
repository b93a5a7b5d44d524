"""`aigw.tokens`: value format, hashing, scope checks and the constant-time comparison.

The config collection is an in-memory fake with the methods `aigw.tokens` uses, so these run
without AWS; `tests/functional/test_management_tokens.py` covers the same paths against moto.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from aigw import tokens
from aigw.errors import Conflict, NotFound

VALUE = re.compile(r"^aigw_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$")


class FakeTable:
    def __init__(self, docs: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.docs = docs
        self.writes: list[dict[str, Any]] = []
        self.fail_with: Exception | None = None

    def replace(self, account: str, kind: str, doc_id: str, doc: dict[str, Any],
                what: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if (account, doc_id) not in self.docs:
            raise NotFound(f"{what} '{doc_id}' not found")
        self.docs[(account, doc_id)] = doc
        self.writes.append(doc)


class FakeTokens:
    """The subset of `aigw.stores.config_store.Collection` that tokens use."""

    kind, what = "TOKEN", "token"

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.table = FakeTable(self.docs)
        self.cached_reads = 0

    def create(self, account: str, doc_id: str, doc: dict[str, Any]) -> None:
        if (account, doc_id) in self.docs:
            raise Conflict("exists")
        self.docs[(account, doc_id)] = doc

    def cached_get(self, account: str, doc_id: str) -> dict[str, Any] | None:
        self.cached_reads += 1
        return self.docs.get((account, doc_id))

    def list(self, account: str) -> list[dict[str, Any]]:
        return [d for (a, _), d in self.docs.items() if a == account]

    def delete(self, account: str, doc_id: str) -> dict[str, Any]:
        if (account, doc_id) not in self.docs:
            raise NotFound("missing")
        return self.docs.pop((account, doc_id))


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeTokens:
    fake = FakeTokens()
    monkeypatch.setattr(tokens, "config_store", lambda: SimpleNamespace(tokens=fake))
    # Synchronous bookkeeping so tests can see the writes.
    monkeypatch.setattr(tokens, "usage", tokens.UsageRecorder(submit=lambda job: job()))
    return fake


def make(account: str = "acct", gateways: list[str] | None = None,
         permissions: list[str] | None = None) -> tuple[dict[str, Any], str]:
    return tokens.create_token(account, "ci", gateways, permissions or ["run"])


def test_value_format_prefix_and_stored_hash(store: FakeTokens) -> None:
    doc, value = make()
    assert VALUE.match(value), value
    assert tokens.token_id_of(value) == doc["id"]
    assert doc["prefix"] == value[:12] and len(doc["prefix"]) == 12
    stored = store.docs[("acct", doc["id"])]
    assert stored["hash"] == hashlib.sha256(value.encode()).hexdigest()
    assert value not in json.dumps(stored) and value.split("_", 2)[2] not in json.dumps(stored)
    assert "hash" not in doc and "value" not in doc
    assert tokens.list_tokens("acct") == [doc]


def test_values_are_unique() -> None:
    values = {tokens.new_value()[1] for _ in range(200)}
    assert len(values) == 200


@pytest.mark.parametrize("junk", [
    "", "aigw_", "test-admin-token-0123456789", "aigw_XYZ_abc",
    "aigw_" + "0" * 32, "aigw_" + "0" * 32 + "_short", "aigx_" + "0" * 32 + "_" + "a" * 43,
    "aigw_" + "0" * 32 + "_" + "a" * 43 + "\n", "aigw_" + "0" * 31 + "_" + "a" * 44])
def test_malformed_values_are_not_looked_up(store: FakeTokens, junk: str) -> None:
    assert tokens.token_id_of(junk) is None
    assert tokens.verify_run_token("acct", "gw", junk) is False
    assert tokens.verify_management_token("acct", junk, "read") is None
    assert store.cached_reads == 0


def test_run_token_checks_secret_account_and_permission(store: FakeTokens) -> None:
    doc, value = make()
    assert tokens.verify_run_token("acct", "any-gateway", value) is True
    tampered = value[:-1] + ("A" if value[-1] != "A" else "B")
    assert tokens.verify_run_token("acct", "any-gateway", tampered) is False
    assert tokens.verify_run_token("other", "any-gateway", value) is False
    _, read_only = make(permissions=["read"])
    assert tokens.verify_run_token("acct", "any-gateway", read_only) is False


def test_gateway_scope(store: FakeTokens) -> None:
    _, scoped = make(gateways=["prod", "staging"])
    assert tokens.verify_run_token("acct", "prod", scoped) is True
    assert tokens.verify_run_token("acct", "staging", scoped) is True
    assert tokens.verify_run_token("acct", "dev", scoped) is False
    _, everywhere = make(gateways=None)
    assert tokens.verify_run_token("acct", "dev", everywhere) is True


def test_a_document_moved_to_another_account_is_rejected(store: FakeTokens) -> None:
    doc, value = make("acct")
    store.docs[("other", doc["id"])] = store.docs[("acct", doc["id"])]
    assert tokens.verify_run_token("other", "gw", value) is False


@pytest.mark.parametrize(("perms", "need", "verdict"), [
    (["read"], "read", True), (["read"], "edit", False), (["edit"], "read", True),
    (["edit"], "edit", True), (["run"], "read", False), (["run", "read"], "edit", False)])
def test_management_permissions(store: FakeTokens, perms: list[str], need: str,
                                verdict: bool) -> None:
    _, value = make(permissions=perms)
    assert tokens.verify_management_token("acct", value, need) is verdict
    assert tokens.verify_management_token("other", value, need) is None


def test_revoked_token_stops_working(store: FakeTokens) -> None:
    doc, value = make(permissions=["run", "edit"])
    assert tokens.revoke_token("acct", doc["id"]) == doc
    assert tokens.verify_run_token("acct", "gw", value) is False
    assert tokens.verify_management_token("acct", value, "read") is None
    with pytest.raises(NotFound):
        tokens.revoke_token("acct", doc["id"])
    with pytest.raises(NotFound):
        tokens.revoke_token("acct", "../not-an-id")


def test_hashes_are_compared_with_compare_digest(store: FakeTokens,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    doc, value = make()
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert tokens.verify_run_token("acct", "gw", value) is True
    stored = store.docs[("acct", doc["id"])]["hash"]
    assert calls == [(stored, hashlib.sha256(value.encode()).hexdigest())]


def test_last_used_is_written_at_most_once_per_interval(store: FakeTokens) -> None:
    now = [1000.0]
    jobs: list[Callable[[], None]] = []
    tokens.usage = tokens.UsageRecorder(interval=300, clock=lambda: now[0], submit=jobs.append)
    doc, value = make()
    for _ in range(5):
        assert tokens.verify_run_token("acct", "gw", value)
    assert len(jobs) == 1
    jobs[0]()
    assert store.docs[("acct", doc["id"])]["last_used_at"] is not None
    now[0] += 301
    assert tokens.verify_run_token("acct", "gw", value)
    assert len(jobs) == 2


def test_last_used_failure_is_logged_without_the_value(store: FakeTokens,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    doc, value = make()
    store.table.fail_with = RuntimeError(f"boom {value}")
    with caplog.at_level(logging.WARNING, logger="aigw"):
        assert tokens.verify_run_token("acct", "gw", value) is True
    assert "could not record last use" in caplog.text and doc["id"] in caplog.text
    assert value not in caplog.text


def test_last_used_write_after_revocation_does_not_resurrect(store: FakeTokens) -> None:
    jobs: list[Callable[[], None]] = []
    tokens.usage = tokens.UsageRecorder(submit=jobs.append)
    doc, value = make()
    assert tokens.verify_run_token("acct", "gw", value)
    tokens.revoke_token("acct", doc["id"])
    jobs[0]()
    assert ("acct", doc["id"]) not in store.docs
