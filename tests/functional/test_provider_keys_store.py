"""`aigw.stores.provider_keys` against moto's Secrets Manager and DynamoDB (real protocols)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from aigw.config import get_settings
from aigw.errors import Conflict, GatewayError, NotFound
from aigw.management.redaction import secret_preview
from aigw.stores import provider_keys as pk

GW = "gw"


def sm() -> Any:
    return boto3.client("secretsmanager", region_name=get_settings().region)


def create(account: str, secret: str, provider: str = "openai", alias: str = "default",
           default_config: bool = False) -> dict[str, Any]:
    return pk.create_config(account, GW, {"provider_slug": provider, "alias": alias,
                                          "default_config": default_config,
                                          "secret_preview": secret_preview(secret)}, secret)


@pytest.fixture
def key_cache_seconds(local_stack: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A one-second key cache, so a test can wait it out."""
    monkeypatch.setenv("AIGW_KEY_CACHE_SECONDS", "1")
    get_settings.cache_clear()
    yield get_settings().key_cache_seconds
    monkeypatch.undo()
    get_settings.cache_clear()


def test_one_secret_per_key_under_the_stack_prefix(local_stack, account):
    doc = create(account, "sk-live-value-000000000000")
    name = f"aigw/local/keys/{account}/{GW}/openai/default"
    assert doc["secret_id"] == name
    assert sm().get_secret_value(SecretId=name)["SecretString"] == "sk-live-value-000000000000"
    assert pk.get_provider_key(account, GW, "openai", "default") == "sk-live-value-000000000000"
    assert "sk-live-value-000000000000" not in str(doc)


def test_rotation_is_seen_after_max_age(local_stack, account, key_cache_seconds):
    create(account, "first-key-0000000000")
    assert pk.get_provider_key(account, GW, "openai", "default") == "first-key-0000000000"
    # Another process (management) rotates: this process's cache still holds the old value...
    name = pk.secret_name(account, GW, "openai", "default")
    sm().put_secret_value(SecretId=name, SecretString="second-key-000000000")
    assert pk.get_provider_key(account, GW, "openai", "default") == "first-key-0000000000"
    # ...until max_age has passed.
    time.sleep(key_cache_seconds + 0.2)
    assert pk.get_provider_key(account, GW, "openai", "default") == "second-key-000000000"


def test_rotate_in_this_process_is_seen_at_once(local_stack, account):
    doc = create(account, "old-key-00000000000000")
    assert pk.get_provider_key(account, GW, "openai", "default") == "old-key-00000000000000"
    rotated = pk.rotate_config(account, GW, doc["id"], "new-key-11111111111111", "n****")
    assert rotated["secret_preview"] == "n****" and rotated["modified_at"] >= doc["modified_at"]
    assert pk.get_provider_key(account, GW, "openai", "default") == "new-key-11111111111111"


def test_aliases_and_the_default(local_stack, account):
    create(account, "key-default-0000000000")
    create(account, "key-prod-00000000000000", alias="prod")
    assert pk.has_alias(account, GW, "openai", "prod") is True
    assert pk.has_alias(account, GW, "openai", "staging") is False
    assert pk.has_alias(account, GW, "anthropic", "prod") is False
    assert pk.has_alias(account, "other-gw", "openai", "prod") is False
    assert pk.get_provider_key(account, GW, "openai", "prod") == "key-prod-00000000000000"
    assert pk.get_provider_key(account, GW, "openai", "staging") is None
    # A config flagged default_config answers for "no alias" ahead of the one named default.
    create(account, "key-flagged-0000000000", alias="team", default_config=True)
    assert pk.get_provider_key(account, GW, "openai", "default") == "key-flagged-0000000000"


def test_duplicate_alias_is_a_conflict_and_keeps_the_first(local_stack, account):
    create(account, "first-000000000000000")
    with pytest.raises(Conflict):
        create(account, "second-00000000000000")
    assert pk.get_provider_key(account, GW, "openai", "default") == "first-000000000000000"


def test_no_secrets_manager_call_without_a_config(local_stack, account, monkeypatch):
    class Refuse:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"Secrets Manager called: {name}")

    monkeypatch.setattr(pk.aws, "secretsmanager", lambda: Refuse())
    assert pk.get_provider_key(account, GW, "openai", "default") is None
    assert pk.get_provider_key(account, GW, "openai", "bad alias/../x") is None
    assert pk.has_alias(account, GW, "openai", "bad\nalias") is False


def test_delete_removes_the_secret_and_the_alias_can_return_at_once(local_stack, account):
    doc = create(account, "to-delete-000000000000")
    gone = pk.delete_config(account, GW, doc["id"])
    assert gone["id"] == doc["id"]
    with pytest.raises(ClientError) as e:
        sm().describe_secret(SecretId=doc["secret_id"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert pk.get_provider_key(account, GW, "openai", "default") is None
    create(account, "recreated-00000000000")
    assert pk.get_provider_key(account, GW, "openai", "default") == "recreated-00000000000"
    with pytest.raises(NotFound):
        pk.delete_config(account, GW, doc["id"])


def test_delete_gateway_keys(local_stack, account):
    docs = [create(account, f"key-{i}-000000000000", alias=f"a{i}") for i in range(3)]
    other = pk.create_config(account, "keep", {"provider_slug": "openai", "alias": "default",
                                               "secret_preview": "****"}, "kept-00000000000")
    assert pk.delete_gateway_keys(account, GW) == 3
    assert pk.list_configs(account, GW) == []
    for d in docs:
        with pytest.raises(ClientError):
            sm().describe_secret(SecretId=d["secret_id"])
    assert sm().describe_secret(SecretId=other["secret_id"])["Name"] == other["secret_id"]


def test_an_orphaned_secret_is_adopted(local_stack, account):
    # Left behind by a create whose metadata write was rolled back.
    sm().create_secret(Name=pk.secret_name(account, GW, "openai", "default"),
                       SecretString="orphan-value-00000000")
    create(account, "adopting-value-0000000")
    assert pk.get_provider_key(account, GW, "openai", "default") == "adopting-value-0000000"


def test_secret_deleted_out_of_band_reads_as_missing(local_stack, account, caplog):
    doc = create(account, "vanishing-000000000000")
    sm().delete_secret(SecretId=doc["secret_id"], ForceDeleteWithoutRecovery=True)
    pk._reader.clear()
    with caplog.at_level(logging.WARNING, logger="aigw"):
        assert pk.get_provider_key(account, GW, "openai", "default") is None
    assert "provider key secret missing" in caplog.text
    assert pk.has_alias(account, GW, "openai", "default") is True


def test_failed_secret_write_rolls_back_the_metadata(local_stack, account, monkeypatch):
    class Failing:
        def create_secret(self, **kwargs: Any) -> None:
            raise ClientError({"Error": {"Code": "AccessDeniedException",
                                         "Message": f"denied {kwargs['SecretString']}"}},
                              "CreateSecret")

    monkeypatch.setattr(pk.aws, "secretsmanager", lambda: Failing())
    with pytest.raises(GatewayError) as e:
        create(account, "never-stored-0000000")
    assert "AccessDeniedException" in e.value.message
    assert "never-stored" not in e.value.message
    assert pk.list_configs(account, GW) == []


def test_create_waits_out_a_deletion_in_progress(monkeypatch):
    calls: list[str] = []

    class SlowDelete:
        def create_secret(self, **kwargs: Any) -> None:
            calls.append(kwargs["Name"])
            if len(calls) < 3:
                raise ClientError({"Error": {"Code": "InvalidRequestException", "Message":
                                   "You can't create this secret because a secret with this "
                                   "name is already scheduled for deletion."}}, "CreateSecret")

    monkeypatch.setattr(pk.aws, "secretsmanager", lambda: SlowDelete())
    slept: list[float] = []
    pk._create_secret("n", "v", "d", sleep=slept.append)
    assert calls == ["n", "n", "n"] and len(slept) == 2


@pytest.mark.parametrize("length", [0, 1, 7, 8, 12, 16, 31, 32, 40, 64, 200])
def test_secret_preview_never_holds_the_secret(length):
    secret = "".join(chr(65 + (i * 7) % 26) for i in range(length))
    preview = secret_preview(secret)
    shown = len(preview) - len("****")
    assert secret not in preview or length == 0
    assert shown <= max(0, length // 4) and shown <= 8
