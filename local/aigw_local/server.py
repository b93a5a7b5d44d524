"""`make dev`: every route of all three functions on 127.0.0.1:8787, AWS state in embedded moto.

    python -m aigw_local            # port from AIGW_PORT (default 8787)

The admin token comes from `AIGW_ADMIN_TOKEN`, or is generated and printed at start.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass

from aigw_local.dispatch import Dispatcher
from aigw_local.functions import load_function_module
from aigw_local.ingest_worker import LocalIngest
from aigw_local.moto_server import MotoServer, create_tables, start_moto
from aigw_local.template import (
    load_template,
    static_environment,
    table_definitions,
    table_environment,
)

LOCAL_REGION = "us-east-1"


@dataclass
class LocalStack:
    moto: MotoServer
    admin_token: str


def prepare_environment(env: MutableMapping[str, str], moto_endpoint: str,
                        admin_token: str) -> None:
    """Set the variables Lambda would get from the template, pointed at the local moto."""
    template = load_template()
    for name, value in static_environment(template).items():
        env.setdefault(name, value)  # what the caller set (tests, a developer) wins
    env.update(table_environment(template))
    env.setdefault("AWS_REGION", LOCAL_REGION)
    env.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)
    env["AWS_ACCESS_KEY_ID"] = "local"
    env["AWS_SECRET_ACCESS_KEY"] = "local"
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    env["AWS_ENDPOINT_URL"] = moto_endpoint
    env["AIGW_SECRET_PREFIX"] = env.get("AIGW_SECRET_PREFIX") or "aigw/local"
    env["AIGW_ADMIN_TOKEN"] = admin_token
    env.pop("AIGW_ADMIN_SECRET_ARN", None)


def start_local_stack(env: MutableMapping[str, str] | None = None) -> LocalStack:
    env = os.environ if env is None else env
    moto = start_moto()
    token = env.get("AIGW_ADMIN_TOKEN") or f"aigw-admin-{secrets.token_urlsafe(24)}"
    prepare_environment(env, moto.endpoint, token)
    create_tables(moto.endpoint, table_definitions(load_template()), env["AWS_REGION"])
    return LocalStack(moto, token)


def build_dispatcher() -> Dispatcher:
    return Dispatcher(inference=load_function_module("inference").app,
                      compat=load_function_module("compat").app,
                      management=load_function_module("management").app)


def main() -> None:
    import uvicorn

    generated = not os.environ.get("AIGW_ADMIN_TOKEN")
    stack = start_local_stack()
    # What the CloudWatch Logs subscription does deployed: records are stored as they are emitted.
    LocalIngest().start()
    host = os.environ.get("AIGW_HOST", "127.0.0.1")
    port = int(os.environ.get("AIGW_PORT", "8787"))
    print(f"aigw local: http://{host}:{port}  (moto at {stack.moto.endpoint})", flush=True)
    if generated:
        print(f"admin token: {stack.admin_token}", flush=True)
    uvicorn.run(build_dispatcher(), host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
