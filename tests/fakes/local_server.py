"""Runs the whole local gateway (`python -m aigw_local`, what `make dev` runs) as a subprocess.

End-to-end tests drive it over real HTTP with the official SDKs, so they see exactly what a
developer's client sees: the dispatcher, the three apps, the embedded moto. The child gets a
clean environment (no AIGW_* or AWS_* from the test process, which the in-process fixtures
rewrite) plus the variables a test asks for, and its output goes to a file shown on failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.fakes.upstream_server import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ADMIN_TOKEN = "e2e-admin-token-0123456789"
_INHERITED_PREFIXES = ("AIGW_", "AWS_")


@dataclass
class LocalGateway:
    process: subprocess.Popen[bytes]
    port: int
    admin_token: str
    log: IO[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def child_environment(port: int, admin_token: str,
                      extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    env.update({"AIGW_PORT": str(port), "AIGW_ADMIN_TOKEN": admin_token,
                "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def start_local_gateway(extra_env: Mapping[str, str] | None = None, *,
                        admin_token: str = DEFAULT_ADMIN_TOKEN,
                        startup_timeout: float = 30.0) -> LocalGateway:
    """Start the server on a free loopback port and return once `GET /healthz` answers."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix=f"aigw-local-{port}-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "aigw_local"], cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
        stdout=log, stderr=subprocess.STDOUT,
        env=child_environment(port, admin_token, extra_env))
    gateway = LocalGateway(process, port, admin_token, log)
    try:
        _wait_healthy(gateway, startup_timeout)
    except BaseException:
        gateway.stop()
        raise
    return gateway


def _wait_healthy(gateway: LocalGateway, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            raise RuntimeError(f"local gateway exited with {gateway.process.returncode}:\n"
                               f"{gateway.output()}")
        try:
            with urllib.request.urlopen(f"{gateway.base_url}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"local gateway not healthy after {timeout}s:\n{gateway.output()}")
