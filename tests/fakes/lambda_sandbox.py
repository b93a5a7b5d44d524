"""Runs `sam build` output the way Lambda runs it, on this machine, without Docker.

A function starts in a private mount namespace (`unshare -m`; tests run as root) where:

- the built layer is bind-mounted read-only at `/opt` (Lambda unpacks layers there),
- the built function is bind-mounted read-only at `/var/task`,
- a CPython 3.13 is bind-mounted read-only at `/var/lang`, as in Lambda's python3.13 image, with
  an empty `site-packages` (only the standard library: nothing the host installed can stand in
  for what the layer must bring),
- the environment is what Lambda sets (`lambda_environment`) plus the template's `Environment`
  for that function; no `PYTHONPATH`.

Streaming functions are started as the Web Adapter's `/opt/bootstrap` starts them: it execs
`${LAMBDA_TASK_ROOT}/${_HANDLER}` (run.sh). The adapter binary itself is not available here, so
the caller plays it: wait for `AWS_LWA_READINESS_CHECK_PATH` on `AWS_LWA_PORT`, then send HTTP.
Handler functions (management) are invoked by `RUNTIME_SHIM`, which sets up the module path the
way the Python runtime's bootstrap does and calls the handler with an API Gateway event.

Differences from Lambda, all deliberate: `AWS_ENDPOINT_URL` (moto) and `AIGW_UPSTREAM_<SLUG>`
(fake upstreams) are added by tests; `AWS_LWA_PORT` may be moved to a free port so parallel
runs on one machine do not collide; the CPU architecture is the host's (a build for another
architecture cannot load its compiled extensions here).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: What Lambda puts on PATH and LD_LIBRARY_PATH for managed runtimes (python3.13 included).
LAMBDA_PATH = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"
LAMBDA_LD_LIBRARY_PATH = ("/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:"
                          "/var/task:/var/task/lib:/opt/lib")

#: Mounts, then exec. Arguments: layer dir, function dir, python home, then the command.
_SANDBOX = r"""
set -e
layer="$1"; task="$2"; lang="$3"; shift 3
mkdir -p /var/task /var/lang
for pair in "$lang:/var/lang" "$layer:/opt" "$task:/var/task"; do
  src="${pair%%:*}"; dst="${pair#*:}"
  mount --bind "$src" "$dst"
  mount -o remount,bind,ro "$dst"
done
mount -t tmpfs -o ro,size=1m none /var/lang/lib/python3.13/site-packages
cd /var/task
exec "$@"
"""

#: The Python runtime's part for handler functions: its module path, then one invocation.
#: Reads {"event": ..., "context": {...}} on stdin, writes the handler's result as JSON.
RUNTIME_SHIM = r"""
import json, os, sys
sys.path[:0] = ["/var/task", "/opt/python/lib/python3.13/site-packages", "/opt/python"]
sys.path = [p for p in sys.path if p not in ("", os.getcwd())] + ["/var/runtime"]
if "/var/task" not in sys.path:
    sys.path.insert(0, "/var/task")
module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
handler = getattr(__import__(module_name), function_name)
request = json.load(sys.stdin)

class Context:
    def __init__(self, fields):
        self.__dict__.update(fields)
    def get_remaining_time_in_millis(self):
        return 29_000

result = handler(request["event"], Context(request["context"]))
sys.stdout.write("\n" + json.dumps(result))
"""


class SandboxError(RuntimeError):
    """The sandbox could not be built or started; the message says what to install or fix."""


def host_architecture() -> str:
    """The template's name (`Architecture` parameter) for this machine's CPU."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("aarch64", "arm64"):
        return "arm64"
    raise SandboxError(f"no Lambda architecture matches this machine ({machine})")


def python313_home() -> Path:
    """A CPython 3.13 installation (what `sam build` and `/var/lang` need).

    Looks on PATH, then in pyenv's versions. Raises SandboxError saying how to get one.
    """
    found = shutil.which("python3.13")
    candidates = [Path(found).resolve().parent.parent] if found else []
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += sorted((pyenv_root / "versions").glob("3.13*"), reverse=True)
    for home in candidates:
        if (home / "bin" / "python3.13").exists() and (home / "lib" / "python3.13").is_dir():
            return home
    raise SandboxError("python3.13 not found (on PATH or in pyenv): `sam build` needs the "
                       "template's runtime; install it, e.g. `pyenv install 3.13.0`")


def check_can_sandbox() -> None:
    if os.geteuid() != 0:
        raise SandboxError("the Lambda sandbox needs root (mount namespaces with bind mounts)")
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        raise SandboxError("the Lambda sandbox needs util-linux's unshare and mount")


REPO_ROOT = Path(__file__).resolve().parents[2]


def sam_binary() -> Path:
    """SAM CLI: `AIGW_SAM` (what `make test` passes), else the repo's .venv-tools."""
    return Path(os.environ.get("AIGW_SAM") or REPO_ROOT / ".venv-tools" / "bin" / "sam")


def build_for(arch: str, build_dir: Path) -> Path:
    """`sam build` of the repo's template for `arch` into `build_dir`, with what it needs
    checked first; raises SandboxError saying what is missing."""
    sam = sam_binary()
    if not os.access(sam, os.X_OK):
        raise SandboxError(f"SAM CLI not found at {sam}: run `make test` (it builds .venv-tools)"
                           " or set AIGW_SAM")
    return sam_build(sam, REPO_ROOT / "template.yaml", build_dir, arch, python313_home(),
                     REPO_ROOT)


def sam_build(sam: Path, template: Path, build_dir: Path, arch: str, python_home: Path,
              base_dir: Path) -> Path:
    """`sam build` for `arch`: the template parameter and the layer Makefile's AIGW_LAYER_ARCH
    say the same architecture. Returns the build dir; raises SandboxError with SAM's output."""
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AIGW_LAYER_ARCH": arch,
           "PATH": f"{python_home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [str(sam), "build", "--template-file", str(template), "--base-dir", str(base_dir),
         "--build-dir", str(build_dir), "--no-cached", "--parameter-overrides",
         f"Architecture={arch}"],
        cwd=base_dir, env=env, capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise SandboxError(f"sam build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")
    return build_dir


def lambda_environment(function_name: str, handler: str, region: str, memory_mb: int,
                       template_env: Mapping[str, str],
                       extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What Lambda sets in a python3.13 function's environment, then the template's variables,
    then `extra` (test-only redirections). Nothing is inherited from this process."""
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]00000000000000000000000000000000",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "ASIAFIDELITYTEST0000",
        "AWS_SECRET_ACCESS_KEY": "fidelity-test-secret",
        "AWS_SESSION_TOKEN": "fidelity-test-session",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": handler,
        "PATH": LAMBDA_PATH,
        "LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH,
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
    }
    env.update(template_env)
    env.update(extra or {})
    return env


def sandbox_command(build_dir: Path, function_dir: str, python_home: Path,
                    command: list[str]) -> list[str]:
    return ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", _SANDBOX, "sandbox",
            str(build_dir / "GatewayLayer"), str(build_dir / function_dir), str(python_home),
            *command]


def start_web_adapter_function(build_dir: Path, function_dir: str, python_home: Path,
                               env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start a streaming function as the Web Adapter's bootstrap does: exec the handler file."""
    return subprocess.Popen(
        sandbox_command(build_dir, function_dir, python_home,
                        [f"{env['LAMBDA_TASK_ROOT']}/{env['_HANDLER']}"]),
        env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_until_ready(proc: subprocess.Popen[bytes], port: int, path: str,
                     timeout_s: float = 30.0) -> None:
    """What the adapter does before it lets invocations in: poll the readiness path until the
    app answers with a status below 500. Raises SandboxError with the process's output."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.1)
    stop(proc)
    out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    raise SandboxError(f"the function never answered {path} on port {port} "
                       f"(exit {proc.returncode}):\n{out[-6000:]}")


def invoke_handler(build_dir: Path, function_dir: str, python_home: Path,
                   env: Mapping[str, str], event: dict[str, Any],
                   context: dict[str, Any]) -> dict[str, Any]:
    """One invocation of a handler function with `event`; returns what the handler returned."""
    proc = subprocess.run(
        sandbox_command(build_dir, function_dir, python_home,
                        ["/var/lang/bin/python3", "-c", RUNTIME_SHIM]),
        env=dict(env), input=json.dumps({"event": event, "context": context}).encode(),
        capture_output=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise SandboxError(f"handler failed (exit {proc.returncode}):\n"
                           f"{proc.stderr.decode('utf-8', 'replace')[-6000:]}")
    return json.loads(proc.stdout.decode().rsplit("\n", 1)[-1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
