"""`make dev`: every route of all three functions on 127.0.0.1:8787, AWS state in embedded moto.

    python -m aigw_local            # port from AIGW_PORT (default 8787)

Each function gets the environment `template.yaml` gives it, resolved against local resources
(the tables and the admin token's secret in moto, stack name `local`), and reads the admin token
from that secret as it does deployed. `AIGW_ADMIN_TOKEN` sets the token's value; otherwise one
is generated and printed at start.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass

import boto3

from aigw_local.dispatch import Dispatcher
from aigw_local.functions import FUNCTIONS, load_function_module
from aigw_local.ingest_worker import LocalIngest
from aigw_local.moto_server import MotoServer, create_tables, start_moto
from aigw_local.template import (
    function_environments,
    load_template,
    resolve,
    table_definitions,
)

LOCAL_REGION = "us-east-1"
LOCAL_STACK_NAME = "local"
LOCAL_ACCOUNT_ID = "123456789012"
#: Set by local mode on top of the template's variables: where AWS is (moto) and who calls it.
LOCAL_AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION",
                       "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


@dataclass
class LocalStack:
    moto: MotoServer
    admin_token: str
    #: Per function folder name: the variables the template gives other functions, not it.
    hidden: dict[str, frozenset[str]]
    #: Template variables whose value the caller set before start (tests, a developer).
    overridden: frozenset[str] = frozenset()


def local_refs(admin_secret_arn: str | None = None) -> dict[str, str]:
    """What `!Ref`/`!Sub` in the template's environments resolve to locally."""
    template = load_template()
    refs = {t.logical_id: t.logical_id for t in table_definitions(template)}
    refs.update({"AWS::StackName": LOCAL_STACK_NAME, "AWS::Region": LOCAL_REGION,
                 "AWS::Partition": "aws", "AWS::AccountId": LOCAL_ACCOUNT_ID,
                 "AWS::URLSuffix": "amazonaws.com"})
    if admin_secret_arn:
        refs["AdminTokenSecret"] = admin_secret_arn
    return refs


def create_admin_secret(endpoint: str, token: str, region: str) -> str:
    """The template's admin-token secret, in moto, holding `token`; returns its ARN."""
    name = resolve(load_template()["Resources"]["AdminTokenSecret"]["Properties"]["Name"],
                   local_refs())
    client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=region,
                          aws_access_key_id="local", aws_secret_access_key="local")
    return str(client.create_secret(Name=name, SecretString=token)["ARN"])


def prepare_environment(env: MutableMapping[str, str], moto_endpoint: str,
                        refs: dict[str, str]) -> dict[str, frozenset[str]]:
    """Set in `env` every variable the template gives any function, pointed at local resources,
    plus where AWS is; returns, per function, the variables it must not see (see
    `aigw.config.HIDDEN_VARIABLES`). A value the caller already set wins (tests, a developer)."""
    per_function = function_environments(load_template(), refs)
    union: dict[str, str] = {}
    for logical_id, variables in per_function.items():
        for name, value in variables.items():
            if union.setdefault(name, value) != value:
                raise ValueError(f"{name} has different values in two functions' templates; "
                                 f"local mode serves them from one process ({logical_id})")
    for name, value in union.items():
        env.setdefault(name, value)
    env.setdefault("AWS_REGION", LOCAL_REGION)
    env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
    env["AWS_ACCESS_KEY_ID"] = "local"
    env["AWS_SECRET_ACCESS_KEY"] = "local"
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    env["AWS_ENDPOINT_URL"] = moto_endpoint
    # The token's value lives in the local secret and is read from there, as deployed.
    env.pop("AIGW_ADMIN_TOKEN", None)
    return {folder: frozenset(union) - frozenset(per_function[logical_id])
            for folder, logical_id in FUNCTIONS.items()}


def start_local_stack(env: MutableMapping[str, str] | None = None) -> LocalStack:
    env = os.environ if env is None else env
    moto = start_moto()
    token = env.get("AIGW_ADMIN_TOKEN") or f"aigw-admin-{secrets.token_urlsafe(24)}"
    region = env.get("AWS_REGION") or LOCAL_REGION
    create_tables(moto.endpoint, table_definitions(load_template()), region)
    arn = create_admin_secret(moto.endpoint, token, region)
    overridden = frozenset(env).intersection(
        n for v in function_environments(load_template(), local_refs(arn)).values() for n in v)
    hidden = prepare_environment(env, moto.endpoint, local_refs(arn))
    return LocalStack(moto, token, hidden, overridden)


def build_dispatcher(hidden: dict[str, frozenset[str]]) -> Dispatcher:
    return Dispatcher(inference=load_function_module("inference").app,
                      compat=load_function_module("compat").app,
                      management=load_function_module("management").app,
                      hidden=hidden)


def main() -> None:
    import uvicorn

    generated = not os.environ.get("AIGW_ADMIN_TOKEN")
    stack = start_local_stack()
    # What the CloudWatch Logs subscription does deployed: records are stored as they are emitted
    # (AIGW_LOCAL_INGEST=off leaves them on stdout only, as bench/run.py measures the hot path).
    if os.environ.get("AIGW_LOCAL_INGEST", "on").lower() != "off":
        LocalIngest().start()
    host = os.environ.get("AIGW_HOST", "127.0.0.1")
    port = int(os.environ.get("AIGW_PORT", "8787"))
    print(f"aigw local: http://{host}:{port}  (moto at {stack.moto.endpoint})", flush=True)
    if generated:
        print(f"admin token: {stack.admin_token}", flush=True)
    uvicorn.run(build_dispatcher(stack.hidden), host=host, port=port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
