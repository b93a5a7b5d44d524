"""Runs a fake upstream (any ASGI app) under uvicorn on a free loopback port, in a thread.

Fakes record every request they receive in a `Recorder`, so tests can assert exactly what the
gateway forwarded (headers, path, query, body) and prove what did not leave.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    #: Every header line as received, in order (`headers` keeps one value per name).
    raw_headers: list[tuple[str, str]] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        """Every value a header had, whether sent as several lines or one joined with ", "."""
        return [v.strip() for n, line in self.raw_headers if n == name.lower()
                for v in line.split(",")]

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Recorder:
    requests: list[RecordedRequest] = field(default_factory=list)

    def add(self, method: str, path: str, query: str, headers: dict[str, str],
            body: bytes, raw_headers: list[tuple[str, str]] | None = None) -> None:
        self.requests.append(RecordedRequest(method, path, query, headers, body,
                                             raw_headers or []))

    @property
    def last(self) -> RecordedRequest:
        assert self.requests, "the fake upstream received no request"
        return self.requests[-1]

    def clear(self) -> None:
        self.requests.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningServer:
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_in_thread(app: Any, port: int | None = None) -> RunningServer:
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"fake-upstream-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake upstream did not start")
        time.sleep(0.01)
    return RunningServer(server, thread, port)
