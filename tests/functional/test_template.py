"""`template.yaml`: SAM's own validator and linter, then the properties the design requires.

The linter catches what CloudFormation would reject; the assertions below catch what it would
accept but the design forbids (a `*` resource, a buffered streaming route, an unencrypted table).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from aigw_local.template import REPO_ROOT, TEMPLATE_PATH, load_template
from tests.fakes.lambda_sandbox import sam_binary

STREAMING_FUNCTIONS = ("InferenceFunction", "CompatFunction")
TTL_TABLES = ("CountersTable", "CacheTable", "LogsTable")
OUTPUTS = ("ApiUrl", "AdminTokenSecretArn", "ConfigTableName", "CountersTableName",
           "CacheTableName", "LogsTableName")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping in the template, however deep (inside `Fn::If` branches too)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_sam_validate_lint_passes() -> None:
    sam = sam_binary()
    if not os.access(sam, os.X_OK):
        pytest.fail(f"SAM CLI not found at {sam}: run `make test` (it builds .venv-tools) "
                    "or set AIGW_SAM")
    proc = subprocess.run(
        [str(sam), "validate", "--lint", "--region", "us-east-1", "--template-file",
         str(TEMPLATE_PATH)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"}, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_iam_statement_grants_every_resource(template: dict[str, Any]) -> None:
    statements = [m for m in walk(template["Resources"]) if "Resource" in m and "Effect" in m]
    assert statements, "expected inline IAM statements to check"
    for st in statements:
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        assert "*" not in resources, st


def test_dynamodb_policies_name_the_stack_tables(template: dict[str, Any]) -> None:
    tables = set(resources_of(template, "AWS::DynamoDB::Table"))
    for fn in resources_of(template, "AWS::Serverless::Function").values():
        for policy in fn["Properties"]["Policies"]:
            if "DynamoDBCrudPolicy" in policy:
                assert policy["DynamoDBCrudPolicy"]["TableName"]["Ref"] in tables


def test_streaming_functions_stream_every_api_event(template: dict[str, Any]) -> None:
    for name in STREAMING_FUNCTIONS:
        events = template["Resources"][name]["Properties"]["Events"].values()
        api = [e for e in events if e["Type"] == "Api"]
        assert api, name
        assert all(e["Properties"]["ResponseTransferMode"] == "RESPONSE_STREAM" for e in api)


def test_runtime_is_current_python_on_arm64_by_default(template: dict[str, Any]) -> None:
    glob = template["Globals"]["Function"]
    runtime = glob["Runtime"]
    assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12, runtime
    arch = template["Parameters"]["Architecture"]
    assert arch["Default"] == "arm64" and set(arch["AllowedValues"]) == {"arm64", "x86_64"}
    assert glob["Architectures"] == [{"Ref": "Architecture"}]
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        assert fn["Properties"].get("Runtime", runtime) == runtime, name
        assert "Architectures" not in fn["Properties"], name
    layer = template["Resources"]["GatewayLayer"]
    assert runtime in layer["Properties"]["CompatibleRuntimes"]
    assert layer["Properties"]["CompatibleArchitectures"] == [{"Ref": "Architecture"}]
    # Built by layers/gateway/Makefile (bytecode, stripped extensions), not SAM's pip builder.
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert (REPO_ROOT / "layers" / "gateway" / "Makefile").read_text().count(
        "build-GatewayLayer:") == 1


def api_events(fn: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["Properties"] for e in fn["Properties"].get("Events", {}).values()
            if e["Type"] == "Api"]


@pytest.mark.parametrize("name", STREAMING_FUNCTIONS)
def test_streams_are_not_cut_before_the_function_times_out(template: dict[str, Any],
                                                           name: str) -> None:
    """A streamed answer may run as long as the function: REST API response streaming allows an
    integration timeout up to 15 minutes, but only when it is configured (default 29 s)."""
    fn = template["Resources"][name]
    timeout = fn["Properties"]["Timeout"]
    assert 29 < timeout <= 900
    for event in api_events(fn):
        assert event["ResponseTransferMode"] == "RESPONSE_STREAM"
        assert event["TimeoutInMillis"] == timeout * 1000, event["Path"]


def test_management_does_not_outlive_its_api_timeout(template: dict[str, Any]) -> None:
    fn = template["Resources"]["ManagementFunction"]
    timeout = fn["Properties"].get("Timeout", template["Globals"]["Function"]["Timeout"])
    for event in api_events(fn):
        assert "ResponseTransferMode" not in event  # buffered: API Gateway's 29 s at most
        assert timeout * 1000 <= event.get("TimeoutInMillis", 29_000) <= 29_000


def test_every_function_logs_to_its_own_group_with_retention(template: dict[str, Any]) -> None:
    groups = resources_of(template, "AWS::Logs::LogGroup")
    retention = template["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 30
    used = []
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        group = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert group in groups, name
        assert group == name.replace("Function", "LogGroup"), name
        used.append(group)
    assert len(set(used)) == len(used)
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_web_adapter_layer_matches_the_architecture(template: dict[str, Any]) -> None:
    assert template["Parameters"]["WebAdapterLayerVersion"]["Default"] >= 30
    for name in STREAMING_FUNCTIONS:
        layers = template["Resources"][name]["Properties"]["Layers"]
        arn, names = layers[0]["Fn::Sub"]
        assert "753240598075:layer:${Adapter}:${WebAdapterLayerVersion}" in arn
        assert names["Adapter"] == {"Fn::If": ["IsArm64", "LambdaAdapterLayerArm64",
                                               "LambdaAdapterLayerX86"]}


def test_config_table_has_point_in_time_recovery(template: dict[str, Any]) -> None:
    spec = template["Resources"]["ConfigTable"]["Properties"]["PointInTimeRecoverySpecification"]
    assert spec["PointInTimeRecoveryEnabled"] is True


@pytest.mark.parametrize("name", TTL_TABLES)
def test_expiring_tables_have_ttl(template: dict[str, Any], name: str) -> None:
    ttl = template["Resources"][name]["Properties"]["TimeToLiveSpecification"]
    assert ttl["Enabled"] is True and ttl["AttributeName"]


def test_every_table_is_encrypted_and_on_demand(template: dict[str, Any]) -> None:
    tables = resources_of(template, "AWS::DynamoDB::Table")
    assert set(tables) >= {"ConfigTable", *TTL_TABLES}
    for name, table in tables.items():
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True, name
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST", name


def test_admin_secret_is_generated_not_written_in(template: dict[str, Any]) -> None:
    secret = template["Resources"]["AdminTokenSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert "GenerateSecretString" in secret["Properties"]
    assert "SecretString" not in secret["Properties"]


def test_outputs_name_the_url_secret_and_tables(template: dict[str, Any]) -> None:
    assert set(OUTPUTS) <= set(template["Outputs"])
