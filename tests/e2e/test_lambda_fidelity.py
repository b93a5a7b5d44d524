"""The `sam build` output, started the way Lambda starts it (see tests/fakes/lambda_sandbox.py).

Inference and compat run `run.sh` as the Web Adapter's bootstrap does — layer read-only at /opt,
function at /var/task, a clean environment of what Lambda sets plus the template's variables for
that function, no PYTHONPATH — and serve a passthrough request and a streamed compat request to
fake upstreams, with state in a moto server. Management's built handler is invoked with replayed
`events/` files in the same kind of sandbox. The environment comes from template.yaml (`!Ref` and
`!Sub` resolved to the names this test creates), never retyped here.

This is the test that fails when the deployed functions cannot start (the layer not on the
module path, a module missing from the layer, a variable the code needs but the template does not
give): none of the in-process suites can see those.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from aigw_local.moto_server import MotoServer, create_tables, start_moto
from aigw_local.template import (
    TableDefinition,
    function_environment,
    load_template,
    table_definitions,
)
from tests.conftest import ADMIN_TOKEN
from tests.fakes import lambda_sandbox as sandbox
from tests.fakes.credentials import ANTHROPIC_KEY, OPENAI_KEY
from tests.fakes.upstream_server import free_port
from tests.fakes.upstreams import anthropic, openai
from tests.fakes.upstreams.common import FakeUpstream
from tests.functional.test_events_replay import ACCOUNT, GATEWAY, load_event

REGION = "us-east-1"
STACK = "aigw-fidelity"
BUILT_DIRS = {"InferenceFunction": "InferenceFunction", "CompatFunction": "CompatFunction",
              "ManagementFunction": "ManagementFunction"}


@dataclass(frozen=True)
class Built:
    build_dir: Path
    python_home: Path


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One `sam build` per test run, for this machine's architecture (same Makefile and
    template as a deploy; only the `Architecture` parameter differs)."""
    try:
        sandbox.check_can_sandbox()
        home = sandbox.python313_home()
        out = sandbox.build_for(sandbox.host_architecture(), tmp_path_factory.mktemp("sam-build"))
    except sandbox.SandboxError as e:
        failure = str(e)
    else:
        return Built(out, home)
    pytest.fail(failure, pytrace=False)


@dataclass(frozen=True)
class Aws:
    moto: MotoServer
    refs: dict[str, str]


@pytest.fixture(scope="module")
def aws() -> Iterator[Aws]:
    """A moto server with the template's tables under names of our own (so a variable that
    fell back to a default table name would miss) and the admin token's secret."""
    moto = start_moto()
    tables = [TableDefinition(f"{STACK}-{t.logical_id}",
                              {**t.create_args, "TableName": f"{STACK}-{t.logical_id}"},
                              t.ttl_attribute) for t in table_definitions(load_template())]
    create_tables(moto.endpoint, tables, REGION)
    secrets = boto3.client("secretsmanager", endpoint_url=moto.endpoint, region_name=REGION,
                           aws_access_key_id="x", aws_secret_access_key="x")
    arn = secrets.create_secret(Name=f"aigw/{STACK}/admin-token",
                                SecretString=ADMIN_TOKEN)["ARN"]
    refs = {t.logical_id.removeprefix(f"{STACK}-"): t.logical_id for t in tables}
    refs.update({"AdminTokenSecret": arn, "AWS::StackName": STACK, "AWS::Region": REGION,
                 "AWS::Partition": "aws", "AWS::AccountId": "123456789012",
                 "AWS::URLSuffix": "amazonaws.com"})
    yield Aws(moto, refs)
    moto.stop()


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, FakeUpstream]]:
    running = {"openai": openai.create().start(), "anthropic": anthropic.create().start()}
    yield running
    for fake in running.values():
        fake.stop()


def environment(logical_id: str, aws: Aws, fakes: dict[str, FakeUpstream],
                port: int | None = None) -> dict[str, str]:
    template = load_template()
    props = template["Resources"][logical_id]["Properties"]
    env = function_environment(template, logical_id, aws.refs)
    extra = {"AWS_ENDPOINT_URL": aws.moto.endpoint, **dict(f.env() for f in fakes.values())}
    if port is not None:
        extra["AWS_LWA_PORT"] = str(port)
    memory = int(props.get("MemorySize") or template["Globals"]["Function"]["MemorySize"])
    return sandbox.lambda_environment(f"{STACK}-{logical_id}", props["Handler"], REGION,
                                      memory, env, extra)


def invoke_management(built: Built, aws: Aws, fakes: dict[str, FakeUpstream],
                      event_name: str) -> tuple[int, dict]:
    env = environment("ManagementFunction", aws, fakes)
    context = {"function_name": env["AWS_LAMBDA_FUNCTION_NAME"], "function_version": "$LATEST",
               "invoked_function_arn": f"arn:aws:lambda:{REGION}:123456789012:function:x",
               "memory_limit_in_mb": 1024, "aws_request_id": "fidelity-0001",
               "log_group_name": env["AWS_LAMBDA_LOG_GROUP_NAME"],
               "log_stream_name": env["AWS_LAMBDA_LOG_STREAM_NAME"]}
    out = sandbox.invoke_handler(built.build_dir, BUILT_DIRS["ManagementFunction"],
                                 built.python_home, env, load_event(event_name), context)
    body = out["body"]
    if out.get("isBase64Encoded"):
        import base64

        body = base64.b64decode(body).decode()
    return out["statusCode"], json.loads(body)


@pytest.fixture(scope="module")
def gateway(built: Built, aws: Aws, fakes: dict[str, FakeUpstream]) -> str:
    """`my-gateway` (authenticated) created through the built management handler."""
    status, body = invoke_management(built, aws, fakes, "management-gateways-create")
    assert status == 200, body
    return GATEWAY


@dataclass
class Running:
    port: int

    def request(self, method: str, path: str, body: dict, headers: dict[str, str]
                ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, json.dumps(body).encode(),
                     {"content-type": "application/json", **headers})
        return conn.getresponse()


def start_streaming(logical_id: str, built: Built, aws: Aws,
                    fakes: dict[str, FakeUpstream]) -> Iterator[Running]:
    port = free_port()
    env = environment(logical_id, aws, fakes, port)
    proc = sandbox.start_web_adapter_function(built.build_dir, BUILT_DIRS[logical_id],
                                              built.python_home, env)
    try:
        sandbox.wait_until_ready(proc, port, env["AWS_LWA_READINESS_CHECK_PATH"])
    except sandbox.SandboxError as e:
        failure = f"{logical_id} did not start as Lambda starts it: {e}"
    else:
        failure = None
    if failure:
        pytest.fail(failure, pytrace=False)
    try:
        yield Running(port)
    finally:
        sandbox.stop(proc)


@pytest.fixture(scope="module")
def inference(built: Built, aws: Aws, fakes: dict[str, FakeUpstream]) -> Iterator[Running]:
    yield from start_streaming("InferenceFunction", built, aws, fakes)


@pytest.fixture(scope="module")
def compat(built: Built, aws: Aws, fakes: dict[str, FakeUpstream]) -> Iterator[Running]:
    yield from start_streaming("CompatFunction", built, aws, fakes)


def test_management_handler_answers_replayed_events(built, aws, fakes, gateway) -> None:
    status, body = invoke_management(built, aws, fakes, "management-gateways-get")
    assert status == 200, body
    assert body["success"] is True and body["result"]["id"] == gateway
    assert body["result"]["authentication"] is True


def test_inference_serves_a_passthrough_request(inference, gateway, fakes) -> None:
    fake = fakes["openai"]
    fake.reset()
    resp = inference.request(
        "POST", f"/v1/{ACCOUNT}/{gateway}/openai/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]},
        {"authorization": f"Bearer {OPENAI_KEY}", "cf-aig-authorization": f"Bearer {ADMIN_TOKEN}"})
    body = json.loads(resp.read())
    assert resp.status == 200, body
    assert body["object"] == "chat.completion"
    assert resp.getheader("cf-aig-log-id")
    sent = fake.recorder.last
    assert sent.path == "/v1/chat/completions"
    assert "cf-aig-authorization" not in sent.headers


def test_compat_streams_a_chat_completion(compat, gateway, fakes) -> None:
    fake = fakes["anthropic"]
    fake.reset()
    resp = compat.request(
        "POST", f"/v1/{ACCOUNT}/{gateway}/compat/chat/completions",
        {"model": "anthropic/claude-sonnet-4-5", "stream": True, "max_tokens": 64,
         "messages": [{"role": "user", "content": "hello"}]},
        {"authorization": f"Bearer {ANTHROPIC_KEY}",
         "cf-aig-authorization": f"Bearer {ADMIN_TOKEN}"})
    assert resp.status == 200, resp.read()
    assert resp.getheader("content-type", "").startswith("text/event-stream")
    events = [line[len(b"data: "):] for line in resp.read().splitlines()
              if line.startswith(b"data: ")]
    assert events[-1] == b"[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks and all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert fake.recorder.last.json()["stream"] is True


def test_body_over_the_template_limit_is_413_in_the_gateway_shape(inference, gateway) -> None:
    """The limit the template sets (AIGW_MAX_BODY_BYTES) holds in the built function too."""
    limit = int(load_template()["Globals"]["Function"]["Environment"]["Variables"][
        "AIGW_MAX_BODY_BYTES"])
    conn = http.client.HTTPConnection("127.0.0.1", inference.port, timeout=30)
    conn.request("POST", f"/v1/{ACCOUNT}/{gateway}/openai/chat/completions",
                 b"x" * (limit + 1), {"content-type": "application/json"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 413, body
    assert body["error"][0]["code"] == 2013 and body["httpCode"] == 413
