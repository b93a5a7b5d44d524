"""`/gateways/{gw}/provider_configs` against moto: the write-only secret, codes, permissions."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from aigw.config import get_settings
from aigw.stores import provider_keys
from tests.functional.test_management_gateways import BODY as GATEWAY_BODY
from tests.functional.test_management_gateways import assert_envelope_error

CANARY = "sk-CANARY-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c1e"
BEDROCK = {"accessKeyId": "AKIAEXAMPLE000000001", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG",
           "region": "eu-west-1"}
VERTEX = {"type": "service_account", "project_id": "my-project-123",
          "client_email": "gw@my-project-123.iam.gserviceaccount.com", "private_key_id": "abc",
          "private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"}


def configs(account: str, rest: str = "", gateway: str = "gw") -> str:
    return f"/client/v4/accounts/{account}/ai-gateway/gateways/{gateway}/provider_configs{rest}"


@pytest.fixture
def gateway(management: TestClient, account: str, admin_headers: dict[str, str]) -> str:
    resp = management.post(f"/client/v4/accounts/{account}/ai-gateway/gateways",
                           json={**GATEWAY_BODY, "id": "gw"}, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    return "gw"


def add(client: TestClient, account: str, headers: dict[str, str], **over: Any) -> Any:
    body = {"provider_slug": "openai", "alias": "default", "secret": CANARY,
            "default_config": True, **over}
    return client.post(configs(account), json=body, headers=headers)


def test_create_list_rotate_delete(management, account, admin_headers, gateway):
    created = add(management, account, admin_headers, rate_limit=10, rate_limit_period=60)
    assert created.status_code == 200, created.text
    doc = created.json()["result"]
    assert {"id", "gateway_id", "provider_slug", "alias", "default_config", "secret_id",
            "secret_preview", "modified_at", "rate_limit", "rate_limit_period"} <= set(doc)
    assert "secret" not in doc and doc["gateway_id"] == "gw" and doc["rate_limit"] == 10
    assert doc["secret_preview"].startswith(CANARY[:4]) and CANARY not in doc["secret_preview"]
    assert provider_keys.get_provider_key(account, "gw", "openai", "default") == CANARY

    listed = management.get(configs(account), headers=admin_headers).json()
    assert listed["result"] == [doc] and listed["result_info"]["total_count"] == 1

    rotated = management.put(configs(account, f"/{doc['id']}"),
                             json={"secret": "sk-rotated-000000000000000000"},
                             headers=admin_headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["result"]["secret_preview"] != doc["secret_preview"]
    assert provider_keys.get_provider_key(account, "gw", "openai",
                                          "default") == "sk-rotated-000000000000000000"

    deleted = management.delete(configs(account, f"/{doc['id']}"), headers=admin_headers)
    assert deleted.status_code == 200 and deleted.json()["result"]["id"] == doc["id"]
    assert management.get(configs(account), headers=admin_headers).json()["result"] == []
    assert provider_keys.get_provider_key(account, "gw", "openai", "default") is None
    # The alias can be created again at once (the secret was force-deleted).
    assert add(management, account, admin_headers).status_code == 200


def test_secret_lives_in_secrets_manager_only(management, account, admin_headers, gateway):
    doc = add(management, account, admin_headers).json()["result"]
    sm = boto3.client("secretsmanager", region_name=get_settings().region)
    assert sm.get_secret_value(SecretId=doc["secret_id"])["SecretString"] == CANARY
    ddb = boto3.client("dynamodb", region_name=get_settings().region)
    items = ddb.query(TableName=get_settings().config_table,
                      KeyConditionExpression="account = :a",
                      ExpressionAttributeValues={":a": {"S": account}})["Items"]
    assert items and CANARY not in json.dumps(items)


def test_duplicate_alias_is_409(management, account, admin_headers, gateway):
    assert add(management, account, admin_headers).status_code == 200
    assert_envelope_error(add(management, account, admin_headers), 409, 7003)
    assert add(management, account, admin_headers, alias="second").status_code == 200
    assert add(management, account, admin_headers, provider_slug="groq").status_code == 200


def test_unknown_gateway_is_404(management, account, admin_headers):
    assert_envelope_error(management.get(configs(account, gateway="ghost"),
                                         headers=admin_headers), 404, 7002)
    body = {"provider_slug": "openai", "alias": "default", "secret": "sk-x"}
    assert_envelope_error(management.post(configs(account, gateway="ghost"), json=body,
                                          headers=admin_headers), 404, 7002)
    assert_envelope_error(management.put(configs(account, "/abc", gateway="ghost"),
                                         json={"secret": "x"}, headers=admin_headers), 404, 7002)
    assert_envelope_error(management.delete(configs(account, "/abc", gateway="ghost"),
                                            headers=admin_headers), 404, 7002)


def test_unknown_config_is_404(management, account, admin_headers, gateway):
    assert_envelope_error(management.put(configs(account, "/nope"), json={"secret": "sk-1"},
                                         headers=admin_headers), 404, 7002)
    assert_envelope_error(management.delete(configs(account, "/nope"), headers=admin_headers),
                          404, 7002)


def test_provider_slug_must_be_builtin_or_an_existing_custom_provider(management, account,
                                                                      admin_headers, gateway):
    errors = assert_envelope_error(add(management, account, admin_headers,
                                       provider_slug="not-a-provider"), 400, 7001)
    assert errors[0]["path"] == ["provider_slug"]
    assert_envelope_error(add(management, account, admin_headers,
                              provider_slug="custom-mine"), 400, 7001)
    made = management.post(f"/client/v4/accounts/{account}/ai-gateway/custom-providers",
                           json={"name": "Mine", "slug": "mine",
                                 "base_url": "https://llm.example.com/v1"},
                           headers=admin_headers)
    assert made.status_code == 200, made.text
    assert add(management, account, admin_headers,
               provider_slug="custom-mine").status_code == 200


def test_json_credentials_are_accepted_and_previewed_by_their_id(management, account,
                                                                 admin_headers, gateway):
    bedrock = add(management, account, admin_headers, provider_slug="aws-bedrock",
                  secret=json.dumps({**BEDROCK, "sessionToken": "tok"}))
    assert bedrock.status_code == 200, bedrock.text
    preview = bedrock.json()["result"]["secret_preview"]
    assert preview == "AK****01" and BEDROCK["secretAccessKey"] not in bedrock.text
    vertex = add(management, account, admin_headers, provider_slug="google-vertex-ai",
                 secret=json.dumps(VERTEX))
    assert vertex.status_code == 200, vertex.text
    assert "PRIVATE KEY" not in vertex.text


SECRET_SHAPES = [
    ("bedrock not json", "aws-bedrock", CANARY, [["secret"]]),
    ("bedrock array", "aws-bedrock", json.dumps([CANARY]), [["secret"]]),
    ("bedrock missing secretAccessKey", "aws-bedrock",
     json.dumps({"accessKeyId": CANARY, "region": "us-east-1"}), [["secret", "secretAccessKey"]]),
    ("bedrock bad region", "aws-bedrock",
     json.dumps({**BEDROCK, "secretAccessKey": CANARY, "region": "us-east-1\nx"}),
     [["secret", "region"]]),
    # The secret's own key names are secret material too: the answer does not repeat them.
    ("bedrock unknown field", "aws-bedrock",
     json.dumps({**BEDROCK, "secretKeyCANARY": CANARY}), [["secret"]]),
    ("bedrock token not a string", "aws-bedrock",
     json.dumps({**BEDROCK, "secretAccessKey": CANARY, "sessionToken": 5}),
     [["secret", "sessionToken"]]),
    ("vertex missing fields", "google-vertex-ai",
     json.dumps({"private_key": CANARY}), [["secret", "client_email"], ["secret", "private_key"],
                                           ["secret", "project_id"]]),
    ("vertex wrong type", "google-vertex-ai",
     json.dumps({**VERTEX, "type": "authorized_user", "private_key": CANARY}),
     [["secret", "private_key"], ["secret", "type"]]),
    ("header key with newline", "openai", CANARY + "\r\nx-injected: 1", [["secret"]]),
    ("header key with spaces", "anthropic", f" {CANARY} ", [["secret"]]),
]


@pytest.mark.parametrize(("case", "provider", "secret", "paths"), SECRET_SHAPES,
                         ids=[s[0] for s in SECRET_SHAPES])
def test_secret_shape_errors_name_the_field_not_the_value(management, account, admin_headers,
                                                          gateway, case, provider, secret,
                                                          paths):
    resp = add(management, account, admin_headers, provider_slug=provider, secret=secret)
    errors = assert_envelope_error(resp, 400, 7001)
    assert sorted(e["path"] for e in errors) == sorted(paths)
    assert "CANARY" not in resp.text
    assert management.get(configs(account), headers=admin_headers).json()["result"] == []


def test_rotation_checks_the_shape_of_the_provider(management, account, admin_headers,
                                                   gateway):
    doc = add(management, account, admin_headers, provider_slug="aws-bedrock",
              secret=json.dumps(BEDROCK)).json()["result"]
    resp = management.put(configs(account, f"/{doc['id']}"), json={"secret": CANARY},
                          headers=admin_headers)
    assert_envelope_error(resp, 400, 7001)
    assert "CANARY" not in resp.text


BAD_BODIES = [
    ("missing secret", {"provider_slug": "openai", "alias": "default"}, ["secret"]),
    ("empty secret", {"provider_slug": "openai", "secret": ""}, ["secret"]),
    ("secret not a string", {"provider_slug": "openai", "secret": [CANARY]}, ["secret"]),
    ("bad alias", {"provider_slug": "openai", "secret": CANARY, "alias": "a/b"}, ["alias"]),
    ("default_config string", {"provider_slug": "openai", "secret": CANARY,
                               "default_config": "true"}, ["default_config"]),
    ("negative rate limit", {"provider_slug": "openai", "secret": CANARY, "rate_limit": -1},
     ["rate_limit"]),
    ("unknown field", {"provider_slug": "openai", "secret": CANARY, "note": CANARY}, ["note"]),
]


@pytest.mark.parametrize(("case", "body", "path"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_are_7001(management, account, admin_headers, gateway, case, body, path):
    resp = management.post(configs(account), json=body, headers=admin_headers)
    errors = assert_envelope_error(resp, 400, 7001)
    assert errors[0]["path"] == path
    assert "CANARY" not in resp.text


def test_canary_secret_appears_in_no_response_and_no_log(management, account, admin_headers,
                                                         gateway, caplog, capsys):
    bodies: list[str] = []
    # aigw's own loggers at DEBUG; third-party ones at INFO (botocore's DEBUG wire dumps print
    # request bodies, so DEBUG must never be enabled for botocore in a deployment).
    caplog.set_level(logging.DEBUG, logger="aigw")
    with caplog.at_level(logging.INFO):
        created = add(management, account, admin_headers)
        bodies.append(created.text)
        doc = created.json()["result"]
        bodies.append(add(management, account, admin_headers).text)  # 409
        bodies.append(management.get(configs(account), headers=admin_headers).text)
        bodies.append(management.put(configs(account, f"/{doc['id']}"),
                                     json={"secret": CANARY + "-2"}, headers=admin_headers).text)
        bodies.append(management.put(configs(account, f"/{doc['id']}"),
                                     json={"secret": CANARY, "extra": CANARY},
                                     headers=admin_headers).text)
        for bad in (b'{"provider_slug": "openai", "secret": "' + CANARY.encode() + b'"',
                    b'{"provider_slug": "openai", "secret": "' + CANARY.encode() + b'\x00"}',
                    b'["' + CANARY.encode() + b'"]'):
            bodies.append(management.post(configs(account), content=bad, headers={
                **admin_headers, "content-type": "application/json"}).text)
        bodies.append(add(management, account, admin_headers, provider_slug="aws-bedrock",
                          secret="{" + CANARY).text)
        bodies.append(add(management, account, admin_headers, secret=CANARY + "\n").text)
        bodies.append(management.delete(configs(account, f"/{doc['id']}"),
                                        headers=admin_headers).text)
    captured = capsys.readouterr()
    assert len(bodies) == 11
    for text in (*bodies, caplog.text, captured.out, captured.err):
        assert "CANARY" not in text, text


def test_read_token_can_list_but_not_create(management, account, admin_headers, gateway):
    made = management.post(f"/client/v4/accounts/{account}/ai-gateway/tokens",
                           json={"name": "r", "permissions": ["read"]}, headers=admin_headers)
    reader = {"Authorization": f"Bearer {made.json()['result']['value']}"}
    assert management.get(configs(account), headers=reader).status_code == 200
    assert_envelope_error(add(management, account, reader), 403, 10000)
    assert management.get(configs(account), headers=admin_headers).json()["result"] == []


def test_paging(management, account, admin_headers, gateway):
    for i in range(3):
        assert add(management, account, admin_headers, alias=f"k{i}").status_code == 200
    page = management.get(configs(account), params={"per_page": 2, "page": 2},
                          headers=admin_headers).json()
    assert [c["alias"] for c in page["result"]] == ["k2"]
    assert page["result_info"] == {"page": 2, "per_page": 2, "count": 1, "total_count": 3}
    assert_envelope_error(management.get(configs(account), params={"per_page": 101},
                                         headers=admin_headers), 400, 7001)
