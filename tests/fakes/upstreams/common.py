"""What every fake upstream shares: the app factory, request recording, failure knobs, SSE frames,
fixtures on disk and the deterministic "model" that decides what a fake answers.

A fake is a `FakeUpstream`: a FastAPI app whose every request is recorded (before any auth check,
so tests also see what was rejected) and whose responses obey a mutable `FakeControl`:

    fake = openai.create()             # or anthropic.create(), cohere.create(), ...
    with fake:                         # serves on 127.0.0.1:<free port> in a thread
        monkeypatch.setenv(*fake.env())  # AIGW_UPSTREAM_OPENAI=<fake.upstream_base>
        fake.control.stream_pause_s = 0.2
        ...
        fake.recorder.last.json()      # what the gateway sent
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import math
import random
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.fakes.upstream_server import Recorder, RunningServer, serve_in_thread

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "upstreams"
DROP_AFTER_BODY_MESSAGES = 2
"""With `drop_connection_midstream`, this many body messages (SSE frames) get through first."""


# ---------------------------------------------------------------- control and recording


@dataclass
class FakeControl:
    """Knobs a test turns to make the fake misbehave; read on every request."""

    stream_pause_s: float = 0.0
    """Sleep between body messages (SSE frames), to prove chunk-by-chunk relaying."""
    fail_next: list[tuple[int, Any]] = field(default_factory=list)
    """(status, JSON body) answered, in order, to the next requests instead of the real reply."""
    delay_first_byte_s: float = 0.0
    """Sleep before the status line is sent, to trigger timeouts to the first byte."""
    drop_connection_midstream: bool = False
    """Send the headers and part of the body, then abort the connection."""

    def reset(self) -> None:
        self.stream_pause_s = 0.0
        self.fail_next.clear()
        self.delay_first_byte_s = 0.0
        self.drop_connection_midstream = False


class DroppedConnection(Exception):
    """Raised inside the server to abort a response on purpose; never logged."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        return not isinstance(exc, DroppedConnection)


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class RecordingMiddleware:
    """Pure ASGI: reads and records the whole request, then applies `FakeControl`."""

    def __init__(self, app: ASGIApp, recorder: Recorder, control: FakeControl) -> None:
        self.app, self.recorder, self.control = app, recorder, control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        raw = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        self.recorder.add(scope["method"], path, scope["query_string"].decode("latin-1"),
                          headers, body, raw)
        replay = _replay(body, receive)
        if self.control.fail_next:
            status, payload = self.control.fail_next.pop(0)
            await JSONResponse(payload, status_code=status)(scope, replay, send)
            return
        await self.app(scope, replay, _ControlledSend(send, self.control))


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class _ControlledSend:
    def __init__(self, send: Send, control: FakeControl) -> None:
        self.send, self.control, self.body_messages = send, control, 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and self.control.delay_first_byte_s:
            await asyncio.sleep(self.control.delay_first_byte_s)
        if message["type"] == "http.response.body":
            self.body_messages += 1
            if self.body_messages > 1 and self.control.stream_pause_s:
                await asyncio.sleep(self.control.stream_pause_s)
            last = not message.get("more_body", False)
            if self.control.drop_connection_midstream and (
                    last or self.body_messages > DROP_AFTER_BODY_MESSAGES):
                part = message.get("body", b"")
                await self.send({"type": "http.response.body", "body": part[:len(part) // 2],
                                 "more_body": True})
                raise DroppedConnection("fake upstream dropped the connection on purpose")
        await self.send(message)


# ---------------------------------------------------------------- the fake itself


class FakeHTTPError(Exception):
    """Raised by a fake's handlers; rendered as exactly `body` with `status`."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


@dataclass
class FakeUpstream:
    """One provider's fake: its app, what it recorded, its knobs, and (once started) its server.

    `base_path` is appended to the server's origin to give the value a test puts in
    `AIGW_UPSTREAM_<SLUG>` (`upstream_base`); it may hold the provider's `{placeholders}`.
    """

    slug: str
    app: FastAPI
    recorder: Recorder
    control: FakeControl
    base_path: str = ""
    server: RunningServer | None = None

    def start(self) -> FakeUpstream:
        if self.server is None:
            self.server = serve_in_thread(self.app)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self.server is not None, "start() the fake first"
        return self.server.base_url

    @property
    def upstream_base(self) -> str:
        return self.origin + self.base_path

    def env(self) -> tuple[str, str]:
        """(`AIGW_UPSTREAM_<SLUG>`, upstream_base): `monkeypatch.setenv(*fake.env())`."""
        return "AIGW_UPSTREAM_" + self.slug.upper().replace("-", "_"), self.upstream_base

    def reset(self) -> None:
        self.recorder.clear()
        self.control.reset()


def build_fake(slug: str, base_path: str = "") -> FakeUpstream:
    """A FastAPI app with recording + control middleware and `FakeHTTPError` rendering."""
    app = FastAPI(title=f"fake {slug}", docs_url=None, redoc_url=None, openapi_url=None)
    recorder, control = Recorder(), FakeControl()
    app.add_middleware(RecordingMiddleware, recorder=recorder, control=control)

    @app.exception_handler(FakeHTTPError)
    async def render(_: Request, exc: FakeHTTPError) -> Response:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    return FakeUpstream(slug, app, recorder, control, base_path)


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request body as a JSON object, or None when it is not one."""
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):  # real APIs answer 400 to JSON nested too deep
        return None
    return body if isinstance(body, dict) else None


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# ---------------------------------------------------------------- SSE and fixtures


def sse(data: Any, event: str | None = None) -> bytes:
    """One SSE frame; `data` is JSON-encoded unless it is already a string (e.g. `[DONE]`)."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def sse_response(frames: Iterable[bytes], headers: dict[str, str] | None = None) -> Response:
    """Each frame is sent as its own body message, so `stream_pause_s` applies between frames."""
    return StreamingResponse(iter(list(frames)), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", **(headers or {})})


def fixture(provider: str, name: str) -> dict[str, Any]:
    """A fresh copy of `tests/fixtures/upstreams/<provider>/<name>.json`."""
    return copy.deepcopy(_load_fixture(provider, name))


_FIXTURE_CACHE: dict[tuple[str, str], dict[str, Any]] = {}


def _load_fixture(provider: str, name: str) -> dict[str, Any]:
    key = (provider, name)
    if key not in _FIXTURE_CACHE:
        _FIXTURE_CACHE[key] = json.loads((FIXTURES / provider / f"{name}.json").read_text())
    return _FIXTURE_CACHE[key]


# ---------------------------------------------------------------- the deterministic "model"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What a fake answers: text, or a call of `tool_name` with `tool_input`."""

    text: str
    tool_name: str | None = None
    tool_input: dict[str, Any] | None = None
    truncated: bool = False


def decide(prompt: str, tools: Sequence[ToolSpec], choice: str | None,
           tool_output: str | None, max_tokens: int | None) -> Reply:
    """Answering a tool result -> text about it; tools offered (choice not "none") -> call one
    (`choice` may name it); otherwise echo the prompt. Text is cut to `max_tokens` words."""
    if tool_output is None and tools and choice != "none":
        tool = next((t for t in tools if t.name == choice), tools[0])
        return Reply("", tool.name, tool_arguments(tool.schema, prompt))
    text = f"The tool returned: {tool_output}" if tool_output is not None else echo(prompt)
    text, truncated = limit_words(text, max_tokens)
    return Reply(text, truncated=truncated)


def text_of(content: Any) -> str:
    """A message's text: the string itself, or the `text` of its text parts / blocks joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content
                        if isinstance(p, dict) and p.get("type") in ("text", "input_text")
                        and isinstance(p.get("text"), str))
    return ""


def echo(prompt: str) -> str:
    return f"Echo: {prompt}" if prompt.strip() else "Hello! How can I help you today?"


def limit_words(text: str, max_tokens: int | None) -> tuple[str, bool]:
    pieces = text_pieces(text)
    if max_tokens is None or len(pieces) <= max_tokens:
        return text, False
    return "".join(pieces[:max_tokens]), True


def text_pieces(text: str) -> list[str]:
    """Word-sized stream deltas that join back to `text` exactly."""
    return re.findall(r"\s*\S+\s*$|\s*\S+", text) or [text]


def json_pieces(value: Any, parts: int = 3) -> list[str]:
    """A JSON document cut into `parts` non-empty slices (tool input streamed in pieces)."""
    text = json.dumps(value)
    size = max(1, math.ceil(len(text) / parts))
    return [text[i:i + size] for i in range(0, len(text), size)]


def tool_arguments(schema: dict[str, Any], prompt: str) -> dict[str, Any]:
    """Arguments for every declared property, derived from the prompt by type."""
    props = schema.get("properties") or {}
    values = {"integer": len(prompt.split()), "number": float(len(prompt.split())),
              "boolean": True, "array": [prompt], "object": {}}
    args: dict[str, Any] = {}
    for name, spec in props.items():
        spec = spec if isinstance(spec, dict) else {}
        if spec.get("enum"):
            args[name] = spec["enum"][0]
        else:
            args[name] = values.get(str(spec.get("type")), prompt)
    return args


def count_tokens(value: Any) -> int:
    """Words in every string inside `value` (a stand-in for a tokenizer), at least 1."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return max(1, sum(count_tokens(v) for v in value.values()))
    if isinstance(value, list):
        return max(1, sum(count_tokens(v) for v in value))
    return 0


def embedding(text: str, dims: int) -> list[float]:
    """A unit vector that depends only on `text` and `dims`."""
    rng = random.Random(hashlib.sha256(text.encode()).digest())  # noqa: S311 - not crypto
    vec = [rng.uniform(-1.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [round(v / norm, 8) for v in vec]


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + uuid.uuid4().hex[:length]
