"""`aigw_local.template`: CloudFormation tags parse, and local tables come from the template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigw_local.template import (
    function_environment,
    load_template,
    resolve,
    table_definitions,
)

TAGS = """\
Conditions:
  IsOn: !Equals [!Ref Flag, "true"]
Resources:
  Thing:
    Type: Custom::Thing
    Properties:
      Name: !Sub ${AWS::StackName}-thing
      Arn: !GetAtt Queue.Arn
      ArnList: !GetAtt [Queue, Arn]
      Maybe: !If [IsOn, enabled, !Ref AWS::NoValue]
      Joined: !Join ["-", [a, !Ref Other]]
      Mapped: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
"""


def load_text(tmp_path: Path, text: str) -> dict[str, Any]:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return load_template(path)


def test_short_tags_load_as_their_long_forms(tmp_path: Path) -> None:
    tags_template = load_text(tmp_path, TAGS)
    props = tags_template["Resources"]["Thing"]["Properties"]
    assert tags_template["Conditions"]["IsOn"] == {"Fn::Equals": [{"Ref": "Flag"}, "true"]}
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-thing"}
    assert props["Arn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["ArnList"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["Maybe"] == {"Fn::If": ["IsOn", "enabled", {"Ref": "AWS::NoValue"}]}
    assert props["Joined"] == {"Fn::Join": ["-", ["a", {"Ref": "Other"}]]}
    assert props["Mapped"] == {"Fn::Transform": {"Name": "AWS::Include",
                                                 "Parameters": {"Location": "s3://b/k"}}}


SMALL = """\
Globals:
  Function:
    Environment:
      Variables:
        SERVICE: aigw
        RETRIES: 3
        MAIN_TABLE: !Ref Main
        LEVEL: !Ref LogLevel
        PREFIX: !Sub aigw/${AWS::StackName}
Resources:
  Main:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
      SSESpecification: {SSEEnabled: true}
  Indexed:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PROVISIONED
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      GlobalSecondaryIndexes: [{IndexName: by, KeySchema: [{AttributeName: pk, KeyType: HASH}],
                                Projection: {ProjectionType: ALL}}]
      TimeToLiveSpecification: {AttributeName: gone, Enabled: false}
  Queue:
    Type: AWS::SQS::Queue
"""


@pytest.fixture
def small(tmp_path: Path) -> dict[str, Any]:
    return load_text(tmp_path, SMALL)


def test_table_definitions_are_create_table_arguments(small: dict[str, Any]) -> None:
    main, indexed = table_definitions(small)
    assert main.logical_id == "Main" and main.ttl_attribute == "expires_at"
    # Only what CreateTable accepts: SSE and TTL are not CreateTable arguments here.
    assert main.create_args == {
        "TableName": "Main", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
    assert indexed.ttl_attribute is None  # disabled TTL is no TTL
    assert indexed.create_args["BillingMode"] == "PROVISIONED"
    assert indexed.create_args["GlobalSecondaryIndexes"][0]["IndexName"] == "by"


def test_real_template_defines_the_four_tables() -> None:
    template = load_template()
    tables = {t.logical_id: t for t in table_definitions(template)}
    assert set(tables) == {"ConfigTable", "CountersTable", "CacheTable", "LogsTable"}
    assert tables["ConfigTable"].ttl_attribute is None
    assert [k["AttributeName"] for k in tables["ConfigTable"].create_args["KeySchema"]] == [
        "account", "sk"]

FUNCTIONS = """\
Parameters:
  Level: {Type: String, Default: INFO}
Globals:
  Function:
    Environment:
      Variables:
        LEVEL: !Ref Level
        TABLE: !Ref Main
        PREFIX: !Sub aigw/${AWS::StackName}
        SHARED: global
Resources:
  Main: {Type: AWS::DynamoDB::Table}
  Secret: {Type: AWS::SecretsManager::Secret}
  One:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          SHARED: own
          SECRET: !Ref Secret
          NAMED: !Sub
            - x-${Name}
            - Name: !Ref Main
  Two:
    Type: AWS::Serverless::Function
    Properties: {}
"""


def test_function_environment_is_globals_then_its_own_resolved(tmp_path: Path) -> None:
    template = load_text(tmp_path, FUNCTIONS)
    refs = {"Main": "tbl", "Secret": "arn:s", "AWS::StackName": "st"}
    assert function_environment(template, "One", refs) == {
        "LEVEL": "INFO", "TABLE": "tbl", "PREFIX": "aigw/st", "SHARED": "own",
        "SECRET": "arn:s", "NAMED": "x-tbl"}
    # A function gets nothing another function's own section names.
    assert function_environment(template, "Two", refs) == {
        "LEVEL": "INFO", "TABLE": "tbl", "PREFIX": "aigw/st", "SHARED": "global"}


def test_resolve_refuses_what_it_cannot_resolve() -> None:
    with pytest.raises(KeyError):
        resolve({"Ref": "Missing"}, {})
    with pytest.raises(ValueError):
        resolve({"Fn::GetAtt": ["Queue", "Arn"]}, {})
    assert resolve(True, {}) == "true" and resolve(30, {}) == "30"
