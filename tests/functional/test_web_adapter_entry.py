"""`run.sh` — what the Lambda Web Adapter starts — serves the function's app under uvicorn.

Run the way Lambda runs it: from another directory, with only the layer on PYTHONPATH and the
function's code root in LAMBDA_TASK_ROOT, until the adapter's readiness path answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from aigw_local.template import REPO_ROOT, load_template
from tests.fakes.upstream_server import free_port


@pytest.mark.parametrize("function", ["inference", "compat"])
def test_run_sh_serves_the_readiness_path(function: str, tmp_path: Path) -> None:
    root = REPO_ROOT / "functions" / function
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "layers" / "gateway"),
           "LAMBDA_TASK_ROOT": str(root), "AWS_LWA_PORT": str(port),
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    proc = subprocess.Popen(["/bin/sh", str(root / "run.sh")], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    return
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"run.sh did not serve /healthz:\n{out}")
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_template_points_the_adapter_at_run_sh_and_the_readiness_path() -> None:
    resources = load_template()["Resources"]
    for name in ("InferenceFunction", "CompatFunction"):
        props = resources[name]["Properties"]
        env = props["Environment"]["Variables"]
        assert props["Handler"] == "run.sh"
        assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
        assert env["AWS_LWA_INVOKE_MODE"] == "response_stream"
        assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/healthz"
