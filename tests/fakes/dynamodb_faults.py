"""A DynamoDB endpoint that forwards to moto and fails what a test asks it to.

Point the gateway's `AWS_ENDPOINT_URL` at it: every request is forwarded to the moto server
unchanged, except those for a table in `failing_tables`, which get `mode`:

- `throttle`: HTTP 400 `ProvisionedThroughputExceededException`, as DynamoDB answers a hot item;
- `error`: HTTP 500 `InternalServerError`;
- `reset`: the connection is closed without an answer (a table that is unreachable);
- `stall`: no answer for `stall_s` seconds (longer than the gateway's read timeout).

`hits` counts the requests it failed, by operation (`UpdateItem`, `GetItem`, ...).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Mode = Literal["throttle", "error", "reset", "stall"]
_ERRORS = {
    "throttle": (400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                 "The level of configured provisioned throughput for the table was exceeded."),
    "error": (500, "com.amazonaws.dynamodb.v20120810#InternalServerError",
              "Internal server error"),
}


@dataclass
class DynamoDBFaults:
    upstream: str
    failing_tables: set[str] = field(default_factory=set)
    mode: Mode = "throttle"
    stall_s: float = 3.0
    hits: Counter[str] = field(default_factory=Counter)
    server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DynamoDBFaults:
        faults = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                """Quiet: the test output is the gateway's."""

            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                operation = (self.headers.get("x-amz-target") or "").rpartition(".")[2]
                if faults._fails(body):
                    faults.hits[operation] += 1
                    self._fail()
                    return
                self._forward(body)

            def _fail(self) -> None:
                if faults.mode == "reset":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if faults.mode == "stall":
                    time.sleep(faults.stall_s)
                    self.close_connection = True
                    return
                status, kind, message = _ERRORS[faults.mode]
                payload = json.dumps({"__type": kind, "message": message}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/x-amz-json-1.0")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _forward(self, body: bytes) -> None:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                request = urllib.request.Request(faults.upstream + self.path, data=body,
                                                 headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
                        status, data, out = resp.status, resp.read(), resp.headers.items()
                except urllib.error.HTTPError as e:
                    status, data, out = e.code, e.read(), e.headers.items()
                self.send_response(status)
                for name, value in out:
                    if name.lower() not in {"content-length", "transfer-encoding", "connection",
                                            "date", "server"}:
                        self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         name="dynamodb-faults").start()
        return self

    def _fails(self, body: bytes) -> bool:
        if not self.failing_tables:
            return False
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return False
        tables = {request.get("TableName")} | set(request.get("RequestItems") or {})
        return bool(tables & self.failing_tables)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
