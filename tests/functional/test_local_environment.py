"""Local mode gives each function exactly the environment template.yaml gives it.

Deployed, each function sees only its own template variables; local mode serves all of them
from one process. These tests compare, per function, what its code reads locally with what it
would read from its template environment (resolved to the local tables and secret), so a
variable given to one function only — the fault that once let the data plane forward the admin
token upstream, since only management could read it — shows up locally too.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import boto3
import pytest

from aigw.config import HIDDEN_VARIABLES, get_settings, settings_from_env
from aigw_local.dispatch import Dispatcher
from aigw_local.functions import FUNCTIONS
from aigw_local.server import LOCAL_AWS_VARIABLES, LocalStack, local_refs
from aigw_local.template import function_environment, function_environments, load_template


def local_admin_secret_arn() -> str:
    name = load_template()["Resources"]["AdminTokenSecret"]["Properties"]["Name"]["Fn::Sub"]
    client = boto3.client("secretsmanager")
    return str(client.describe_secret(
        SecretId=name.replace("${AWS::StackName}", "local"))["ARN"])


def expected_environment(logical_id: str) -> dict[str, str]:
    """The function's template environment, resolved locally, plus what local mode adds: where
    AWS is, and the developer's own settings no function's template defines."""
    template = load_template()
    refs = local_refs(local_admin_secret_arn())
    defined = {n for env in function_environments(template, refs).values() for n in env}
    env = function_environment(template, logical_id, refs)
    env.update({k: os.environ[k] for k in LOCAL_AWS_VARIABLES})
    env.update({k: v for k, v in os.environ.items()
                if k.startswith("AIGW_") and k not in defined})
    return env


def settings_while_serving(stack: LocalStack, folder: str) -> Any:
    token = HIDDEN_VARIABLES.set(stack.hidden[folder])
    try:
        return get_settings()
    finally:
        HIDDEN_VARIABLES.reset(token)


@pytest.mark.parametrize("folder", sorted(FUNCTIONS))
def test_each_function_reads_locally_what_its_template_gives_it(local_stack: LocalStack,
                                                                folder: str) -> None:
    get_settings.cache_clear()
    local = settings_while_serving(local_stack, folder)
    expected = expected_environment(FUNCTIONS[folder])
    expected.update({k: os.environ[k] for k in local_stack.overridden})  # the suite's choices
    assert local == settings_from_env(expected)


@pytest.mark.parametrize("folder", sorted(FUNCTIONS))
def test_each_function_sees_exactly_its_template_variables(local_stack: LocalStack,
                                                           folder: str) -> None:
    template = load_template()
    refs = local_refs(local_admin_secret_arn())
    everyone = {n for env in function_environments(template, refs).values() for n in env}
    own = function_environment(template, FUNCTIONS[folder], refs)
    visible = {k: v for k, v in os.environ.items()
               if k in everyone and k not in local_stack.hidden[folder]}
    assert set(visible) == set(own)
    assert {k: v for k, v in visible.items() if k not in local_stack.overridden} == {
        k: v for k, v in own.items() if k not in local_stack.overridden}


def test_the_admin_token_is_read_from_its_secret_locally_as_deployed(local_stack) -> None:
    """No literal token in any function's environment: every function reads the secret the
    template names, so a function the template gives no access cannot know the token."""
    assert "AIGW_ADMIN_TOKEN" not in os.environ
    for folder in FUNCTIONS:
        s = settings_while_serving(local_stack, folder)
        assert s.admin_token is None and s.admin_secret_arn == local_admin_secret_arn()


def test_variable_only_another_function_gets_is_absent_locally(local_stack) -> None:
    """The dispatcher narrows settings per function: a variable hidden from inference (as
    AIGW_ADMIN_SECRET_ARN was, when only management's template had it) reads as unset there."""
    seen: dict[str, Any] = {}

    def recorder(name: str) -> Any:
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            get_settings.cache_clear()
            seen[name] = get_settings().admin_secret_arn
        return app

    dispatcher = Dispatcher(inference=recorder("inference"), compat=recorder("compat"),
                            management=recorder("management"),
                            hidden={"inference": frozenset({"AIGW_ADMIN_SECRET_ARN"})})

    # Not asyncio.run: it leaves the main thread without an event loop for later tests.
    loop = asyncio.new_event_loop()
    try:
        for path in ("/v1/acct/gw/openai/chat/completions",
                     "/client/v4/accounts/acct/ai-gateway/gateways"):
            loop.run_until_complete(dispatcher({"type": "http", "path": path}, None, None))
    finally:
        loop.close()
    get_settings.cache_clear()
    assert seen["inference"] is None
    assert seen["management"] == os.environ["AIGW_ADMIN_SECRET_ARN"]
