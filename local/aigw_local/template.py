"""Reads `template.yaml` so local tables and environment come from the deployed definition.

CloudFormation's short tags (`!Ref`, `!Sub`, `!GetAtt`, ...) are loaded as their long forms so a
plain YAML parser can read the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class TableDefinition:
    logical_id: str
    create_args: dict[str, Any]
    ttl_attribute: str | None


def table_definitions(template: dict[str, Any]) -> list[TableDefinition]:
    """Every `AWS::DynamoDB::Table`, as `CreateTable` arguments named by logical id."""
    out = []
    for logical_id, res in template.get("Resources", {}).items():
        if res.get("Type") != "AWS::DynamoDB::Table":
            continue
        p = res["Properties"]
        args: dict[str, Any] = {
            "TableName": logical_id,
            "KeySchema": p["KeySchema"],
            "AttributeDefinitions": p["AttributeDefinitions"],
            "BillingMode": p.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if p.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"]
        ttl = p.get("TimeToLiveSpecification") or {}
        out.append(TableDefinition(logical_id, args,
                                   ttl.get("AttributeName") if ttl.get("Enabled") else None))
    return out


def table_environment(template: dict[str, Any]) -> dict[str, str]:
    """Globals env vars whose value is `!Ref <Table>`, mapped to the local table name."""
    tables = {t.logical_id for t in table_definitions(template)}
    env = (template.get("Globals", {}).get("Function", {}).get("Environment", {})
           .get("Variables", {}))
    return {name: value["Ref"] for name, value in env.items()
            if isinstance(value, dict) and value.get("Ref") in tables}


def static_environment(template: dict[str, Any]) -> dict[str, str]:
    """Globals env vars with plain string values (service name, log level, ...)."""
    env = (template.get("Globals", {}).get("Function", {}).get("Environment", {})
           .get("Variables", {}))
    return {k: str(v) for k, v in env.items() if isinstance(v, (str, int, float, bool))}
