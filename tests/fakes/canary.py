"""Loopback canaries: TCP listeners that count every connection made to them.

The egress tests point user-configured destinations at canaries and assert nothing arrived.
`mode` picks how a canary treats a connection: `silent` accepts and never answers (a filtered or
stuck service), `http` answers plain HTTP (a non-TLS port hit with https).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["silent", "http"]


@dataclass
class Canary:
    mode: Mode = "silent"
    connections: int = 0
    port: int = 0
    _sock: socket.socket = field(default_factory=socket.socket)
    _open: list[socket.socket] = field(default_factory=list)

    def start(self) -> Canary:
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = int(self._sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            if self.mode == "http":
                try:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                except OSError:
                    pass

    def stop(self) -> None:
        self._sock.close()
        for conn in self._open:
            conn.close()


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Blackhole:
    """A loopback port where TCP connects hang (like a filtered port): a listener that never
    accepts, whose accept queue is filled first, so the kernel drops further SYNs."""

    port: int = 0
    _sockets: list[socket.socket] = field(default_factory=list)

    def start(self) -> Blackhole:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        self.port = int(listener.getsockname()[1])
        self._sockets.append(listener)
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self._sockets.append(filler)
        return self

    def stop(self) -> None:
        for s in self._sockets:
            s.close()


def raw_http_server(response: bytes) -> tuple[int, threading.Event]:
    """A one-shot HTTP server that answers `response` bytes verbatim (for header bytes no
    framework would write); returns its port and an event set once it answered. The event is
    set after the bytes are sent, so a client may read the answer first: wait on it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(response)
            done.set()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1]), done
