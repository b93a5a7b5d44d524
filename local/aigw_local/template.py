"""Reads `template.yaml` so local tables and environment come from the deployed definition.

CloudFormation's short tags (`!Ref`, `!Sub`, `!GetAtt`, ...) are loaded as their long forms so a
plain YAML parser can read the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    """Each template parameter's default, as the string CloudFormation would substitute."""
    return {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items()
            if "Default" in p}


def resolve(value: Any, refs: Mapping[str, str]) -> str:
    """An environment value with `Ref` and `Fn::Sub` resolved from `refs` (logical ids,
    parameters, pseudo parameters such as `AWS::StackName`).

    Raises KeyError naming a reference `refs` lacks, and ValueError for any other intrinsic:
    an environment the template gives a function must be resolvable here, or local mode and the
    fidelity test would run with a different one.
    """
    if isinstance(value, (str, int, float, bool)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return refs[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        sub = value["Fn::Sub"]
        text, local = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
        names = {**refs, **{k: resolve(v, refs) for k, v in local.items()}}
        return _SUB.sub(lambda m: names[m.group(1)], text)
    raise ValueError(f"cannot resolve {value!r} for a function's environment")


_SUB = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


def function_environment(template: dict[str, Any], logical_id: str,
                         refs: Mapping[str, str]) -> dict[str, str]:
    """Exactly the variables the template gives function `logical_id`: Globals, then its own."""
    glob = (template.get("Globals", {}).get("Function", {}).get("Environment", {})
            .get("Variables", {}))
    own = (template["Resources"][logical_id]["Properties"].get("Environment", {})
           .get("Variables", {}))
    all_refs = {**parameter_defaults(template), **refs}
    out = {}
    for name, value in {**glob, **own}.items():
        try:
            out[name] = resolve(value, all_refs)
        except KeyError as e:
            raise KeyError(f"{logical_id}'s {name} refers to {e}, which has no local value "
                           "(aigw_local.server.local_refs provides them)") from None
    return out


def function_environments(template: dict[str, Any],
                          refs: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """`function_environment` of every `AWS::Serverless::Function`, by logical id."""
    return {logical_id: function_environment(template, logical_id, refs)
            for logical_id, res in template.get("Resources", {}).items()
            if res.get("Type") == "AWS::Serverless::Function"}
