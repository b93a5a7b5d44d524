"""An embedded moto server on loopback, with its requests serialised.

Moto's server does not make conditional writes atomic across its request threads; DynamoDB does
per item. One lock around the whole WSGI app restores that, which is what the rate and spend
counters rely on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from aigw_local.template import TableDefinition


class _Serialised:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


@dataclass
class MotoServer:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(MotoRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Moto's per-request access lines would drown the gateway's own output."""


def start_moto(host: str = "127.0.0.1", port: int = 0) -> MotoServer:
    app = _Serialised(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    return MotoServer(server, thread)


def create_tables(endpoint: str, tables: list[TableDefinition], region: str) -> None:
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region,
                       aws_access_key_id="local", aws_secret_access_key="local")
    existing = set(ddb.list_tables()["TableNames"])
    for t in tables:
        if t.logical_id in existing:
            continue
        ddb.create_table(**t.create_args)
        if t.ttl_attribute:
            ddb.update_time_to_live(TableName=t.logical_id, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": t.ttl_attribute})
